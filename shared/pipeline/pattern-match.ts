import type { PatternSpec } from '../preset/model-preset';
import { patternMatrix } from '../preset/model-preset';

/** A pattern ready for matching; `constant` is set when every value is equal (fast integral-image path). */
export interface CompiledPattern {
  rows: number;
  cols: number;
  values: Float64Array;
  constant: number | null;
  sumSq: number;
}

export function compilePattern(spec: PatternSpec): CompiledPattern {
  const { rows, cols, values } = patternMatrix(spec);
  let sumSq = 0;
  for (const v of values) sumSq += v * v;
  const constant = values.every((v) => v === values[0]) ? values[0] : null;
  return { rows, cols, values, constant, sumSq };
}

/**
 * OpenCV `matchTemplate(src, pattern, TM_SQDIFF)`: for every window position (valid mode, no padding)
 * the sum of squared differences. Output has (h − ph + 1) × (w − pw + 1) values, empty when the
 * pattern is larger than the map. Reference implementation (direct sums) for tests and the API.
 */
export function matchTemplateSqdiff(
  src: ArrayLike<number>,
  h: number,
  w: number,
  p: CompiledPattern,
): { rows: number; cols: number; values: Float64Array } {
  const rows = Math.max(0, h - p.rows + 1);
  const cols = Math.max(0, w - p.cols + 1);
  const values = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      let s = 0;
      for (let a = 0; a < p.rows; a++) {
        const base = (i + a) * w + j;
        for (let b = 0; b < p.cols; b++) {
          const d = src[base + b] - p.values[a * p.cols + b];
          s += d * d;
        }
      }
      values[i * cols + j] = s;
    }
  }
  return { rows, cols, values };
}

/** Reusable buffers for matching on maps of up to `maxBins` bins. */
export class MatchScratch {
  integral: Float64Array;
  integralSq: Float64Array;
  integralBin: Int32Array;
  /** Ones per row and per column of a block of rows (markThresholdMatches). */
  rowOnes: Int32Array;
  colOnes: Int32Array;
  constructor(maxRows: number, maxCols: number) {
    const n = (maxRows + 1) * (maxCols + 1);
    this.integral = new Float64Array(n);
    this.integralSq = new Float64Array(n);
    this.integralBin = new Int32Array(n);
    this.rowOnes = new Int32Array(maxRows);
    this.colOnes = new Int32Array(maxCols);
  }
  ensure(rows: number, cols: number): void {
    const n = (rows + 1) * (cols + 1);
    if (this.integral.length < n) {
      this.integral = new Float64Array(n);
      this.integralSq = new Float64Array(n);
      this.integralBin = new Int32Array(n);
    }
    if (this.rowOnes.length < rows) this.rowOnes = new Int32Array(rows);
    if (this.colOnes.length < cols) this.colOnes = new Int32Array(cols);
  }
}

/**
 * Matching a constant pattern (value v, n bins) on a 0/1 map: SQDIFF = (1 − 2v)·S + n·v², S = ones in
 * the window. Returns the smallest S a window needs to match, or null when no window can match
 * (or every window matches, which callers handle through the general path).
 */
export function minOnesForBinaryMatch(p: CompiledPattern, threshold: number): number | null {
  const v = p.constant;
  if (v === null || !(v > 0.5)) return null;
  const n = p.rows * p.cols;
  // (1 − 2v)·S + n·v² < threshold  ⇔  S > (n·v² − threshold) / (2v − 1)
  const bound = (n * v * v - threshold) / (2 * v - 1);
  return Math.max(0, Math.floor(bound) + 1);
}

/** Int32 integral image of the 0/1 map src[off…] (h × w) into I ((h + 1) × (w + 1)). */
function binaryIntegral(src: Uint8Array, off: number, h: number, w: number, I: Int32Array): void {
  const W = w + 1;
  I.fill(0, 0, W);
  for (let i = 0; i < h; i++) {
    let run = 0;
    const r = (i + 1) * W;
    I[r] = 0;
    const s = off + i * w;
    for (let j = 0; j < w; j++) {
      run += src[s + j];
      I[r + j + 1] = I[r - W + j + 1] + run;
    }
  }
}

/**
 * Like markMatches for a 0/1 map whose number of ones is known (the pipeline's hot path). A constant
 * pattern with v > 0.5 matches where its window holds enough ones: one Int32 integral image, and maps
 * with too few ones to match anywhere are skipped.
 */
export function markBinaryMatches(
  src: Uint8Array,
  ones: number,
  h: number,
  w: number,
  p: CompiledPattern,
  threshold: number,
  out: Uint8Array,
  outOff: number,
  scratch: MatchScratch,
): void {
  const minOnes = minOnesForBinaryMatch(p, threshold);
  if (minOnes === null) {
    markMatches(src, 0, h, w, p, threshold, out, outOff, scratch);
    return;
  }
  const pr = p.rows;
  const pc = p.cols;
  if (pr > h || pc > w || ones < minOnes) return;
  scratch.ensure(h, w);
  const I = scratch.integralBin;
  binaryIntegral(src, 0, h, w, I);
  markFromIntegral(I, h, w, pr, pc, minOnes, out, outOff);
}

/** Set every window (pr × pc) whose integral-image count is at least minOnes to 1 in out (h × w at outOff). */
function markFromIntegral(
  I: Int32Array,
  h: number,
  w: number,
  pr: number,
  pc: number,
  minOnes: number,
  out: Uint8Array,
  outOff: number,
): void {
  const W = w + 1;
  const rows = h - pr + 1;
  const cols = w - pc + 1;
  const dr = pr * W;
  for (let i = 0; i < rows; i++) {
    const top = i * W;
    for (let j = 0; j < cols; j++) {
      const a = top + j;
      if (I[a + dr + pc] - I[a + pc] - I[a + dr] + I[a] < minOnes) continue;
      for (let r = 0; r < pr; r++) {
        const o = outOff + (i + r) * w + j;
        for (let c = 0; c < pc; c++) out[o + c] = 1;
      }
    }
  }
}

/**
 * Clustering's hot path for a constant pattern (minOnes from minOnesForBinaryMatch, not null): the
 * pr × pc windows of the 0/1 map "values > thr" of values[off…] (h × w) that hold at least minOnes
 * ones, marked in out (NaN compares false). A window holds at most the ones of its rows, so the ones
 * are counted per row first and only blocks of pr rows with enough of them are looked at, column by
 * column; in most maps no block has (the anomalous bins are few and spread), and the map is read once.
 */
export function markThresholdMatches(
  values: Float32Array,
  off: number,
  thr: number,
  h: number,
  w: number,
  p: CompiledPattern,
  minOnes: number,
  out: Uint8Array,
  outOff: number,
  scratch: MatchScratch,
): void {
  const pr = p.rows;
  const pc = p.cols;
  if (pr > h || pc > w) return;
  scratch.ensure(h, w);
  const rowOnes = scratch.rowOnes;
  let total = 0;
  for (let i = 0; i < h; i++) {
    let ones = 0;
    for (let k = off + i * w, end = k + w; k < end; k++) ones += values[k] > thr ? 1 : 0;
    rowOnes[i] = ones;
    total += ones;
  }
  if (total < minOnes) return;
  const colOnes = scratch.colOnes;
  // ones in rows i … i + pr − 1
  let block = 0;
  for (let a = 0; a < pr - 1; a++) block += rowOnes[a];
  for (let i = 0; i + pr <= h; i++) {
    block += rowOnes[i + pr - 1];
    if (block >= minOnes) {
      for (let j = 0; j < w; j++) {
        let ones = 0;
        for (let a = 0, k = off + i * w + j; a < pr; a++, k += w) ones += values[k] > thr ? 1 : 0;
        colOnes[j] = ones;
      }
      // ones in columns j … j + pc − 1 of the block
      let window = 0;
      for (let j = 0; j < pc; j++) window += colOnes[j];
      for (let j = 0; ; j++) {
        if (window >= minOnes) for (let r = 0, o = outOff + i * w + j; r < pr; r++, o += w) out.fill(1, o, o + pc);
        if (j + pc >= w) break;
        window += colOnes[j + pc] - colOnes[j];
      }
    }
    block -= rowOnes[i];
  }
}

/** Like containsPattern for a 0/1 map with a known number of ones. */
export function containsBinaryPattern(
  src: Uint8Array,
  srcOff: number,
  ones: number,
  h: number,
  w: number,
  p: CompiledPattern,
  threshold: number,
  scratch: MatchScratch,
): boolean {
  const minOnes = minOnesForBinaryMatch(p, threshold);
  if (minOnes === null) return containsPattern(src, srcOff, h, w, p, threshold, scratch);
  const pr = p.rows;
  const pc = p.cols;
  if (pr > h || pc > w || ones < minOnes) return false;
  scratch.ensure(h, w);
  const I = scratch.integralBin;
  binaryIntegral(src, srcOff, h, w, I);
  const W = w + 1;
  const rows = h - pr + 1;
  const cols = w - pc + 1;
  const dr = pr * W;
  for (let i = 0; i < rows; i++) {
    const top = i * W;
    for (let j = 0; j < cols; j++) {
      const a = top + j;
      if (I[a + dr + pc] - I[a + pc] - I[a + dr] + I[a] >= minOnes) return true;
    }
  }
  return false;
}

/**
 * Visit every window whose TM_SQDIFF to the pattern is < threshold; stops early when `visit` returns
 * true. Constant patterns use integral images: SQDIFF = Σx² − 2v·Σx + n·v².
 */
function forEachMatch(
  src: ArrayLike<number>,
  off: number,
  h: number,
  w: number,
  p: CompiledPattern,
  threshold: number,
  scratch: MatchScratch,
  visit: (i: number, j: number) => boolean,
): void {
  if (p.rows > h || p.cols > w) return;
  const rows = h - p.rows + 1;
  const cols = w - p.cols + 1;
  if (p.constant !== null) {
    scratch.ensure(h, w);
    const I = scratch.integral;
    const I2 = scratch.integralSq;
    const W = w + 1;
    for (let j = 0; j <= w; j++) {
      I[j] = 0;
      I2[j] = 0;
    }
    for (let i = 0; i < h; i++) {
      let run = 0;
      let run2 = 0;
      const r = (i + 1) * W;
      I[r] = 0;
      I2[r] = 0;
      const s = off + i * w;
      for (let j = 0; j < w; j++) {
        const x = src[s + j];
        run += x;
        run2 += x * x;
        I[r + j + 1] = I[r - W + j + 1] + run;
        I2[r + j + 1] = I2[r - W + j + 1] + run2;
      }
    }
    const v = p.constant;
    const nv2 = p.rows * p.cols * v * v;
    for (let i = 0; i < rows; i++) {
      const top = i * W;
      const bot = (i + p.rows) * W;
      for (let j = 0; j < cols; j++) {
        const a = top + j;
        const b = top + j + p.cols;
        const c = bot + j;
        const d = bot + j + p.cols;
        const s1 = I[d] - I[b] - I[c] + I[a];
        const s2 = I2[d] - I2[b] - I2[c] + I2[a];
        if (s2 - 2 * v * s1 + nv2 < threshold && visit(i, j)) return;
      }
    }
    return;
  }
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      let s = 0;
      for (let a = 0; a < p.rows && s < threshold; a++) {
        const base = off + (i + a) * w + j;
        for (let b = 0; b < p.cols; b++) {
          const d = src[base + b] - p.values[a * p.cols + b];
          s += d * d;
        }
      }
      if (s < threshold && visit(i, j)) return;
    }
  }
}

/** OR into `out` (h × w at outOff) every pattern-sized window that matches the pattern. */
export function markMatches(
  src: ArrayLike<number>,
  srcOff: number,
  h: number,
  w: number,
  p: CompiledPattern,
  threshold: number,
  out: Uint8Array,
  outOff: number,
  scratch: MatchScratch,
): void {
  forEachMatch(src, srcOff, h, w, p, threshold, scratch, (i, j) => {
    for (let a = 0; a < p.rows; a++) out.fill(1, outOff + (i + a) * w + j, outOff + (i + a) * w + j + p.cols);
    return false;
  });
}

/** True when any window matches the pattern (TM_SQDIFF < threshold). */
export function containsPattern(
  src: ArrayLike<number>,
  srcOff: number,
  h: number,
  w: number,
  p: CompiledPattern,
  threshold: number,
  scratch: MatchScratch,
): boolean {
  let found = false;
  forEachMatch(src, srcOff, h, w, p, threshold, scratch, () => (found = true));
  return found;
}
