/**
 * The colour maps of the stage maps, one copy for the Preview (renderer) and the PDF report (back
 * end): both turn a value into a colour through `colourLut`, so a map looks the same on screen,
 * in an exported figure and in the report.
 */

/** [position 0..1, '#rrggbb'] stops, linearly interpolated in sRGB; two stops at one position make a step. */
export type ColourStops = ReadonlyArray<readonly [number, string]>;

/**
 * What the user can choose per stage column: the stage's own map (`default`), or one map for
 * every stage of the column.
 */
export type ColourMapId = 'default' | 'viridis' | 'bird' | 'dqm';
export const COLOUR_MAP_IDS: readonly ColourMapId[] = ['default', 'viridis', 'bird', 'dqm'];

/** matplotlib's viridis (its default since 2.0): perceptually uniform, readable in grey and by colour-blind readers. */
const VIRIDIS: ColourStops = [
  [0, '#440154'],
  [0.0625, '#48186a'],
  [0.125, '#472d7b'],
  [0.1875, '#424086'],
  [0.25, '#3b528b'],
  [0.3125, '#33638d'],
  [0.375, '#2c728e'],
  [0.4375, '#26828e'],
  [0.5, '#21918c'],
  [0.5625, '#1fa088'],
  [0.625, '#28ae80'],
  [0.6875, '#3fbc73'],
  [0.75, '#5ec962'],
  [0.8125, '#84d44b'],
  [0.875, '#addc30'],
  [0.9375, '#d8e219'],
  [1, '#fde725'],
];

const hex2 = (v: number) =>
  Math.round(Math.max(0, Math.min(1, v)) * 255)
    .toString(16)
    .padStart(2, '0');
const rgbHex = (r: number, g: number, b: number) => `#${hex2(r)}${hex2(g)}${hex2(b)}`;

/** ROOT 6's default palette kBird (57): nine RGB stops at equal distances (TColor::SetPalette). */
const BIRD: ColourStops = (() => {
  const r = [0.2082, 0.0592, 0.078, 0.0232, 0.1802, 0.5301, 0.8186, 0.9956, 0.9764];
  const g = [0.1664, 0.3599, 0.5041, 0.6419, 0.7178, 0.7492, 0.7328, 0.7862, 0.9832];
  const b = [0.5293, 0.8684, 0.8385, 0.7914, 0.6425, 0.4662, 0.3499, 0.1968, 0.0539];
  return r.map((_, i) => [i / 8, rgbHex(r[i], g[i], b[i])] as const);
})();

/** HLS → RGB as ROOT's TColor::HLStoRGB (hue in degrees, lightness and saturation 0..1). */
function hlsToRgb(hue: number, light: number, sat: number): [number, number, number] {
  const q = light < 0.5 ? light * (1 + sat) : light + sat - light * sat;
  const p = 2 * light - q;
  const channel = (t: number) => {
    const h = ((t % 360) + 360) % 360;
    if (h < 60) return p + ((q - p) * h) / 60;
    if (h < 180) return q;
    if (h < 240) return p + ((q - p) * (240 - h)) / 60;
    return p;
  };
  return [channel(hue + 120), channel(hue), channel(hue - 120)];
}

/**
 * The DQM GUI's pixel maps: the pixel render plugin draws every TH2 with `gStyle->SetPalette(1)`,
 * ROOT's "pretty palette" — 50 fully saturated colours from violet (hue 274°) to red (hue 0°),
 * drawn as 50 flat steps (each colour covers 1/50 of the range), not as a gradient.
 */
const DQM: ColourStops = (() => {
  const n = 50;
  const stops: Array<readonly [number, string]> = [];
  for (let i = 0; i < n; i++) {
    const c = rgbHex(...hlsToRgb(280 - ((i + 1) * 280) / n, 0.5, 1));
    stops.push([i / n, c], [(i + 1) / n, c]);
  }
  return stops;
})();

export const COLOUR_MAPS: Record<Exclude<ColourMapId, 'default'>, { label: string; stops: ColourStops }> = {
  viridis: { label: 'viridis (perceptually uniform)', stops: VIRIDIS },
  bird: { label: 'kBird (ROOT 6 default)', stops: BIRD },
  dqm: { label: 'DQM GUI (ROOT palette 1)', stops: DQM },
};

export const COLOUR_MAP_LABEL: Record<ColourMapId, string> = {
  default: 'stage default',
  viridis: COLOUR_MAPS.viridis.label,
  bird: COLOUR_MAPS.bird.label,
  dqm: COLOUR_MAPS.dqm.label,
};

/** The stages' own maps. */
export const STAGE_MAPS = {
  /** viridis for counts and intensities (the same stops as the viridis choice). */
  intensity: VIRIDIS,
  /** White → orange → dark red: zero loss disappears, large loss stands out. */
  loss: [
    [0, '#ffffff'],
    [0.15, '#fee8c8'],
    [0.4, '#fdbb84'],
    [0.7, '#e34a33'],
    [1, '#7f0000'],
  ],
  /** Light grey below ½, dark red above: a hard step for 0/1 maps. */
  binary: [
    [0, '#f7f7f7'],
    [0.5, '#f7f7f7'],
    [0.5, '#b30000'],
    [1, '#b30000'],
  ],
  /** Light → dark blue for layer counts. */
  count: [
    [0, '#f7fbff'],
    [0.34, '#9ecae1'],
    [0.67, '#3182bd'],
    [1, '#08306b'],
  ],
} satisfies Record<string, ColourStops>;

/**
 * Differences (Compare): blue for negative, white at zero, red for positive — ColorBrewer's RdBu
 * reversed, what matplotlib users pick as 'RdBu_r' for A − B.
 */
export const DIFFERENCE_MAP: ColourStops = [
  [0, '#053061'],
  [0.1, '#2166ac'],
  [0.2, '#4393c3'],
  [0.3, '#92c5de'],
  [0.4, '#d1e5f0'],
  [0.5, '#f7f7f7'],
  [0.6, '#fddbc7'],
  [0.7, '#f4a582'],
  [0.8, '#d6604d'],
  [0.9, '#b2182b'],
  [1, '#67001f'],
];

/** The stops a column draws with: the chosen map, or the stage's own. */
export function stopsFor(choice: ColourMapId, stageDefault: ColourStops): ColourStops {
  return choice === 'default' ? stageDefault : COLOUR_MAPS[choice].stops;
}

export const LUT_SIZE = 256;
const lutCache = new WeakMap<ColourStops, Uint8ClampedArray>();

function parseHex(c: string): [number, number, number] {
  const h = c.replace('#', '');
  return [parseInt(h.slice(0, 2), 16), parseInt(h.slice(2, 4), 16), parseInt(h.slice(4, 6), 16)];
}

/** LUT_SIZE RGB entries sampled along the stops (entry i at position i / (LUT_SIZE − 1)). */
export function colourLut(stops: ColourStops): Uint8ClampedArray {
  let lut = lutCache.get(stops);
  if (lut) return lut;
  lut = new Uint8ClampedArray(LUT_SIZE * 3);
  const parsed = stops.map(([p, c]) => ({ p, rgb: parseHex(c) }));
  for (let i = 0; i < LUT_SIZE; i++) {
    const t = i / (LUT_SIZE - 1);
    let k = parsed.findIndex((s) => s.p > t);
    if (k < 0) k = parsed.length - 1;
    const a = parsed[Math.max(0, k - 1)];
    const b = parsed[k];
    const f = b.p > a.p ? Math.min(1, Math.max(0, (t - a.p) / (b.p - a.p))) : 1;
    for (let ch = 0; ch < 3; ch++) lut[i * 3 + ch] = Math.round(a.rgb[ch] + (b.rgb[ch] - a.rgb[ch]) * f);
  }
  lutCache.set(stops, lut);
  return lut;
}

/** A CSS gradient of the stops (left → right), for colour bars drawn in HTML. */
export function cssGradient(stops: ColourStops): string {
  return `linear-gradient(to right, ${stops.map(([p, c]) => `${c} ${(p * 100).toFixed(2)}%`).join(', ')})`;
}
