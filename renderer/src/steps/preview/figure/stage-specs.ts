/** The heatmap columns of the figure set: which map, what it is called, and its fixed colour range. */

export type LayerStageKey = 'raw' | 'preprocessed' | 'reconstruction' | 'loss' | 'lossBinary';
export type CombinedStageKey = 'combined' | 'lossMask' | 'final';
export type StageKey = LayerStageKey | CombinedStageKey;

/** A plotly colour scale: [position 0..1, css colour] pairs. */
export type ColourScale = Array<[number, string]>;

const VIRIDIS: ColourScale = [
  [0, '#440154'],
  [0.13, '#482878'],
  [0.25, '#3e4989'],
  [0.38, '#31688e'],
  [0.5, '#26828e'],
  [0.63, '#1f9e89'],
  [0.75, '#35b779'],
  [0.88, '#6ece58'],
  [1, '#fde725'],
];
/** White → orange → dark red: zero loss disappears, large loss stands out. */
const LOSS: ColourScale = [
  [0, '#ffffff'],
  [0.15, '#fee8c8'],
  [0.4, '#fdbb84'],
  [0.7, '#e34a33'],
  [1, '#7f0000'],
];
const BINARY: ColourScale = [
  [0, '#f7f7f7'],
  [0.5, '#f7f7f7'],
  [0.5, '#b30000'],
  [1, '#b30000'],
];
const COUNT: ColourScale = [
  [0, '#f7fbff'],
  [0.34, '#9ecae1'],
  [0.67, '#3182bd'],
  [1, '#08306b'],
];

export interface StageSpec {
  key: StageKey;
  title: string;
  /** Shown in the hover, after the value. */
  unit: string;
  /** Colour range when "fixed" is chosen; null = always from the data. */
  fixedRange: ((layers: number) => [number, number]) | null;
  colourScale: ColourScale;
  /** Binary maps show 0/1 without decimals. */
  integer: boolean;
}

export const LAYER_STAGES: StageSpec[] = [
  { key: 'raw', title: 'Raw', unit: 'clusters', fixedRange: null, colourScale: VIRIDIS, integer: true },
  { key: 'preprocessed', title: 'Input (preprocessed)', unit: '', fixedRange: () => [0, 2], colourScale: VIRIDIS, integer: false },
  { key: 'reconstruction', title: 'Reconstruction', unit: '', fixedRange: () => [0, 2], colourScale: VIRIDIS, integer: false },
  { key: 'loss', title: 'Loss (input − reco)²', unit: '', fixedRange: () => [0, 0.1], colourScale: LOSS, integer: false },
  { key: 'lossBinary', title: 'Binary loss', unit: '', fixedRange: () => [0, 1], colourScale: BINARY, integer: true },
];

export const COMBINED_STAGES: StageSpec[] = [
  { key: 'combined', title: 'Combined (layers)', unit: 'layers', fixedRange: (n) => [0, n], colourScale: COUNT, integer: true },
  { key: 'lossMask', title: 'Loss mask (layers)', unit: 'layers', fixedRange: (n) => [0, n], colourScale: COUNT, integer: true },
  { key: 'final', title: 'Final binary map', unit: '', fixedRange: () => [0, 1], colourScale: BINARY, integer: true },
];

export type ColourMode = 'fixed' | 'auto';
