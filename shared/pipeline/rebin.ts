/**
 * OpenCV `resize(..., interpolation=INTER_AREA)` as separable weight tables, plus the "keep clip"
 * rebinning of binary maps used to combine layers of different shapes.
 */

/** Source weights of each destination index along one axis. */
export interface AxisTable {
  srcSize: number;
  dstSize: number;
  /** For destination d: entries start[d] .. start[d+1]-1 of src/weight. */
  start: Int32Array;
  src: Int32Array;
  weight: Float64Array;
}

function buildTable(srcSize: number, dstSize: number, entries: Array<[number, number, number]>): AxisTable {
  entries.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const start = new Int32Array(dstSize + 1);
  const src = new Int32Array(entries.length);
  const weight = new Float64Array(entries.length);
  entries.forEach(([d, s, w], k) => {
    start[d + 1]++;
    src[k] = s;
    weight[k] = w;
  });
  for (let d = 0; d < dstSize; d++) start[d + 1] += start[d];
  return { srcSize, dstSize, start, src, weight };
}

/** OpenCV computeResizeAreaTab (downscaling, scale = src/dst ≥ 1); weights rounded to float32 as OpenCV stores them. */
function areaDownTable(ssize: number, dsize: number): AxisTable {
  const scale = ssize / dsize;
  const e: Array<[number, number, number]> = [];
  for (let dx = 0; dx < dsize; dx++) {
    const fsx1 = dx * scale;
    const fsx2 = fsx1 + scale;
    const cellWidth = Math.min(scale, ssize - fsx1);
    let sx1 = Math.ceil(fsx1);
    let sx2 = Math.floor(fsx2);
    sx2 = Math.min(sx2, ssize - 1);
    sx1 = Math.min(sx1, sx2);
    if (sx1 - fsx1 > 1e-3) e.push([dx, sx1 - 1, Math.fround((sx1 - fsx1) / cellWidth)]);
    for (let sx = sx1; sx < sx2; sx++) e.push([dx, sx, Math.fround(1 / cellWidth)]);
    if (fsx2 - sx2 > 1e-3) e.push([dx, sx2, Math.fround(Math.min(Math.min(fsx2 - sx2, 1), cellWidth) / cellWidth)]);
  }
  return buildTable(ssize, dsize, e);
}

/** OpenCV's INTER_AREA coefficients when any axis is enlarged (linear weights in "area mode", border replicated). */
function areaLinearTable(ssize: number, dsize: number): AxisTable {
  const inv = dsize / ssize;
  const scale = 1 / inv;
  const e: Array<[number, number, number]> = [];
  for (let dx = 0; dx < dsize; dx++) {
    let sx = Math.floor(dx * scale);
    let fx = dx + 1 - (sx + 1) * inv;
    fx = fx <= 0 ? 0 : fx - Math.floor(fx);
    fx = Math.fround(fx);
    if (sx < 0) {
      sx = 0;
      fx = 0;
    }
    if (sx >= ssize - 1) {
      sx = ssize - 1;
      fx = 0;
    }
    const s1 = Math.min(sx + 1, ssize - 1);
    if (1 - fx !== 0) e.push([dx, sx, 1 - fx]);
    if (fx !== 0) {
      if (s1 === sx) e[e.length - 1][2] += fx;
      else e.push([dx, s1, fx]);
    }
  }
  return buildTable(ssize, dsize, e);
}

export interface AreaPlan {
  srcRows: number;
  srcCols: number;
  dstRows: number;
  dstCols: number;
  rows: AxisTable;
  cols: AxisTable;
}

/** Weight tables for resizing (srcRows × srcCols) → (dstRows × dstCols) with INTER_AREA. */
export function areaPlan(srcRows: number, srcCols: number, dstRows: number, dstCols: number): AreaPlan {
  if (srcRows < 1 || srcCols < 1 || dstRows < 1 || dstCols < 1)
    throw new Error(`cannot resize ${srcRows}×${srcCols} to ${dstRows}×${dstCols}`);
  // OpenCV takes the pure area path only when neither axis is enlarged.
  const down = srcRows >= dstRows && srcCols >= dstCols;
  const table = down ? areaDownTable : areaLinearTable;
  return { srcRows, srcCols, dstRows, dstCols, rows: table(srcRows, dstRows), cols: table(srcCols, dstCols) };
}

/** cv2.resize(src, (dstCols, dstRows), interpolation=cv2.INTER_AREA) for one 2-D map. */
export function resizeArea(src: ArrayLike<number>, plan: AreaPlan, out = new Float64Array(plan.dstRows * plan.dstCols)): Float64Array {
  const { rows, cols, srcCols, dstRows, dstCols } = plan;
  const tmp = new Float64Array(plan.srcRows * dstCols);
  for (let r = 0; r < plan.srcRows; r++) {
    for (let dx = 0; dx < dstCols; dx++) {
      let s = 0;
      for (let k = cols.start[dx]; k < cols.start[dx + 1]; k++) s += cols.weight[k] * src[r * srcCols + cols.src[k]];
      tmp[r * dstCols + dx] = s;
    }
  }
  for (let dy = 0; dy < dstRows; dy++) {
    for (let dx = 0; dx < dstCols; dx++) {
      let s = 0;
      for (let k = rows.start[dy]; k < rows.start[dy + 1]; k++) s += rows.weight[k] * tmp[rows.src[k] * dstCols + dx];
      out[dy * dstCols + dx] = s;
    }
  }
  return out;
}

/**
 * "Keep clip" rebinning: values ≥ 1 are clipped to 1 and any output bin that a 1 contributes to
 * (non-zero INTER_AREA weight) is 1; other bins keep the area average of the clipped values.
 */
export function rebinKeepClip(src: ArrayLike<number>, plan: AreaPlan): Float64Array {
  const clipped = new Float64Array(plan.srcRows * plan.srcCols);
  for (let i = 0; i < clipped.length; i++) clipped[i] = Math.min(src[i], 1);
  const out = resizeArea(clipped, plan);
  const { rows, cols, srcCols, dstCols } = plan;
  for (let dy = 0; dy < plan.dstRows; dy++) {
    for (let dx = 0; dx < dstCols; dx++) {
      let touched = false;
      for (let a = rows.start[dy]; a < rows.start[dy + 1] && !touched; a++) {
        if (rows.weight[a] === 0) continue;
        for (let b = cols.start[dx]; b < cols.start[dx + 1]; b++) {
          if (cols.weight[b] !== 0 && clipped[rows.src[a] * srcCols + cols.src[b]] >= 1) {
            touched = true;
            break;
          }
        }
      }
      if (touched) out[dy * dstCols + dx] = 1;
    }
  }
  return out;
}

/** Which source indices touch each destination index (non-zero weight), for OR-rebinning 0/1 maps. */
export interface TouchTable {
  start: Int32Array;
  src: Int32Array;
  identity: boolean;
}

function touchTable(t: AxisTable): TouchTable {
  const start = new Int32Array(t.dstSize + 1);
  const src: number[] = [];
  for (let d = 0; d < t.dstSize; d++) {
    for (let k = t.start[d]; k < t.start[d + 1]; k++) if (t.weight[k] !== 0) src.push(t.src[k]);
    start[d + 1] = src.length;
  }
  const identity = t.srcSize === t.dstSize && src.length === t.dstSize && src.every((s, d) => s === d);
  return { start, src: Int32Array.from(src), identity };
}

const touchCache = new WeakMap<AreaPlan, { rows: TouchTable; cols: TouchTable }>();

function touches(plan: AreaPlan): { rows: TouchTable; cols: TouchTable } {
  let t = touchCache.get(plan);
  if (!t) touchCache.set(plan, (t = { rows: touchTable(plan.rows), cols: touchTable(plan.cols) }));
  return t;
}

/**
 * Fast keep-clip rebinning of a 0/1 map (the pipeline's case): output is 1 where any contributing
 * source bin is 1. Adds the result into `acc` (summing layers). `rowOr` is scratch of dstRows × srcCols.
 */
export function addRebinnedBinary(
  src: Uint8Array,
  srcOff: number,
  plan: AreaPlan,
  acc: Uint8Array,
  accOff: number,
  rowOr: Uint8Array,
): void {
  const { rows, cols } = touches(plan);
  const { srcCols, dstRows, dstCols } = plan;
  if (
    srcCols % 4 === 0 &&
    srcOff % 4 === 0 &&
    src.byteOffset % 4 === 0 &&
    rowOr.byteOffset % 4 === 0 &&
    (cols.identity ? accOff % 4 === 0 && acc.byteOffset % 4 === 0 : true)
  ) {
    addRebinnedBinaryWords(src, srcOff, plan, rows, cols, acc, accOff, rowOr);
    return;
  }
  for (let dy = 0; dy < dstRows; dy++) {
    const o = dy * srcCols;
    const k0 = rows.start[dy];
    const k1 = rows.start[dy + 1];
    let s = srcOff + rows.src[k0] * srcCols;
    for (let x = 0; x < srcCols; x++) rowOr[o + x] = src[s + x];
    for (let k = k0 + 1; k < k1; k++) {
      s = srcOff + rows.src[k] * srcCols;
      for (let x = 0; x < srcCols; x++) rowOr[o + x] |= src[s + x];
    }
  }
  if (cols.identity) {
    const t = dstRows * dstCols;
    for (let k = 0; k < t; k++) acc[accOff + k] += rowOr[k];
    return;
  }
  addColumnOr(rowOr, plan, cols, acc, accOff);
}

/** Column pass shared by both row passes: OR the source columns touching each output column, add to acc. */
function addColumnOr(rowOr: Uint8Array, plan: AreaPlan, cols: TouchTable, acc: Uint8Array, accOff: number): void {
  const { srcCols, dstRows, dstCols } = plan;
  const cs = cols.start;
  const csrc = cols.src;
  for (let dy = 0; dy < dstRows; dy++) {
    const o = dy * srcCols;
    const d = accOff + dy * dstCols;
    for (let dx = 0; dx < dstCols; dx++) {
      let v = 0;
      for (let k = cs[dx]; k < cs[dx + 1]; k++) v |= rowOr[o + csrc[k]];
      acc[d + dx] += v;
    }
  }
}

/** The same on 32-bit words (4 bins at a time): OR and add never carry across bytes for 0/1 maps of < 256 layers. */
function addRebinnedBinaryWords(
  src: Uint8Array,
  srcOff: number,
  plan: AreaPlan,
  rows: TouchTable,
  cols: TouchTable,
  acc: Uint8Array,
  accOff: number,
  rowOr: Uint8Array,
): void {
  const { srcCols, dstRows } = plan;
  const wc = srcCols >> 2;
  const s32 = wordView(src);
  const r32 = wordView(rowOr);
  const so = srcOff >> 2;
  for (let dy = 0; dy < dstRows; dy++) {
    const o = dy * wc;
    const k0 = rows.start[dy];
    const k1 = rows.start[dy + 1];
    let s = so + rows.src[k0] * wc;
    for (let x = 0; x < wc; x++) r32[o + x] = s32[s + x];
    for (let k = k0 + 1; k < k1; k++) {
      s = so + rows.src[k] * wc;
      for (let x = 0; x < wc; x++) r32[o + x] |= s32[s + x];
    }
  }
  if (cols.identity) {
    const a32 = wordView(acc);
    const ao = accOff >> 2;
    const words = dstRows * wc;
    for (let k = 0; k < words; k++) a32[ao + k] += r32[k];
    return;
  }
  addColumnOr(rowOr, plan, cols, acc, accOff);
}

const wordViews = new WeakMap<Uint8Array, Uint32Array>();

/** A cached Uint32 view of a 4-byte-aligned byte array (the bytes past the last full word are not covered). */
function wordView(a: Uint8Array): Uint32Array {
  let v = wordViews.get(a);
  if (!v) wordViews.set(a, (v = new Uint32Array(a.buffer, a.byteOffset, a.length >> 2)));
  return v;
}
