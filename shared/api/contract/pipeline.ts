import { z } from 'zod';
import { ModelPreset } from '@/shared/preset/model-preset';
import { method } from './define';
import { jobChunkOf, jobSnapshotOf } from './jobs';
import { ProjectSummary } from './projects';

/**
 * NMF preview: run the PixelNMF pipeline on sample maps as a job, browse per-LS results, fetch
 * one LS's stage maps, re-decide from cached reconstructions after a preset change, and inject
 * synthetic anomalies into one LS (in memory only).
 */

/** Data files of a run (absolute, or relative to the project / preset folder). */
export const PipelineDataInput = z
  .object({
    /** Layer name → .npy, .npz, DIALS .parquet or DIALS API .json. */
    layers: z.record(z.string(), z.string().min(1)),
    /** .npy run / LS numbers (for .npy/.npz maps). */
    runs: z.string().min(1).optional(),
    lumis: z.string().min(1).optional(),
    /** Columnar OMS lumisection JSON. */
    oms: z.string().min(1).optional(),
    /** Per-run HLT rate JSON. */
    hlt: z.string().min(1).optional(),
  })
  .strict();
export type PipelineDataInput = z.infer<typeof PipelineDataInput>;

/**
 * Which sample data of a project a run uses: what was fetched from DIALS (data/dials/), the files
 * in data/, or auto (the DIALS fetch when there is a complete one, else the files).
 */
export const SampleDataSource = z.enum(['auto', 'project-files', 'dials']);
export type SampleDataSource = z.infer<typeof SampleDataSource>;

export const FilterReasonSchema = z.object({ code: z.string(), message: z.string() });

export const LumisectionResult = z.object({
  index: z.number().int(),
  run: z.number(),
  ls: z.number(),
  flaggedBeforeFilter: z.boolean(),
  flagged: z.boolean(),
  passedFilter: z.boolean(),
  reasons: z.array(FilterReasonSchema),
  score: z.object({ finalBins: z.number(), maxLoss: z.number().nullable(), maxLossPerLayer: z.record(z.string(), z.number().nullable()) }),
  entries: z.record(z.string(), z.number()),
});
export type LumisectionResult = z.infer<typeof LumisectionResult>;

export const RunSummary = z.object({
  lumisections: z.number().int(),
  completed: z.number().int(),
  flagged: z.number().int(),
  flaggedBeforeFilter: z.number().int(),
  passedFilter: z.number().int(),
});
export type RunSummary = z.infer<typeof RunSummary>;

export const LayerInfo = z.object({
  name: z.string(),
  /** Raw map shape. */
  rows: z.number().int(),
  cols: z.number().int(),
  /** Shape after removing the centre cross (every stage map except raw). */
  croppedRows: z.number().int(),
  croppedCols: z.number().int(),
  cross: z.object({ rows: z.tuple([z.number(), z.number()]), columns: z.tuple([z.number(), z.number()]) }),
});
export type LayerInfo = z.infer<typeof LayerInfo>;

/** A typed array as little-endian base64 (decode with decodeArray from shared/pipeline/encoded-array). */
export const EncodedArraySchema = z.object({
  dtype: z.enum(['uint8', 'int32', 'float32', 'float64']),
  shape: z.array(z.number().int()),
  base64: z.string(),
});

/** The stage maps of one lumisection (or of an average of them): per layer, then combined. */
export const StageMapFields = {
  layers: z.array(
    z.object({
      name: z.string(),
      raw: EncodedArraySchema,
      preprocessed: EncodedArraySchema,
      reconstruction: EncodedArraySchema,
      loss: EncodedArraySchema,
      lossBinary: EncodedArraySchema,
    }),
  ),
  /** In the first layer's cropped binning: layers with a cluster, the loss mask, the final binary map. */
  combined: EncodedArraySchema,
  lossMask: EncodedArraySchema,
  final: EncodedArraySchema,
};

export const LumisectionStages = z.object({
  index: z.number().int(),
  run: z.number(),
  ls: z.number(),
  result: LumisectionResult,
  ...StageMapFields,
  /** Windows of the final map matching a flagging pattern (cropped first-layer bins, half-open). */
  flagMatches: z.array(z.object({ row0: z.number(), row1: z.number(), col0: z.number(), col1: z.number(), pattern: z.number() })),
  /** True for what-if results (synthetic changes, nothing stored). */
  injected: z.boolean(),
});
export type LumisectionStages = z.infer<typeof LumisectionStages>;

export const PipelineStageName = z.enum(['inference', 'clustering', 'combine', 'flagging', 'filter']);

/** A rectangle of raw-map bins (half-open) of one layer whose counts are multiplied by factor (0 = dead). */
export const InjectionRegion = z
  .object({
    layer: z.string().min(1),
    row0: z.number().int().min(0),
    row1: z.number().int().min(0),
    col0: z.number().int().min(0),
    col1: z.number().int().min(0),
    factor: z.number().min(0),
  })
  .strict();
export type InjectionRegion = z.infer<typeof InjectionRegion>;

/** Streamed as job chunks of a pipeline.run job. */
export const PipelineChunk = z.object({ kind: z.literal('lumisections'), start: z.number().int(), items: z.array(LumisectionResult) });
export type PipelineChunk = z.infer<typeof PipelineChunk>;

/** The `pipeline.run` job: streams PipelineChunks, ends with the run's summary (the results stay in its session). */
export const PipelineJob = jobSnapshotOf('pipeline.run', z.object({ summary: RunSummary }));
export const PipelineJobChunk = jobChunkOf('pipeline.run', PipelineChunk);

const Session = z.object({ sessionId: z.string().min(1) });

export const pipelineMethods = {
  'pipeline.run': method(
    z
      .object({
        /** Project folder holding preset.json (and data/ unless `data` is given). */
        projectDir: z.string().min(1).optional(),
        /** A preset file instead of the project's. */
        presetFile: z.string().min(1).optional(),
        data: PipelineDataInput.optional(),
        /** Which of the project's sample data (ignored when `data` is given); default auto. */
        dataSource: SampleDataSource.optional(),
        chunkSize: z.number().int().positive().max(10_000).optional(),
      })
      .strict()
      .refine((v) => v.projectDir || v.presetFile, 'give projectDir or presetFile'),
    z.object({
      /** The job (progress, cancel via jobs.cancel, per-chunk results as job.chunk events of PipelineChunk). */
      jobId: z.string(),
      /** Handle for results / lumisection / reflag / whatIf (= jobId). */
      sessionId: z.string(),
      presetFile: z.string(),
      preset: ModelPreset,
      layers: z.array(LayerInfo),
      target: z.object({ rows: z.number().int(), cols: z.number().int() }),
      /** The data files, for display. */
      sources: z.array(z.string()),
      warnings: z.array(z.string()),
      total: z.number().int(),
    }),
    'Start the NMF preview on sample data; resolves once the data is loaded (load errors are thrown here)',
  ),
  'pipeline.results': method(
    Session.extend({ offset: z.number().int().min(0).optional(), limit: z.number().int().positive().max(100_000).optional() }).strict(),
    z.object({
      total: z.number().int(),
      summary: RunSummary,
      items: z.array(LumisectionResult),
      warnings: z.array(z.string()),
      preset: ModelPreset,
      done: z.boolean(),
    }),
    'Per-LS results of a run so far (summaries only)',
  ),
  'pipeline.lumisection': method(
    Session.extend({ index: z.number().int().min(0) }).strict(),
    LumisectionStages,
    'Every stage map of one LS, with the session’s current preset',
  ),
  'pipeline.reflag': method(
    Session.extend({ preset: ModelPreset }).strict(),
    z.object({
      stage: PipelineStageName.nullable(),
      ms: z.number(),
      changed: z.number().int(),
      summary: RunSummary,
      items: z.array(LumisectionResult),
    }),
    'Re-decide every LS with a changed preset from cached reconstructions (no NMF inference); fails with RERUN_REQUIRED when the model part changed',
  ),
  'pipeline.whatIf': method(
    Session.extend({ index: z.number().int().min(0), regions: z.array(InjectionRegion).max(64), preset: ModelPreset.optional() }).strict(),
    LumisectionStages,
    'Run one LS with synthetic changes to its raw maps (in memory; user data untouched)',
  ),
  'pipeline.savePreset': method(
    Session.extend({ preset: ModelPreset, file: z.string().min(1).optional() }).strict(),
    z.object({ file: z.string(), preset: ModelPreset }),
    'Save a preset (default: the run’s preset file) atomically, keeping <file>.dism-studio.bak',
  ),
  'pipeline.release': method(
    Session.strict(),
    z.object({ released: z.boolean() }),
    'Drop a run now — its results and stage maps, cancelling it if still running (the UI calls it before another run and when leaving the project); released is false when the run was no longer kept',
  ),
  'preset.load': method(
    z.object({ file: z.string().min(1) }).strict(),
    z.object({ file: z.string(), preset: ModelPreset }),
    'Read and validate a model preset file',
  ),
  'preset.save': method(
    z.object({ file: z.string().min(1), preset: ModelPreset }).strict(),
    z.object({ file: z.string(), preset: ModelPreset }),
    'Validate and save a model preset atomically (keeps <file>.dism-studio.bak)',
  ),
  'preset.default': method(z.object({}).strict(), ModelPreset, 'The "pixel barrel" preset (production PixelNMF values)'),
  'pipeline.presets': method(
    z.object({ projectDir: z.string().min(1) }).strict(),
    z.array(z.object({ file: z.string(), label: z.string() })),
    'Model presets in a project: preset.json and the preview-<KEY>/preset.json written by a joblib import',
  ),
  'demo.open': method(
    z
      .object({
        /** Which demo: the pixel-NMF model on MLServer (default) or an ONNX autoencoder on Triton, on the same maps. */
        variant: z.enum(['mlserver', 'triton']).optional(),
      })
      .strict(),
    z.object({ project: ProjectSummary, generated: z.boolean() }),
    'Open a demo project (MLServer or Triton), generating it into the user-data folder when absent',
  ),
};
