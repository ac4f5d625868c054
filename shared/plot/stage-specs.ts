import { STAGE_MAPS, type ColourStops } from './colour-maps';

/** The heatmap columns of the figure set: which map, what it is called, its fixed colour range and own colour map. */

export type LayerStageKey = 'raw' | 'preprocessed' | 'reconstruction' | 'loss' | 'lossBinary';
export type CombinedStageKey = 'combined' | 'lossMask' | 'final';
export type StageKey = LayerStageKey | CombinedStageKey;

export interface StageSpec {
  key: StageKey;
  title: string;
  /** Shown in the hover, after the value. */
  unit: string;
  /** Colour range when "fixed" is chosen; null = always from the data. */
  fixedRange: ((layers: number) => [number, number]) | null;
  /** The stage's own colour map ("stage default"). */
  defaultMap: ColourStops;
  /** Binary maps show 0/1 without decimals. */
  integer: boolean;
}

export const LAYER_STAGES: StageSpec[] = [
  { key: 'raw', title: 'Raw', unit: 'clusters', fixedRange: null, defaultMap: STAGE_MAPS.intensity, integer: true },
  {
    key: 'preprocessed',
    title: 'Input (preprocessed)',
    unit: '',
    fixedRange: () => [0, 2],
    defaultMap: STAGE_MAPS.intensity,
    integer: false,
  },
  { key: 'reconstruction', title: 'Reconstruction', unit: '', fixedRange: () => [0, 2], defaultMap: STAGE_MAPS.intensity, integer: false },
  { key: 'loss', title: 'Loss (input − reco)²', unit: '', fixedRange: () => [0, 0.1], defaultMap: STAGE_MAPS.loss, integer: false },
  { key: 'lossBinary', title: 'Binary loss', unit: '', fixedRange: () => [0, 1], defaultMap: STAGE_MAPS.binary, integer: true },
];

export const COMBINED_STAGES: StageSpec[] = [
  { key: 'combined', title: 'Combined (layers)', unit: 'layers', fixedRange: (n) => [0, n], defaultMap: STAGE_MAPS.count, integer: true },
  { key: 'lossMask', title: 'Loss mask (layers)', unit: 'layers', fixedRange: (n) => [0, n], defaultMap: STAGE_MAPS.count, integer: true },
  { key: 'final', title: 'Final binary map', unit: '', fixedRange: () => [0, 1], defaultMap: STAGE_MAPS.binary, integer: true },
];

export const ALL_STAGES: StageSpec[] = [...LAYER_STAGES, ...COMBINED_STAGES];
export const STAGE_KEYS: readonly StageKey[] = ALL_STAGES.map((s) => s.key);

export function stageSpec(key: StageKey): StageSpec {
  return ALL_STAGES.find((s) => s.key === key)!;
}
