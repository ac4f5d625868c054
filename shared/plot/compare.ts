import { croppedMapRows, fullMapRows, type HeatmapRows, type LayerGeometry } from '@/shared/pixel-geometry';
import { DIFFERENCE_MAP, stopsFor } from './colour-maps';
import { resolveRange, valueStats, type ResolvedRange } from './colour-scale';
import { columnScale, type ColumnScales, type LumisectionStageMaps, type Panel } from './panels';
import { COMBINED_STAGES, stageSpec, type LayerStageKey, type StageKey, type StageSpec } from './stage-specs';

/**
 * Compare: one stage of two lumisections (or an LS and its run's average) side by side with their
 * difference, per layer (or the combined row for the combined stages). A and B are drawn with the
 * same range — the column's settings applied to both maps together — so equal colours mean equal
 * values; the difference A − B is linear, symmetric around 0, blue below and red above.
 */

export interface CompareLabels {
  a: string;
  b: string;
}

function rowsOf(maps: LumisectionStageMaps, key: StageKey, geometries: LayerGeometry[], combined: LayerGeometry): HeatmapRows[] {
  if (COMBINED_STAGES.some((s) => s.key === key)) {
    const flat = key === 'combined' ? maps.combined : key === 'lossMask' ? maps.lossMask : maps.final;
    return [croppedMapRows(combined, flat)];
  }
  return maps.layers.map((l, i) =>
    key === 'raw' ? fullMapRows(geometries[i], l.raw) : croppedMapRows(geometries[i], l[key as Exclude<LayerStageKey, 'raw'>]),
  );
}

function difference(a: HeatmapRows, b: HeatmapRows): HeatmapRows {
  return a.map((row, r) => row.map((v, c) => (v === null || b[r][c] === null ? null : v - b[r][c]!)));
}

/** Symmetric linear range of a difference: ±the largest |A − B| (±1 when A and B are equal). */
export function differenceRange(maps: HeatmapRows[]): ResolvedRange {
  const s = valueStats(maps);
  const m = s ? Math.max(Math.abs(s.min), Math.abs(s.max)) : 0;
  const h = m > 0 ? m : 1;
  return { lo: -h, hi: h, scale: 'linear', source: 'auto', notes: m > 0 ? [] : ['A and B are equal'] };
}

/** Per row (layer, or the combined row): the A panel, the B panel and A − B. */
export function buildComparePanels(
  a: LumisectionStageMaps,
  b: LumisectionStageMaps,
  key: StageKey,
  labels: CompareLabels,
  geometries: LayerGeometry[],
  combined: LayerGeometry,
  scales?: ColumnScales,
): Panel[] {
  const spec = stageSpec(key);
  const isCombined = COMBINED_STAGES.includes(spec);
  const A = rowsOf(a, key, geometries, combined);
  const B = rowsOf(b, key, geometries, combined);
  const D = A.map((rows, i) => difference(rows, B[i]));
  const col = columnScale(scales, key);
  const range = resolveRange(col, spec.fixedRange?.(a.layers.length) ?? null, valueStats([...A, ...B]));
  const stops = stopsFor(col.colourMap, spec.defaultMap);
  const dRange = differenceRange(D);
  const titled = (title: string): StageSpec => ({ ...spec, title });
  const specA = titled(`${labels.a} · ${spec.title}`);
  const specB = titled(`${labels.b} · ${spec.title}`);
  const specD = { ...titled(`Difference A − B`), fixedRange: null, integer: false, defaultMap: DIFFERENCE_MAP };
  const panels: Panel[] = [];
  A.forEach((rows, i) => {
    const g = isCombined ? combined : geometries[i];
    const layer = isCombined ? -1 : i;
    const layerName = isCombined ? `combined (${combined.name} binning)` : g.name;
    panels.push(
      { layer, layerName, geometry: g, stage: specA, values: rows, range, stops },
      { layer, layerName, geometry: g, stage: specB, values: B[i], range, stops },
      { layer, layerName, geometry: g, stage: specD, values: D[i], range: dRange, stops: DIFFERENCE_MAP, ownScale: true },
    );
  });
  return panels;
}
