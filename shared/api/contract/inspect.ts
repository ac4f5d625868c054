import { z } from 'zod';
import { PlotSettings } from '@/shared/plot/plot-settings';
import { method } from './define';
import { jobSnapshotOf } from './jobs';
import { StageMapFields } from './pipeline';

/**
 * Inspecting a preview run: how the maps are drawn (kept per project), a run's average maps for
 * Compare, and the PDF report of flagged or chosen lumisections (a job).
 */

/** Every stage map averaged over the lumisections of one run (float64; binary maps become fractions). */
export const RunAverageStages = z.object({
  run: z.number(),
  /** How many lumisections went into the average (those with stage maps kept). */
  count: z.number().int(),
  ...StageMapFields,
});
export type RunAverageStages = z.infer<typeof RunAverageStages>;

/** Which lumisections get a page: every flagged one, or the given positions of the run. */
export const ReportSelection = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('flagged') }).strict(),
  z.object({ kind: z.literal('positions'), positions: z.array(z.number().int().min(0)).min(1).max(100_000) }).strict(),
]);
export type ReportSelection = z.infer<typeof ReportSelection>;

export const ReportResult = z.object({
  file: z.string(),
  /** Pages written: one per lumisection, plus the summary page. */
  pages: z.number().int(),
  lumisections: z.number().int(),
  bytes: z.number().int(),
  /** Lumisections whose stage maps were no longer kept (their page has the verdict and filters only). */
  withoutMaps: z.number().int(),
});
export type ReportResult = z.infer<typeof ReportResult>;

/** The `preview.report` job: writes the PDF page by page; no chunks. */
export const ReportJob = jobSnapshotOf('preview.report', ReportResult);

export const inspectMethods = {
  'preview.plotSettings': method(
    z.object({ projectDir: z.string().min(1) }).strict(),
    PlotSettings,
    'How the Preview draws the stage maps for this project (scale, range and colour map per stage column, grid); the defaults when none were saved',
  ),
  'preview.savePlotSettings': method(
    z.object({ projectDir: z.string().min(1), settings: PlotSettings }).strict(),
    PlotSettings,
    'Keep how the Preview draws the stage maps for this project (in DISM Studio’s settings, not in the project folder)',
  ),
  'pipeline.runAverage': method(
    z.object({ sessionId: z.string().min(1), run: z.number() }).strict(),
    RunAverageStages,
    'Every stage map averaged over the lumisections of one run of a preview run (for Compare)',
  ),
  'preview.report': method(
    z
      .object({
        sessionId: z.string().min(1),
        /** The PDF to write (absolute). */
        file: z.string().min(1),
        select: ReportSelection,
        /** The colour scales of the maps, as on screen. */
        plot: PlotSettings,
        /** Named on every page: the model (project) the preview is of. */
        modelName: z.string().min(1).max(200),
        /** Replace an existing file; the UI sets it only after the user confirmed. */
        overwrite: z.boolean().optional(),
      })
      .strict(),
    ReportJob,
    'Write a PDF report of a preview run (job; result: ReportResult): a summary page, then one page per flagged or chosen lumisection with the stage maps of every layer and why it is (not) flagged. Fails with OUTPUT_EXISTS when the file exists, unless overwrite',
  ),
};
