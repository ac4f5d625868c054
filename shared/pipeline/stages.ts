import type { CompiledLayer, CompiledPipeline } from './model';
import type { NumericArray } from './ndarray';
import { addRebinnedBinary } from './rebin';
import { containsBinaryPattern, markBinaryMatches, markThresholdMatches, matchTemplateSqdiff, MatchScratch } from './pattern-match';

/**
 * The numeric stages of PixelNMF on a chunk of n lumisections. Maps are stored LS-major in flat
 * typed arrays (n × rows × cols); every function writes into caller-owned buffers.
 */

/**
 * Per-layer preprocessing: crop, divide by the local norm, negatives → 0, mean of non-zero bins → 1.
 * Also the model input (clipped: > max → max, 0 → zeroValue, an empty map → 0) and the entries (sum
 * of the raw map, centre cross included). Row by row over contiguous runs of kept columns.
 */
export function preprocessLayer(
  layer: CompiledLayer,
  raw: NumericArray,
  n: number,
  out: { preprocessed: Float32Array; modelInput: Float32Array; entries: Float64Array },
  clip: { max: number; zeroValue: number },
  scratch: Float64Array,
): void {
  const g = layer.geom;
  const cols = g.cols;
  const rawSize = g.rows * cols;
  const outRows = g.outRows;
  const size = outRows * g.outCols;
  const rowIdx = g.rowIdx;
  const runs = g.keptColumnRuns;
  const nRuns = runs.length;
  const invNorm = layer.invNorm;
  const preprocessed = out.preprocessed;
  const modelInput = out.modelInput;
  const entriesOut = out.entries;
  // Read back from a Float64Array, the bounds are doubles for V8: a conditional value merging them
  // with the double v is then computed without boxing (as small integers read from an object they
  // made V8 box every value, ~0.3 MB of garbage per LS).
  const bounds = CLIP_BOUNDS;
  bounds[0] = clip.max;
  bounds[1] = clip.zeroValue;
  const max = bounds[0];
  const zeroValue = bounds[1];
  // integer counts sum exactly in any order: four sums side by side instead of one long chain
  const exactSums = !(raw instanceof Float32Array || raw instanceof Float64Array);
  for (let ls = 0; ls < n; ls++) {
    const rOff = ls * rawSize;
    const rEnd = rOff + rawSize;
    let entries = 0;
    let k = rOff;
    if (exactSums) {
      let e1 = 0;
      let e2 = 0;
      let e3 = 0;
      for (const end4 = rOff + (rawSize & ~3); k < end4; k += 4) {
        entries += raw[k];
        e1 += raw[k + 1];
        e2 += raw[k + 2];
        e3 += raw[k + 3];
      }
      entries += e1 + e2 + e3;
    }
    for (; k < rEnd; k++) entries += raw[k];
    let sum = 0;
    let count = 0;
    let o = 0;
    for (let r = 0; r < outRows; r++) {
      const base = rOff + rowIdx[r] * cols;
      for (let q = 0; q < nRuns; q += 2) {
        for (let c = base + runs[q], end = base + runs[q + 1]; c < end; c++, o++) {
          const x = raw[c] * invNorm[o];
          // negatives (and bins whose norm was 0 → −1) become 0
          const v = x > 0 ? x : 0;
          sum += v;
          count += x > 0 ? 1 : 0;
          scratch[o] = v;
        }
      }
    }
    entriesOut[ls] = entries;
    const pOff = ls * size;
    if (count === 0) {
      // An all-zero map has no non-zero mean: NaN everywhere, as numpy's mean of an empty selection;
      // the model sees NaN → 0.
      preprocessed.fill(NaN, pOff, pOff + size);
      modelInput.fill(0, pOff, pOff + size);
      continue;
    }
    const inv = count / sum;
    for (let j = 0; j < size; j++) {
      const v = scratch[j] * inv;
      preprocessed[pOff + j] = v;
      modelInput[pOff + j] = v > max ? max : v === 0 ? zeroValue : v;
    }
  }
}

/** preprocessLayer's clip bounds as doubles (see there); one per thread. */
const CLIP_BOUNDS = new Float64Array(2);

/** Loss of n maps and, in the same pass, each map's largest finite loss (NaN when none). */
export function computeLossAndMaxima(pre: Float32Array, rec: Float32Array, out: Float32Array, n: number, maxima: Float32Array): void {
  const size = pre.length / n;
  for (let ls = 0; ls < n; ls++) {
    let m = -Infinity;
    const end = (ls + 1) * size;
    for (let k = ls * size; k < end; k++) {
      const d = pre[k] - rec[k];
      const v = d * d;
      out[k] = v;
      if (v > m) m = v;
    }
    maxima[ls] = m === -Infinity ? NaN : m;
  }
}

/** Scratch buffers sized for the largest layer; one per thread. */
export class StageScratch {
  readonly match: MatchScratch;
  readonly binary: Uint8Array;
  readonly rowOr: Uint8Array;
  readonly map64: Float64Array;
  constructor(cp: CompiledPipeline) {
    const maxRows = Math.max(...cp.layers.map((l) => l.geom.outRows), cp.targetRows);
    const maxCols = Math.max(...cp.layers.map((l) => l.geom.outCols), cp.targetCols);
    const maxRaw = Math.max(...cp.layers.map((l) => l.geom.rows * l.geom.cols));
    this.match = new MatchScratch(maxRows, maxCols);
    this.binary = new Uint8Array(maxRows * maxCols);
    this.rowOr = new Uint8Array(cp.targetRows * maxCols);
    this.map64 = new Float64Array(Math.max(maxRaw, maxRows * maxCols));
  }
}

/** Multi-threshold clustering of one LS's loss map: OR over entries of the matched pattern windows. */
function clusterLoss(
  cp: CompiledPipeline,
  layer: CompiledLayer,
  loss: Float32Array,
  off: number,
  out: Uint8Array,
  outOff: number,
  scratch: StageScratch,
): void {
  const { outRows: h, outCols: w } = layer.geom;
  const size = h * w;
  out.fill(0, outOff, outOff + size);
  const bin = scratch.binary;
  const thresholds = cp.thresholds;
  for (let ti = 0; ti < thresholds.length; ti++) {
    const t = thresholds[ti];
    // NaN losses (empty maps) compare false: never anomalous.
    const thr = t.lossThreshold;
    if (t.minOnes !== null) {
      markThresholdMatches(loss, off, thr, h, w, t.pattern, t.minOnes, out, outOff, scratch.match);
      continue;
    }
    let ones = 0;
    for (let k = 0; k < size; k++) {
      const b = loss[off + k] > thr ? 1 : 0;
      bin[k] = b;
      ones += b;
    }
    markBinaryMatches(bin, ones, h, w, t.pattern, t.filterThreshold, out, outOff, scratch.match);
  }
}

export interface DecisionBuffers {
  /** Per layer: n × cropped size, the clustered binary loss. */
  lossBinary: Uint8Array[];
  /** n × target size: number of layers with a (rebinned) cluster in the bin. */
  combined: Uint8Array;
  /** n × target size: combined ≥ minLayers AND combined > loss mask. */
  final: Uint8Array;
  flagsBeforeFilter: Uint8Array;
  finalBins: Int32Array;
}

export function allocDecisionBuffers(cp: CompiledPipeline, n: number): DecisionBuffers {
  const t = cp.targetRows * cp.targetCols;
  return {
    lossBinary: cp.layers.map((l) => new Uint8Array(n * l.geom.outRows * l.geom.outCols)),
    combined: new Uint8Array(n * t),
    final: new Uint8Array(n * t),
    flagsBeforeFilter: new Uint8Array(n),
    finalBins: new Int32Array(n),
  };
}

/** Stages `decide` can start from: earlier results in the buffers are reused. */
export type DecisionStart = 'clustering' | 'combine' | 'flagging';

/**
 * Clustering → combine → final map → flag for every LS of a chunk, starting at `start`: from
 * 'combine' the buffers' lossBinary is reused, from 'flagging' also combined/final.
 */
export function decide(
  cp: CompiledPipeline,
  loss: Float32Array[] | null,
  n: number,
  out: DecisionBuffers,
  scratch: StageScratch,
  start: DecisionStart = 'clustering',
): void {
  const t = cp.targetRows * cp.targetCols;
  const mask = cp.maskCombined;
  const minLayers = cp.minLayers;
  const { combined, final, finalBins, flagsBeforeFilter, lossBinary } = out;
  const layers = cp.layers;
  if (start === 'clustering' && !loss) throw new Error('decide from clustering needs the loss maps');
  const recluster = start === 'clustering';
  const recombine = start !== 'flagging';
  for (let ls = 0; ls < n; ls++) {
    const cOff = ls * t;
    if (recombine) {
      combined.fill(0, cOff, cOff + t);
      for (let i = 0; i < layers.length; i++) {
        const layer = layers[i];
        const size = layer.geom.outRows * layer.geom.outCols;
        if (recluster) clusterLoss(cp, layer, loss![i], ls * size, lossBinary[i], ls * size, scratch);
        addRebinnedBinary(lossBinary[i], ls * size, layer.plan, combined, cOff, scratch.rowOr);
      }
      finalBins[ls] = finalMap(combined, final, mask, cOff, t, minLayers);
    }
    const bins = finalBins[ls];
    let flagged = 0;
    if (bins > 0) {
      const patterns = cp.flagPatterns;
      for (let pi = 0; pi < patterns.length; pi++) {
        if (containsBinaryPattern(final, cOff, bins, cp.targetRows, cp.targetCols, patterns[pi], cp.flagThreshold, scratch.match)) {
          flagged = 1;
          break;
        }
      }
    }
    flagsBeforeFilter[ls] = flagged;
  }
}

/** final = combined ≥ minLayers AND combined > mask, for one LS; returns the number of bins set. */
function finalMap(combined: Uint8Array, final: Uint8Array, mask: Float32Array, off: number, t: number, minLayers: number): number {
  let bins = 0;
  for (let k = 0; k < t; k++) {
    const c = combined[off + k];
    const v = c >= minLayers && c > mask[k] ? 1 : 0;
    final[off + k] = v;
    bins += v;
  }
  return bins;
}

/** Largest finite value of each map (NaN when the map has none). */
export function mapMaxima(values: Float32Array, n: number, size: number, out: Float32Array): void {
  for (let ls = 0; ls < n; ls++) {
    let m = -Infinity;
    const o = ls * size;
    for (let k = 0; k < size; k++) {
      const v = values[o + k];
      if (v > m) m = v;
    }
    out[ls] = m === -Infinity ? NaN : m;
  }
}

/** Windows of the final map where a flagging pattern matched (cropped first-layer bins, half-open). */
export function flagMatches(
  cp: CompiledPipeline,
  final: Uint8Array,
  off: number,
): Array<{ row0: number; row1: number; col0: number; col1: number; pattern: number }> {
  const out: Array<{ row0: number; row1: number; col0: number; col1: number; pattern: number }> = [];
  const h = cp.targetRows;
  const w = cp.targetCols;
  cp.flagPatterns.forEach((p, k) => {
    const m = matchTemplateSqdiff(final.subarray(off, off + h * w), h, w, p);
    for (let i = 0; i < m.rows; i++)
      for (let j = 0; j < m.cols; j++)
        if (m.values[i * m.cols + j] < cp.flagThreshold) out.push({ row0: i, row1: i + p.rows, col0: j, col1: j + p.cols, pattern: k });
  });
  return out;
}
