import { BINS_PER_LADDER, columnCentre, croppedColumnOfFull, croppedRowOfFull, rowCentre, type LayerGeometry } from './barrel-geometry';

/**
 * Turning flat row-major stage maps into what a heatmap draws: rows bottom-up in full-map
 * coordinates, with the removed centre cross (and NaN) as gaps (null).
 */
export type HeatmapRows = (number | null)[][];

/** A full (raw-shaped) map, flat row-major. */
export function fullMapRows(g: LayerGeometry, flat: ArrayLike<number>): HeatmapRows {
  checkLength(g, flat.length, g.rows * g.cols, 'full');
  const out: HeatmapRows = new Array(g.rows);
  for (let r = 0; r < g.rows; r++) {
    const row = new Array<number | null>(g.cols);
    const base = r * g.cols;
    for (let c = 0; c < g.cols; c++) {
      const v = flat[base + c];
      row[c] = Number.isFinite(v) ? v : null;
    }
    out[r] = row;
  }
  return out;
}

/** A cropped map (cross removed, flat row-major) placed back into full-map coordinates. */
export function croppedMapRows(g: LayerGeometry, flat: ArrayLike<number>): HeatmapRows {
  checkLength(g, flat.length, g.croppedRows * g.croppedCols, 'cropped');
  const colIndex = croppedColumnIndex(g);
  const out: HeatmapRows = new Array(g.rows);
  for (let r = 0; r < g.rows; r++) {
    const cr = croppedRowOfFull(g, r);
    const row = new Array<number | null>(g.cols);
    if (cr < 0) row.fill(null);
    else {
      const base = cr * g.croppedCols;
      for (let c = 0; c < g.cols; c++) {
        const cc = colIndex[c];
        const v = cc < 0 ? NaN : flat[base + cc];
        row[c] = Number.isFinite(v) ? v : null;
      }
    }
    out[r] = row;
  }
  return out;
}

const columnIndexCache = new WeakMap<LayerGeometry, Int32Array>();
function croppedColumnIndex(g: LayerGeometry): Int32Array {
  let idx = columnIndexCache.get(g);
  if (!idx) {
    idx = new Int32Array(g.cols);
    for (let c = 0; c < g.cols; c++) idx[c] = croppedColumnOfFull(g, c);
    columnIndexCache.set(g, idx);
  }
  return idx;
}

function checkLength(g: LayerGeometry, actual: number, expected: number, kind: string): void {
  if (actual !== expected) {
    throw new Error(
      `${g.name}: ${kind} map has ${actual} values, expected ${expected} (${kind === 'full' ? `${g.rows}×${g.cols}` : `${g.croppedRows}×${g.croppedCols}`})`,
    );
  }
}

/** Bin centres along x and y (axis values) for heatmap x/y arrays. */
export function binCentres(g: LayerGeometry): { x: number[]; y: number[] } {
  return {
    x: Array.from({ length: g.cols }, (_, c) => columnCentre(g, c)),
    y: Array.from({ length: g.rows }, (_, r) => rowCentre(g, r)),
  };
}

/**
 * The ladder of another layer at the same φ: ladders are spread evenly in φ on each layer, so the
 * ladder whose centre sits at the same fraction of its half-shell is taken (BPix2 +14 ≈ BPix4 +31).
 */
export function equivalentLadder(from: LayerGeometry, to: LayerGeometry, ladder: number): number {
  if (ladder === 0) return 0;
  const fraction = (Math.abs(ladder) - 0.5) / from.maxLadder;
  const target = Math.max(1, Math.min(to.maxLadder, Math.round(fraction * to.maxLadder + 0.5)));
  return Math.sign(ladder) * target;
}

/** Full-map rows (bottom, top+1) covered by a signed ladder. */
export function rowsOfLadder(g: LayerGeometry, ladder: number): [number, number] {
  const r0 = (ladder + g.maxLadder) * BINS_PER_LADDER;
  return [r0, r0 + BINS_PER_LADDER];
}
