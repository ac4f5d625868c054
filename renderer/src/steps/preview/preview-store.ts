import { create } from 'zustand';
import type { SampleDataSource } from '@/shared/api/contract/pipeline';
import type { ModelPreset } from '@/shared/preset/model-preset';
import type { LayerGeometry } from '@/shared/pixel-geometry';
import type { LumisectionStageMaps } from '@/shared/plot/panels';
import { DEFAULT_PLOT_SETTINGS, type PlotSettings } from '@/shared/plot/plot-settings';
import type { StageKey } from '@/shared/plot/stage-specs';
import type { TimelineLs, Toggles } from './timeline/timeline-model';
import type { ReflagInfo } from './tuning/TuningPanel';
import type { WhatIfSpec } from './whatif/injection';
import type { WhatIfDraft } from './whatif/WhatIfPanel';

export type PreviewPhase = 'idle' | 'starting' | 'running' | 'ready' | 'error';
export type SideTab = 'why' | 'tuning' | 'whatif';

export interface PreviewError {
  title: string;
  message: string;
  /** The back end's error code (NOT_FOUND, INPUT_INVALID, …). */
  code?: string;
  /** What a project without preset.json lacks (the back end's error details): the way on differs. */
  missing?: 'preset' | 'model-files';
  /** Only the preset is missing and the model files are where the "pixel barrel" preset expects them. */
  canCreateDefault?: boolean;
}

/** What the back end told us about the data and model of the preview session. */
export interface SessionInfo {
  sessionId: string;
  projectDir: string;
  presetFile: string | null;
  layerNames: string[];
  /** Where the maps came from (files), for the header and exports. */
  source: string;
  warnings: string[];
  total: number;
}

export interface StageView {
  position: number;
  maps: LumisectionStageMaps;
}

export interface WhatIfResult {
  position: number;
  spec: WhatIfSpec;
  maps: LumisectionStageMaps;
  item: TimelineLs;
}

/** What the selected LS is compared with: another LS, the one before it, or its run's average. */
export type CompareWith = { kind: 'previous' } | { kind: 'average' } | { kind: 'ls'; run: number; ls: number };

export interface CompareState {
  with: CompareWith;
  /** The stage shown side by side (every layer, or the combined row for combined stages). */
  stage: StageKey;
}

/** The maps the selected LS is compared with, once loaded. */
export interface CompareMaps {
  /** What they are, for titles: "Run 398100 · LS 6", "Run 398100 average (60 LS)". */
  label: string;
  /** The LS (position) or run they belong to, to know when they are stale. */
  key: string;
  maps: LumisectionStageMaps;
}

export interface PreviewState {
  phase: PreviewPhase;
  error: PreviewError | null;
  progress: { fraction: number | null; message: string } | null;
  jobId: string | null;
  info: SessionInfo | null;
  geometries: LayerGeometry[];
  combinedGeometry: LayerGeometry | null;
  savedPreset: ModelPreset | null;
  draftPreset: ModelPreset | null;
  /** Per-LS results with the draft preset (what the screen shows). */
  items: TimelineLs[];
  /** Per-LS results with the saved preset (for the diff). */
  savedItems: TimelineLs[];
  selected: number | null;
  /** A lumisection another step asked to open (Build & Run's inference table): selected once its result is here. */
  pendingOpen: { run: number; ls: number } | null;
  /** Why the requested LS could not be opened. */
  openError: string | null;
  toggles: Toggles;
  /** How the maps are drawn (per stage column), kept per project in the back end. */
  plot: PlotSettings;
  /** The project whose plot settings are loaded (they are saved only for it). */
  plotProject: string | null;
  /** Compare mode (null: the normal figure set). */
  compare: CompareState | null;
  compareMaps: CompareMaps | null;
  compareError: string | null;
  /** Which of the project's sample data the next run uses (auto: a DIALS fetch when there is one). */
  dataSource: SampleDataSource;
  zoomRevision: number;
  tab: SideTab;
  stages: StageView | null;
  stagesError: string | null;
  reflag: ReflagInfo | null;
  reflagBusy: boolean;
  tuningError: string | null;
  saving: boolean;
  whatIfDraft: WhatIfDraft;
  whatIf: WhatIfResult | null;
  whatIfBusy: boolean;
  whatIfError: string | null;
  pickError: string | null;
  set(patch: Partial<PreviewState>): void;
  reset(): void;
}

const initial = (): Omit<PreviewState, 'set' | 'reset'> => ({
  phase: 'idle',
  error: null,
  progress: null,
  jobId: null,
  info: null,
  geometries: [],
  combinedGeometry: null,
  savedPreset: null,
  draftPreset: null,
  items: [],
  savedItems: [],
  selected: null,
  pendingOpen: null,
  openError: null,
  toggles: { flaggedOnly: false, filteredOnly: false },
  plot: DEFAULT_PLOT_SETTINGS,
  plotProject: null,
  compare: null,
  compareMaps: null,
  compareError: null,
  dataSource: 'auto',
  zoomRevision: 0,
  tab: 'why',
  stages: null,
  stagesError: null,
  reflag: null,
  reflagBusy: false,
  tuningError: null,
  saving: false,
  whatIfDraft: { kind: 'dead-module', position: null, layers: [], factor: 3, ladders: 1, modules: 1 },
  whatIf: null,
  whatIfBusy: false,
  whatIfError: null,
  pickError: null,
});

/** Preview screen state; the pipeline results themselves live in the back end's session. */
export const usePreviewStore = create<PreviewState>((set) => ({
  ...initial(),
  set: (patch) => set(patch),
  reset: () => set(initial()),
}));
