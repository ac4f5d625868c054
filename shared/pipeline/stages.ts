import type { CompiledLayer, CompiledPipeline } from './model';
import type { NumericArray } from './ndarray';
import { addRebinnedBinary } from './rebin';
import { containsPattern, markMatches, MatchScratch } from './template-match';

/**
 * The numeric stages of PixelNMF on a chunk of n lumisections. Maps are stored LS-major in flat
 * typed arrays (n × rows × cols); every function writes into caller-owned buffers.
 */

/** Per-layer preprocessing: crop, divide by the local norm, negatives → 0, mean of non-zero bins → 1. */
export function preprocessLayer(
  layer: CompiledLayer,
  raw: NumericArray,
  n: number,
  out: { preprocessed: Float32Array; modelInput: Float32Array; entries: Float64Array },
  clip: { max: number; zeroValue: number },
  scratch: Float64Array,
): void {
  const { rows, cols, outRows, outCols, rowIdx, colIdx } = layer.geom;
  const rawSize = rows * cols;
  const size = outRows * outCols;
  const norm = layer.norm;
  for (let ls = 0; ls < n; ls++) {
    const rOff = ls * rawSize;
    let entries = 0;
    for (let k = 0; k < rawSize; k++) entries += raw[rOff + k];
    out.entries[ls] = entries;
    let sum = 0;
    let count = 0;
    for (let r = 0; r < outRows; r++) {
      const s = rOff + rowIdx[r] * cols;
      const o = r * outCols;
      for (let c = 0; c < outCols; c++) {
        let v = raw[s + colIdx[c]] / norm[o + c];
        if (!(v > 0)) v = 0;
        else {
          sum += v;
          count++;
        }
        scratch[o + c] = v;
      }
    }
    // An all-zero map has no non-zero mean: NaN everywhere, as numpy's mean of an empty selection.
    const inv = count > 0 ? count / sum : NaN;
    const pOff = ls * size;
    const { preprocessed, modelInput } = out;
    for (let k = 0; k < size; k++) {
      const v = scratch[k] * inv;
      preprocessed[pOff + k] = v;
      modelInput[pOff + k] = v > clip.max ? clip.max : v === 0 ? clip.zeroValue : v !== v ? 0 : v;
    }
  }
}

/** (preprocessed − reconstruction)², on the unclipped preprocessed map. */
export function computeLoss(pre: Float32Array, rec: Float32Array, out: Float32Array, from = 0, to = pre.length): void {
  for (let k = from; k < to; k++) {
    const d = pre[k] - rec[k];
    out[k] = d * d;
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
export function clusterLoss(cp: CompiledPipeline, layer: CompiledLayer, loss: Float32Array, off: number, out: Uint8Array, outOff: number, scratch: StageScratch): void {
  const { outRows: h, outCols: w } = layer.geom;
  const size = h * w;
  out.fill(0, outOff, outOff + size);
  const bin = scratch.binary;
  for (const t of cp.thresholds) {
    // NaN losses (empty maps) compare false: never anomalous.
    for (let k = 0; k < size; k++) bin[k] = loss[off + k] > t.lossThreshold ? 1 : 0;
    markMatches(bin, 0, h, w, t.pattern, t.filterThreshold, out, outOff, scratch.match);
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

/** Clustering → combine → final map → flag, for LS indices [from, to) of a chunk, from the loss maps. */
export function decide(cp: CompiledPipeline, loss: Float32Array[], n: number, out: DecisionBuffers, scratch: StageScratch, from = 0, to = n): void {
  const t = cp.targetRows * cp.targetCols;
  const mask = cp.maskCombined;
  for (let ls = from; ls < to; ls++) {
    const cOff = ls * t;
    out.combined.fill(0, cOff, cOff + t);
    cp.layers.forEach((layer, i) => {
      const size = layer.geom.outRows * layer.geom.outCols;
      clusterLoss(cp, layer, loss[i], ls * size, out.lossBinary[i], ls * size, scratch);
      addRebinnedBinary(out.lossBinary[i], ls * size, layer.plan, out.combined, cOff, scratch.rowOr);
    });
    let bins = 0;
    for (let k = 0; k < t; k++) {
      const c = out.combined[cOff + k];
      const v = c >= cp.minLayers && c > mask[k] ? 1 : 0;
      out.final[cOff + k] = v;
      bins += v;
    }
    out.finalBins[ls] = bins;
    let flagged = 0;
    if (bins > 0) {
      for (const p of cp.flagPatterns) {
        if (containsPattern(out.final, cOff, cp.targetRows, cp.targetCols, p, cp.flagThreshold, scratch.match)) {
          flagged = 1;
          break;
        }
      }
    }
    out.flagsBeforeFilter[ls] = flagged;
  }
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
