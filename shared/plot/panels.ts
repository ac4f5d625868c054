import { croppedMapRows, fullMapRows, type HeatmapRows, type LayerGeometry } from '@/shared/pixel-geometry';
import { colourLut, stopsFor, type ColourStops } from './colour-maps';
import { DEFAULT_COLUMN_SCALE, lutIndexer, resolveRange, valueStats, type ColumnScale, type ResolvedRange } from './colour-scale';
import { COMBINED_STAGES, LAYER_STAGES, type LayerStageKey, type StageKey, type StageSpec } from './stage-specs';

/** One lumisection's maps, flat row-major; every layer map but `raw` is cropped (cross removed). */
export interface LayerStageMaps {
  name: string;
  raw: ArrayLike<number>;
  preprocessed: ArrayLike<number>;
  reconstruction: ArrayLike<number>;
  loss: ArrayLike<number>;
  lossBinary: ArrayLike<number>;
}

export interface LumisectionStageMaps {
  layers: LayerStageMaps[];
  /** In the first layer's cropped binning. */
  combined: ArrayLike<number>;
  lossMask: ArrayLike<number>;
  final: ArrayLike<number>;
}

/** A rectangle of full-map bins (half-open) of the first layer's binning, outlined on the final map. */
export interface MarkedRegion {
  row0: number;
  row1: number;
  col0: number;
  col1: number;
  label: string;
}

/** How each stage column is drawn (missing columns: linear, fixed range, stage colour map). */
export type ColumnScales = Partial<Record<StageKey, ColumnScale>>;

export function columnScale(scales: ColumnScales | undefined, key: StageKey): ColumnScale {
  return scales?.[key] ?? DEFAULT_COLUMN_SCALE;
}

/** One subplot's map: full-map rows (gaps null), its stage, layer, colour range and colour map. */
export interface Panel {
  /** Layer row index, or −1 for the combined row. */
  layer: number;
  layerName: string;
  geometry: LayerGeometry;
  stage: StageSpec;
  values: HeatmapRows;
  range: ResolvedRange;
  stops: ColourStops;
  /** Its colour scale is not its column's settings (the difference map of Compare). */
  ownScale?: true;
}

/**
 * Every map of one LS as panels (each layer's stages, then the combined row), with the colour
 * range of each stage column: fixed, typed in, or from this LS's data of that stage over all
 * layers — one range per column, so one colour bar per stage column stays valid.
 */
export function buildPanels(
  maps: LumisectionStageMaps,
  geometries: LayerGeometry[],
  combinedGeometry: LayerGeometry,
  scales?: ColumnScales,
): Panel[] {
  const nLayers = maps.layers.length;
  const panels: Panel[] = [];
  for (const spec of LAYER_STAGES) {
    const values = maps.layers.map((l, i) =>
      spec.key === 'raw' ? fullMapRows(geometries[i], l.raw) : croppedMapRows(geometries[i], l[spec.key as Exclude<LayerStageKey, 'raw'>]),
    );
    const col = columnScale(scales, spec.key);
    const range = resolveRange(col, spec.fixedRange?.(nLayers) ?? null, valueStats(values));
    const stops = stopsFor(col.colourMap, spec.defaultMap);
    values.forEach((v, i) =>
      panels.push({ layer: i, layerName: geometries[i].name, geometry: geometries[i], stage: spec, values: v, range, stops }),
    );
  }
  const combined = [maps.combined, maps.lossMask, maps.final];
  COMBINED_STAGES.forEach((spec, k) => {
    const values = croppedMapRows(combinedGeometry, combined[k]);
    const col = columnScale(scales, spec.key);
    panels.push({
      layer: -1,
      layerName: `combined (${combinedGeometry.name} binning)`,
      geometry: combinedGeometry,
      stage: spec,
      values,
      range: resolveRange(col, spec.fixedRange?.(nLayers) ?? null, valueStats([values])),
      stops: stopsFor(col.colourMap, spec.defaultMap),
    });
  });
  // Row-major order of the figure: each layer's stages, then the combined row.
  return panels.sort((a, b) => rowKey(a) - rowKey(b) || columnOf(a) - columnOf(b));
}

const rowKey = (p: Panel) => (p.layer < 0 ? 1e6 : p.layer);
const columnOf = (p: Panel) => (p.layer < 0 ? COMBINED_STAGES : LAYER_STAGES).indexOf(p.stage);

/**
 * A map as pixels, one per bin, the top row first (row 0 of the map is at the bottom), coloured
 * with `stops` over `range`. RGBA (`channels` 4): bins not drawn (gaps, and ≤ 0 on a log scale)
 * are transparent. RGB (3): they take `background`.
 */
export function paintMap(
  values: HeatmapRows,
  range: Pick<ResolvedRange, 'lo' | 'hi' | 'scale'>,
  stops: ColourStops,
  out: Uint8ClampedArray | Uint8Array,
  channels: 3 | 4,
  background: readonly [number, number, number] = [255, 255, 255],
): void {
  const rows = values.length;
  const cols = values[0]?.length ?? 0;
  const lut = colourLut(stops);
  const index = lutIndexer(range);
  for (let r = 0; r < rows; r++) {
    const row = values[r];
    let o = (rows - 1 - r) * cols * channels;
    for (let c = 0; c < cols; c++, o += channels) {
      const i = index(row[c]) * 3;
      if (i < 0) {
        if (channels === 4) {
          out[o] = out[o + 1] = out[o + 2] = out[o + 3] = 0;
        } else {
          out[o] = background[0];
          out[o + 1] = background[1];
          out[o + 2] = background[2];
        }
        continue;
      }
      out[o] = lut[i];
      out[o + 1] = lut[i + 1];
      out[o + 2] = lut[i + 2];
      if (channels === 4) out[o + 3] = 255;
    }
  }
}
