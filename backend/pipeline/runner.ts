import path from 'node:path';
import type { ModelPreset } from '@/shared/preset/model-preset';
import type { LumiConditions } from '@/shared/pipeline/filter';
import type { CompiledPipeline } from '@/shared/pipeline/model';
import type { NumericArray } from '@/shared/pipeline/ndarray';
import {
  ChunkWorkspace,
  finishChunk,
  prepareChunk,
  summarizeChunk,
  type ChunkStages,
  type LumisectionSummary,
} from '@/shared/pipeline/run-chunk';
import { StageScratch } from '@/shared/pipeline/stages';
import type { DataInputSpec, LoadedData } from './data-inputs';
import { alignHlt, alignOms, loadHltRates, loadOmsColumnar } from './oms';
import type { NmfSession } from './onnx-session';

/**
 * LS per chunk: chosen by measurement (`npm run bench onnx-settings` and the whole-process mode of
 * `npm run bench pipeline`): small enough for one chunk's maps to stay in the CPU caches through every
 * stage and for reading/preprocessing to overlap inference finely, large enough that inference per LS
 * is at its lowest (8 and 16 are slower; 32 to 256 are alike).
 */
export const DEFAULT_CHUNK_SIZE = 32;

/** OMS and HLT conditions for the loaded lumisections (null parts when no file was given). */
export async function loadConditions(
  preset: ModelPreset,
  spec: Pick<DataInputSpec, 'oms' | 'hlt' | 'baseDir'>,
  data: { runs: ArrayLike<number>; lumis: ArrayLike<number> },
  warnings: string[],
): Promise<LumiConditions> {
  const base = spec.baseDir ?? process.cwd();
  const f = preset.filters;
  let oms: LumiConditions['oms'] = null;
  let hlt: LumiConditions['hlt'] = null;
  if (spec.oms) {
    const table = await loadOmsColumnar(path.resolve(base, spec.oms));
    oms = alignOms(table, data.runs, data.lumis, [...f.omsBooleans, ...(f.minPileup !== null ? ['pileup'] : [])], warnings);
  } else if (f.omsBooleans.length || f.minPileup !== null) {
    warnings.push('no OMS metadata given: the OMS flag and pileup cuts are skipped');
  }
  if (spec.hlt && f.hlt) {
    const table = await loadHltRates(path.resolve(base, spec.hlt), f.hlt.triggerGlob, warnings);
    hlt = alignHlt(table, data.runs, data.lumis, warnings);
  } else if (f.hlt) {
    warnings.push(`no HLT rates given: the ${f.hlt.triggerGlob} rate cut is skipped`);
  }
  return { oms, hlt };
}

export interface RunOptions {
  chunkSize?: number;
  signal?: AbortSignal;
  /** Called once per chunk, in order, with every stage and the per-LS summaries. */
  onChunk(stages: ChunkStages, summaries: LumisectionSummary[]): void | Promise<void>;
  /** Process only chunks k with k % count === index (parallel workers share a run). */
  part?: { index: number; count: number };
  /**
   * The stages passed to onChunk live in buffers reused by later chunks (valid until onChunk's
   * promise settles; copy what you keep). Without it every chunk gets new arrays.
   */
  reuseBuffers?: boolean;
}

/** Slice LS [start, start+n) of a layer's stack without copying. */
function sliceMaps(raw: NumericArray, size: number, start: number, n: number): NumericArray {
  return raw.subarray(start * size, (start + n) * size) as NumericArray;
}

/** Raw maps by chunk: in memory, or produced on demand (large inputs, benchmarks). */
export interface MapSource {
  n: number;
  runs: ArrayLike<number>;
  lumis: ArrayLike<number>;
  /**
   * Per layer, the maps of LS [start, start + n). `slot` (0 or 1) names the buffer a source that reads
   * on demand may fill: the maps of a slot stay valid until the same slot is read again.
   */
  read(start: number, n: number, slot: number): NumericArray[] | Promise<NumericArray[]>;
}

export function inMemorySource(cp: CompiledPipeline, data: LoadedData): MapSource {
  return {
    n: data.n,
    runs: data.runs,
    lumis: data.lumis,
    read: (start, n) => cp.layers.map((l, i) => sliceMaps(data.raws[i], l.geom.rows * l.geom.cols, start, n)),
  };
}

/** NMF inference of every layer of a chunk, in this thread or another one (see InferenceThread). */
export interface ChunkInference {
  /**
   * Reconstruct n maps of every layer; resolves with the reconstructions (written into `outputs`, or
   * other arrays). The inputs and outputs must not be touched until it settles.
   */
  infer(inputs: Float32Array[], n: number, outputs: Float32Array[]): Promise<Float32Array[]>;
  /** Model inputs and reconstructions must be in SharedArrayBuffers (inference in another thread). */
  readonly sharedBuffers: boolean;
}

/** Inference with the sessions in this thread (one layer after the other). */
export function inThreadInference(sessions: NmfSession[]): ChunkInference {
  return {
    sharedBuffers: false,
    async infer(inputs, n, outputs) {
      const out: Float32Array[] = [];
      for (let i = 0; i < sessions.length; i++) out.push(await sessions[i].run(inputs[i], n, outputs[i]));
      return out;
    },
  };
}

/**
 * The whole pipeline over the data, chunk by chunk (bounded memory). While chunk k is inferred the
 * next chunk is read and preprocessed, and once k's reconstructions are back chunk k + 1's inference
 * starts before k's loss, clustering and flags are computed: with the inference in another thread
 * (InferenceThread) both cores work. Two workspaces take turns (reuseBuffers).
 */
export async function runPipeline(
  cp: CompiledPipeline,
  sessions: NmfSession[] | ChunkInference,
  source: MapSource,
  cond: LumiConditions,
  opts: RunOptions,
): Promise<void> {
  const chunk = Math.max(1, opts.chunkSize ?? DEFAULT_CHUNK_SIZE);
  const inference = Array.isArray(sessions) ? inThreadInference(sessions) : sessions;
  const scratch = new StageScratch(cp);
  const part = opts.part ?? { index: 0, count: 1 };
  const starts: number[] = [];
  for (let start = 0, k = 0; start < source.n; start += chunk, k++) if (k % part.count === part.index) starts.push(start);
  const slots = opts.reuseBuffers ? [0, 1].map(() => new ChunkWorkspace(cp, Math.min(chunk, source.n), inference.sharedBuffers)) : null;
  const prepare = async (j: number) => {
    const start = starts[j];
    const n = Math.min(chunk, source.n - start);
    const ws = slots ? slots[j % 2] : new ChunkWorkspace(cp, n, inference.sharedBuffers);
    const a = prepareChunk(cp, await source.read(start, n, j % 2), n, ws, scratch);
    return { start, n, ws, a };
  };
  type Prepared = Awaited<ReturnType<typeof prepare>>;
  const infer = (p: Prepared) => inference.infer(p.a.modelInput, p.n, p.a.reconstruction);
  if (!starts.length) return;
  opts.signal?.throwIfAborted();
  let current = await prepare(0);
  let inflight = infer(current);
  // a rejection is taken when awaited; until then it must not count as unhandled
  inflight.catch(() => undefined);
  for (let j = 0; j < starts.length; j++) {
    let next: Prepared | null = null;
    try {
      if (j + 1 < starts.length) {
        opts.signal?.throwIfAborted();
        next = await prepare(j + 1);
      }
    } finally {
      // never leave an inference running on buffers that are about to be dropped or reused
      if (!next) await inflight.catch(() => undefined);
    }
    const reconstruction = await inflight;
    if (next) {
      inflight = infer(next);
      inflight.catch(() => undefined);
    }
    try {
      const stages = finishChunk(
        cp,
        { start: current.start, n: current.n, preprocessed: current.a.preprocessed, reconstruction, entries: current.a.entries },
        scratch,
        current.ws,
      );
      await opts.onChunk(stages, summarizeChunk(cp, stages, source, cond));
    } catch (err) {
      if (next) await inflight.catch(() => undefined);
      throw err;
    }
    if (next) current = next;
  }
}
