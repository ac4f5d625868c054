import type { ModelPreset, PresetLayer } from '../preset/model-preset';
import { samePresetMeaning } from '../preset/preset-compare';
import type { NdArray } from './ndarray';
import { shapeText } from './ndarray';
import { areaPlan, rebinKeepClip, type AreaPlan } from './rebin';
import { compilePattern, minOnesForBinaryMatch, type CompiledPattern } from './pattern-match';
import { localNormProblem, lossMaskProblem } from './input-checks';

/** Which raw bins survive the removal of the empty centre cross. */
export interface CropGeometry {
  name: string;
  rows: number;
  cols: number;
  outRows: number;
  outCols: number;
  /** Raw row/column of each cropped row/column. */
  rowIdx: Int32Array;
  colIdx: Int32Array;
  /** Raw offset of every cropped bin (row-major), and of every removed (cross) bin. */
  keptIdx: Int32Array;
  crossIdx: Int32Array;
  /** The kept raw columns as runs [start, end) (two for a centre cross), for contiguous inner loops. */
  keptColumnRuns: Int32Array;
}

function columnRuns(colIdx: Int32Array): Int32Array {
  const runs: number[] = [];
  for (let j = 0; j < colIdx.length; j++) {
    if (j > 0 && colIdx[j] === colIdx[j - 1] + 1) runs[runs.length - 1] = colIdx[j] + 1;
    else runs.push(colIdx[j], colIdx[j] + 1);
  }
  return Int32Array.from(runs);
}

function keptIndices(size: number, [start, stop]: readonly [number, number]): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < size; i++) if (i < start || i >= stop) out.push(i);
  return Int32Array.from(out);
}

export function cropGeometry(layer: PresetLayer): CropGeometry {
  const [rows, cols] = layer.shape;
  const rowIdx = keptIndices(rows, layer.cross.rows);
  const colIdx = keptIndices(cols, layer.cross.columns);
  const keptIdx = new Int32Array(rowIdx.length * colIdx.length);
  rowIdx.forEach((r, i) => colIdx.forEach((c, j) => (keptIdx[i * colIdx.length + j] = r * cols + c)));
  const kept = new Set(keptIdx);
  const crossIdx = Int32Array.from({ length: rows * cols }, (_, k) => k).filter((k) => !kept.has(k));
  return {
    name: layer.name,
    rows,
    cols,
    outRows: rowIdx.length,
    outCols: colIdx.length,
    rowIdx,
    colIdx,
    keptIdx,
    crossIdx,
    keptColumnRuns: columnRuns(colIdx),
  };
}

/** Crop one raw-shaped map (rows × cols) to the cropped shape. */
function cropMap(geom: CropGeometry, map: ArrayLike<number>, off = 0, out = new Float64Array(geom.outRows * geom.outCols)): Float64Array {
  for (let r = 0; r < geom.outRows; r++) {
    const s = off + geom.rowIdx[r] * geom.cols;
    for (let c = 0; c < geom.outCols; c++) out[r * geom.outCols + c] = map[s + geom.colIdx[c]];
  }
  return out;
}

export interface CompiledLayer {
  name: string;
  geom: CropGeometry;
  /** Cropped local norm with zeros replaced by −1 (those bins end at 0 after "negatives → 0"). */
  norm: Float64Array;
  /** 1 / norm (multiplying is much faster than dividing in the per-bin loop; differences are ≤ 1 ulp). */
  invNorm: Float64Array;
  /** Cropped "usually zero" map: 1 where the loss mask is false. */
  usuallyZero: Uint8Array;
  /** Rebinning of this layer's cropped map to the first layer's cropped shape. */
  plan: AreaPlan;
}

export interface CompiledThreshold {
  lossThreshold: number;
  pattern: CompiledPattern;
  filterThreshold: number;
  /** Ones a window needs to match (constant patterns of v > 0.5; null: the general matching path). */
  minOnes: number | null;
}

/** The preset with its arrays, ready to run: everything derived once per model, not per LS. */
export interface CompiledPipeline {
  preset: ModelPreset;
  layers: CompiledLayer[];
  targetRows: number;
  targetCols: number;
  thresholds: CompiledThreshold[];
  flagPatterns: CompiledPattern[];
  flagThreshold: number;
  minLayers: number;
  clipMax: number;
  clipZeroValue: number;
  /** Σ over layers of the rebinned "usually zero" maps (the reference's loss_mask_combined). */
  maskCombined: Float32Array;
}

export interface LayerModelArrays {
  localNorm: NdArray;
  lossMask: NdArray;
  /** Names used in error messages (file paths). */
  localNormSource?: string;
  lossMaskSource?: string;
}

export class PipelineConfigError extends Error {
  override name = 'PipelineConfigError';
}

function requireShape(what: string, source: string | undefined, arr: NdArray, shape: readonly number[]): void {
  if (arr.shape.length !== shape.length || arr.shape.some((d, i) => d !== shape[i])) {
    throw new PipelineConfigError(`${what}${source ? ` (${source})` : ''} has shape ${shapeText(arr.shape)}, expected ${shapeText(shape)}`);
  }
}

export function compilePipeline(preset: ModelPreset, arrays: Record<string, LayerModelArrays>): CompiledPipeline {
  const geoms = preset.layers.map(cropGeometry);
  const target = geoms[0];
  const layers: CompiledLayer[] = preset.layers.map((layer, i) => {
    const geom = geoms[i];
    const a = arrays[layer.name];
    if (!a) throw new PipelineConfigError(`no local norm / loss mask loaded for layer ${layer.name}`);
    requireShape(`local norm of ${layer.name}`, a.localNormSource, a.localNorm, layer.shape);
    requireShape(`loss mask of ${layer.name}`, a.lossMaskSource, a.lossMask, layer.shape);
    const maskBad = lossMaskProblem(a.lossMask.data, layer.shape[1]);
    if (maskBad) throw new PipelineConfigError(`loss mask of ${layer.name}${a.lossMaskSource ? ` (${a.lossMaskSource})` : ''} ${maskBad}`);
    const normBad = localNormProblem(a.localNorm.data, layer.shape[1]);
    if (normBad)
      throw new PipelineConfigError(`local norm of ${layer.name}${a.localNormSource ? ` (${a.localNormSource})` : ''} ${normBad}`);
    const norm = cropMap(geom, a.localNorm.data);
    for (let k = 0; k < norm.length; k++) if (norm[k] === 0) norm[k] = -1;
    const mask = cropMap(geom, a.lossMask.data);
    const usuallyZero = new Uint8Array(mask.length);
    for (let k = 0; k < mask.length; k++) usuallyZero[k] = mask[k] ? 0 : 1;
    return {
      name: layer.name,
      geom,
      norm,
      invNorm: norm.map((v) => 1 / v),
      usuallyZero,
      plan: areaPlan(geom.outRows, geom.outCols, target.outRows, target.outCols),
    };
  });
  const maskCombined = new Float32Array(target.outRows * target.outCols);
  for (const l of layers) {
    const r = rebinKeepClip(l.usuallyZero, l.plan);
    for (let k = 0; k < r.length; k++) maskCombined[k] += r[k];
  }
  return {
    preset,
    layers,
    targetRows: target.outRows,
    targetCols: target.outCols,
    ...compileDecisions(preset),
    clipMax: preset.reconstructionInput.max,
    clipZeroValue: preset.reconstructionInput.zeroValue,
    maskCombined,
  };
}

/** The preset's decision rules (thresholds, patterns, flagging, combination), compiled. */
function compileDecisions(preset: ModelPreset): Pick<CompiledPipeline, 'thresholds' | 'flagPatterns' | 'flagThreshold' | 'minLayers'> {
  return {
    thresholds: preset.thresholds.map((t) => {
      const pattern = compilePattern(t.pattern);
      return {
        lossThreshold: t.lossThreshold,
        pattern,
        filterThreshold: t.filterThreshold,
        minOnes: minOnesForBinaryMatch(pattern, t.filterThreshold),
      };
    }),
    flagPatterns: preset.flagging.patterns.map(compilePattern),
    flagThreshold: preset.flagging.threshold,
    minLayers: preset.combine.minLayers,
  };
}

/** A compiled pipeline with new thresholds / patterns / filters but the same layers and arrays. */
export function recompileDecisions(cp: CompiledPipeline, preset: ModelPreset): CompiledPipeline {
  return {
    ...cp,
    preset,
    ...compileDecisions(preset),
  };
}

/** Pipeline stages in order; a preset change re-runs from the first one it affects. */
export type PipelineStage = 'inference' | 'clustering' | 'combine' | 'flagging' | 'filter';

/**
 * First stage a preset change affects (null: nothing to re-run). 'inference' means new NMF
 * inference (layers, model files, crop or input clipping changed); every later stage can be
 * re-run from cached reconstructions. Presets are compared by meaning (preset-compare.ts): a flag
 * unticked and ticked again changes nothing.
 */
export function firstAffectedStage(a: ModelPreset, b: ModelPreset): PipelineStage | null {
  if (!samePresetMeaning(a, b, ['layers', 'reconstructionInput'])) return 'inference';
  if (!samePresetMeaning(a, b, ['thresholds'])) return 'clustering';
  if (!samePresetMeaning(a, b, ['combine'])) return 'combine';
  if (!samePresetMeaning(a, b, ['flagging'])) return 'flagging';
  if (!samePresetMeaning(a, b, ['filters'])) return 'filter';
  return null;
}
