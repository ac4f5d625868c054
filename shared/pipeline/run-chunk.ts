import { evaluateFilter, type FilterReason, type LumiConditions } from './filter';
import type { CompiledPipeline } from './model';
import type { NumericArray } from './ndarray';
import { anomalyScore, type AnomalyScore } from './score';
import {
  allocDecisionBuffers,
  computeLossAndMaxima,
  decide,
  mapMaxima,
  preprocessLayer,
  StageScratch,
  type DecisionBuffers,
} from './stages';

/** Per-LS outcome, small enough to stream to the UI for every lumisection. */
export interface LumisectionSummary {
  /** Position in the input (0-based). */
  index: number;
  run: number;
  ls: number;
  flaggedBeforeFilter: boolean;
  flagged: boolean;
  passedFilter: boolean;
  reasons: FilterReason[];
  score: AnomalyScore;
  /** Entries (sum of the raw map) per layer. */
  entries: Record<string, number>;
}

/** Every stage of a chunk of lumisections (LS-major flat arrays per layer). */
export interface ChunkStages {
  start: number;
  n: number;
  preprocessed: Float32Array[];
  reconstruction: Float32Array[];
  loss: Float32Array[];
  entries: Float64Array[];
  maxLoss: Float32Array[];
  decisions: DecisionBuffers;
}

/** Runs the layer's NMF on n clipped maps (n × rows × cols float32) and returns the reconstruction. */
export type Reconstruct = (layerIndex: number, input: Float32Array, n: number) => Promise<Float32Array>;

export interface LumiIds {
  runs: ArrayLike<number>;
  lumis: ArrayLike<number>;
}

/** The full pipeline on LS [start, start + n) of the inputs; `raws[i]` holds exactly those n maps of layer i. */
export async function runChunk(
  cp: CompiledPipeline,
  raws: NumericArray[],
  start: number,
  n: number,
  reconstruct: Reconstruct,
  scratch = new StageScratch(cp),
): Promise<ChunkStages> {
  const preprocessed: Float32Array[] = [];
  const modelInputs: Float32Array[] = [];
  const entries: Float64Array[] = [];
  const clip = { max: cp.clipMax, zeroValue: cp.clipZeroValue };
  cp.layers.forEach((layer, i) => {
    const size = layer.geom.outRows * layer.geom.outCols;
    const out = { preprocessed: new Float32Array(n * size), modelInput: new Float32Array(n * size), entries: new Float64Array(n) };
    preprocessLayer(layer, raws[i], n, out, clip, scratch.map64);
    preprocessed.push(out.preprocessed);
    modelInputs.push(out.modelInput);
    entries.push(out.entries);
  });
  const reconstruction: Float32Array[] = [];
  for (let i = 0; i < cp.layers.length; i++) reconstruction.push(await reconstruct(i, modelInputs[i], n));
  return finishChunk(cp, { start, n, preprocessed, reconstruction, entries }, scratch);
}

/** Loss onwards, from cached preprocessed maps and reconstructions (no inference). */
export function finishChunk(
  cp: CompiledPipeline,
  c: Pick<ChunkStages, 'start' | 'n' | 'preprocessed' | 'reconstruction' | 'entries'> & { loss?: Float32Array[] },
  scratch = new StageScratch(cp),
): ChunkStages {
  const maxLoss = cp.layers.map(() => new Float32Array(c.n));
  const loss =
    c.loss ??
    c.preprocessed.map((pre, i) => {
      const out = new Float32Array(pre.length);
      computeLossAndMaxima(pre, c.reconstruction[i], out, c.n, maxLoss[i]);
      return out;
    });
  if (c.loss) cp.layers.forEach((layer, i) => mapMaxima(loss[i], c.n, layer.geom.outRows * layer.geom.outCols, maxLoss[i]));
  const decisions = allocDecisionBuffers(cp, c.n);
  decide(cp, loss, c.n, decisions, scratch);
  return {
    start: c.start,
    n: c.n,
    preprocessed: c.preprocessed,
    reconstruction: c.reconstruction,
    loss,
    entries: c.entries,
    maxLoss,
    decisions,
  };
}

/** What the per-LS summaries are built from (a chunk's stages, or the cached results of a run). */
export interface ChunkOutcome {
  start: number;
  n: number;
  entries: Float64Array[];
  maxLoss: Float32Array[];
  decisions: Pick<DecisionBuffers, 'flagsBeforeFilter' | 'finalBins'>;
}

/** Apply the lumisection filter and build the per-LS summaries of a chunk. */
export function summarizeChunk(cp: CompiledPipeline, c: ChunkOutcome, ids: LumiIds, cond: LumiConditions): LumisectionSummary[] {
  const names = cp.layers.map((l) => l.name);
  const out: LumisectionSummary[] = [];
  for (let k = 0; k < c.n; k++) {
    const index = c.start + k;
    const entries: Record<string, number> = {};
    names.forEach((name, i) => (entries[name] = c.entries[i][k]));
    const filter = evaluateFilter(cp.preset.filters, entries, cond, index);
    const before = c.decisions.flagsBeforeFilter[k] === 1;
    out.push({
      index,
      run: Number(ids.runs[index]),
      ls: Number(ids.lumis[index]),
      flaggedBeforeFilter: before,
      flagged: before && filter.passed,
      passedFilter: filter.passed,
      reasons: filter.reasons,
      score: anomalyScore(
        c.decisions.finalBins[k],
        names,
        c.maxLoss.map((m) => m[k]),
      ),
      entries,
    });
  }
  return out;
}
