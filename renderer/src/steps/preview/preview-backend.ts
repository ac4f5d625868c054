import type { SampleDataSource } from '@/shared/api/contract/pipeline';
import type { ModelPreset } from '@/shared/preset/model-preset';
import type { LumisectionStageMaps } from '@/shared/plot/panels';
import type { PlotSettings } from '@/shared/plot/plot-settings';
import type { TimelineLs } from './timeline/timeline-model';
import type { InjectionRegion } from './whatif/injection';
import type { PipelineStage } from './tuning/preset-diff';

/**
 * What the Preview screen needs from the back end. One implementation, over the typed API
 * (preview-backend-api.ts); kept as an interface so the screen's logic does not depend on the
 * transport details of maps and jobs.
 */
export interface PreviewBackend {
  /** Load the project's preset (or `presetFile`) and sample data (from `dataSource`), start the run; results stream to `onChunk`. */
  start(projectDir: string, handlers: RunHandlers, presetFile?: string, dataSource?: SampleDataSource): Promise<StartedRun>;
  cancel(jobId: string): Promise<void>;
  /** The back end may drop the run now (its results and stage maps; cancelled if still running). */
  release(sessionId: string): Promise<void>;
  /** Every stage map of one LS (by position in the run). */
  stages(sessionId: string, position: number): Promise<LumisectionStageMaps>;
  /** Re-decide every LS with a changed preset, from cached losses (no NMF inference for decision-only changes). */
  reflag(sessionId: string, preset: ModelPreset): Promise<{ items: TimelineLs[]; stage: PipelineStage | null; ms: number }>;
  /** Run one LS with synthetic changes to its raw maps (in memory only). */
  whatIf(
    sessionId: string,
    position: number,
    preset: ModelPreset,
    regions: InjectionRegion[],
  ): Promise<{ item: TimelineLs; maps: LumisectionStageMaps }>;
  savePreset(sessionId: string, preset: ModelPreset): Promise<{ file: string; preset: ModelPreset }>;
  /** Write the "pixel barrel" preset as the project's preset.json (only when it has none). */
  createDefaultPreset(projectDir: string): Promise<string>;
  /** How the maps are drawn for a project (defaults when never saved). */
  plotSettings(projectDir: string): Promise<PlotSettings>;
  savePlotSettings(projectDir: string, settings: PlotSettings): Promise<void>;
  /** Every stage map averaged over one run's lumisections. */
  runAverage(sessionId: string, run: number): Promise<{ count: number; maps: LumisectionStageMaps }>;
}

export interface RunHandlers {
  onProgress(fraction: number | null, message: string): void;
  onChunk(items: TimelineLs[]): void;
}

export interface StartedRun {
  sessionId: string;
  jobId: string;
  presetFile: string | null;
  preset: ModelPreset;
  layerNames: string[];
  source: string;
  warnings: string[];
  total: number;
  /** Resolves with every per-LS result when the job finished. */
  done: Promise<TimelineLs[]>;
}
