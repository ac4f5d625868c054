import { evaluateFilter, type FilterReason, type LumiConditions } from './filter';
import type { RunSummary } from '../api/contract/pipeline';
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

/**
 * Runs the layer's NMF on n clipped maps (n × rows × cols float32) and returns the reconstruction;
 * `out` (n × rows × cols), when given, is where it may be written.
 */
export type Reconstruct = (layerIndex: number, input: Float32Array, n: number, out?: Float32Array) => Promise<Float32Array>;

export interface LumiIds {
  runs: ArrayLike<number>;
  lumis: ArrayLike<number>;
}

/**
 * Every buffer one chunk of up to `capacity` LS needs, allocated once and reused chunk after chunk
 * (no allocation per LS or per chunk in the steady state). `shared`: the model inputs and
 * reconstructions live in SharedArrayBuffers, so an inference thread can read and fill them in place.
 */
export class ChunkWorkspace {
  readonly preprocessed: Float32Array[];
  readonly modelInput: Float32Array[];
  readonly reconstruction: Float32Array[];
  readonly loss: Float32Array[];
  readonly entries: Float64Array[];
  readonly maxLoss: Float32Array[];
  readonly decisions: DecisionBuffers;
  private views: { n: number; stages: Omit<ChunkStages, 'start'> & { modelInput: Float32Array[] } } | null = null;

  constructor(
    cp: CompiledPipeline,
    readonly capacity: number,
    shared = false,
  ) {
    const sizes = cp.layers.map((l) => capacity * l.geom.outRows * l.geom.outCols);
    const float32 = (n: number, inShared: boolean) =>
      inShared ? new Float32Array(new SharedArrayBuffer(n * Float32Array.BYTES_PER_ELEMENT)) : new Float32Array(n);
    this.preprocessed = sizes.map((n) => float32(n, false));
    this.modelInput = sizes.map((n) => float32(n, shared));
    this.reconstruction = sizes.map((n) => float32(n, shared));
    this.loss = sizes.map((n) => float32(n, false));
    this.entries = cp.layers.map(() => new Float64Array(capacity));
    this.maxLoss = cp.layers.map(() => new Float32Array(capacity));
    this.decisions = allocDecisionBuffers(cp, capacity);
  }

  /** The memory a workspace for `capacity` LS takes. */
  static bytes(cp: CompiledPipeline, capacity: number): number {
    const bins = cp.layers.reduce((a, l) => a + l.geom.outRows * l.geom.outCols, 0);
    const target = cp.targetRows * cp.targetCols;
    // preprocessed, model input, reconstruction, loss (float32); loss binary (uint8); entries (float64),
    // maximum loss (float32) per layer; combined and final (uint8); flag (uint8) and final bins (int32)
    return capacity * (bins * (4 * 4 + 1) + cp.layers.length * 12 + target * 2 + 5);
  }

  /** The buffers cut to n LS (the last chunk of a run is shorter); the same views while n stays the same. */
  arrays(n: number): Omit<ChunkStages, 'start'> & { modelInput: Float32Array[] } {
    if (n > this.capacity) throw new Error(`chunk of ${n} LS in a workspace for ${this.capacity}`);
    if (this.views?.n === n) return this.views.stages;
    const cut = <T extends Float32Array | Float64Array | Uint8Array | Int32Array>(list: T[]): T[] =>
      list.map((a) => (n === this.capacity ? a : (a.subarray(0, (a.length / this.capacity) * n) as T)));
    const d = this.decisions;
    const stages = {
      n,
      preprocessed: cut(this.preprocessed),
      modelInput: cut(this.modelInput),
      reconstruction: cut(this.reconstruction),
      loss: cut(this.loss),
      entries: cut(this.entries),
      maxLoss: cut(this.maxLoss),
      decisions: {
        lossBinary: cut(d.lossBinary),
        combined: cut([d.combined])[0],
        final: cut([d.final])[0],
        flagsBeforeFilter: cut([d.flagsBeforeFilter])[0],
        finalBins: cut([d.finalBins])[0],
      },
    };
    this.views = { n, stages };
    return stages;
  }
}

/** The first stage of a chunk: preprocessing and model inputs of every layer, into the workspace. */
export function prepareChunk(cp: CompiledPipeline, raws: NumericArray[], n: number, ws: ChunkWorkspace, scratch: StageScratch) {
  const a = ws.arrays(n);
  const clip = { max: cp.clipMax, zeroValue: cp.clipZeroValue };
  const layers = cp.layers;
  for (let i = 0; i < layers.length; i++)
    preprocessLayer(
      layers[i],
      raws[i],
      n,
      { preprocessed: a.preprocessed[i], modelInput: a.modelInput[i], entries: a.entries[i] },
      clip,
      scratch.map64,
    );
  return a;
}

/** The full pipeline on LS [start, start + n) of the inputs; `raws[i]` holds exactly those n maps of layer i. */
export async function runChunk(
  cp: CompiledPipeline,
  raws: NumericArray[],
  start: number,
  n: number,
  reconstruct: Reconstruct,
  scratch = new StageScratch(cp),
  ws = new ChunkWorkspace(cp, n),
): Promise<ChunkStages> {
  const a = prepareChunk(cp, raws, n, ws, scratch);
  const reconstruction: Float32Array[] = [];
  for (let i = 0; i < cp.layers.length; i++) reconstruction.push(await reconstruct(i, a.modelInput[i], n, a.reconstruction[i]));
  return finishChunk(cp, { start, n, preprocessed: a.preprocessed, reconstruction, entries: a.entries }, scratch, ws);
}

/**
 * Loss onwards, from preprocessed maps and reconstructions (no inference): into `ws` when given (the
 * result's arrays are the workspace's, overwritten by its next chunk), else into new arrays.
 */
export function finishChunk(
  cp: CompiledPipeline,
  c: Pick<ChunkStages, 'start' | 'n' | 'preprocessed' | 'reconstruction' | 'entries'> & { loss?: Float32Array[] },
  scratch = new StageScratch(cp),
  ws?: ChunkWorkspace,
): ChunkStages {
  const n = c.n;
  const a = ws?.arrays(n);
  const layers = cp.layers;
  const maxLoss = a ? a.maxLoss : layers.map(() => new Float32Array(n));
  let loss = c.loss;
  if (loss) {
    for (let i = 0; i < layers.length; i++) mapMaxima(loss[i], n, layers[i].geom.outRows * layers[i].geom.outCols, maxLoss[i]);
  } else {
    loss = a ? a.loss : c.preprocessed.map((pre) => new Float32Array(pre.length));
    for (let i = 0; i < layers.length; i++) computeLossAndMaxima(c.preprocessed[i], c.reconstruction[i], loss[i], n, maxLoss[i]);
  }
  const decisions = a ? a.decisions : allocDecisionBuffers(cp, n);
  decide(cp, loss, n, decisions, scratch);
  return {
    start: c.start,
    n,
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

/** Apply the lumisection filter and build the per-LS summaries of a chunk (the only objects made per LS: they are the results). */
export function summarizeChunk(cp: CompiledPipeline, c: ChunkOutcome, ids: LumiIds, cond: LumiConditions): LumisectionSummary[] {
  const names = cp.layers.map((l) => l.name);
  const out: LumisectionSummary[] = new Array(c.n);
  for (let k = 0; k < c.n; k++) {
    const index = c.start + k;
    const entries: Record<string, number> = {};
    const maxima: number[] = new Array(names.length);
    for (let i = 0; i < names.length; i++) {
      entries[names[i]] = c.entries[i][k];
      maxima[i] = c.maxLoss[i][k];
    }
    const filter = evaluateFilter(cp.preset.filters, entries, cond, index);
    const before = c.decisions.flagsBeforeFilter[k] === 1;
    out[k] = {
      index,
      run: Number(ids.runs[index]),
      ls: Number(ids.lumis[index]),
      flaggedBeforeFilter: before,
      flagged: before && filter.passed,
      passedFilter: filter.passed,
      reasons: filter.reasons,
      score: anomalyScore(c.decisions.finalBins[k], names, maxima),
      entries,
    };
  }
  return out;
}

/** Counts over a run's results (holes: LS not processed yet). */
export function summarize(results: ReadonlyArray<LumisectionSummary | undefined>, total: number): RunSummary {
  let flagged = 0;
  let before = 0;
  let passed = 0;
  let completed = 0;
  for (const r of results) {
    if (!r) continue;
    completed++;
    if (r.flagged) flagged++;
    if (r.flaggedBeforeFilter) before++;
    if (r.passedFilter) passed++;
  }
  return { lumisections: total, completed, flagged, flaggedBeforeFilter: before, passedFilter: passed };
}
