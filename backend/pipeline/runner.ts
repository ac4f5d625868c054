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
  /** Memory for the chunks queued to inference threads (default INFERENCE_QUEUE_BYTES). */
  inferenceQueueBytes?: number;
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
   * Per layer, the maps of LS [start, start + n). `slot` (0, 1, … up to the number of chunks the run
   * keeps in flight) names the buffer a source that reads on demand may fill: the maps of a slot stay
   * valid until the same slot is read again, which is after the chunk read into it was finished.
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

/** NMF inference of every layer of a chunk, in this thread or another one (see InferenceThreads). */
export interface ChunkInference {
  /**
   * Reconstruct n maps of every layer; resolves with the reconstructions (written into `outputs`, or
   * other arrays). The inputs and outputs must not be touched until it settles.
   */
  infer(inputs: Float32Array[], n: number, outputs: Float32Array[]): Promise<Float32Array[]>;
  /** Model inputs and reconstructions must be in SharedArrayBuffers (inference in another thread). */
  readonly sharedBuffers: boolean;
  /** Settles when the sessions are created (inference in other threads, whose sessions are created meanwhile). */
  readonly ready?: Promise<unknown>;
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
 * Memory for the chunks handed to inference threads ahead of the one being finished (their
 * workspaces): the sessions take about half a second to create, and meanwhile this thread reads and
 * preprocesses as many chunks as fit, then finds each next chunk already inferred (with two in flight
 * the inference thread waited for this one about a third of the time). A workspace is fresh memory
 * whose pages all fault in when first written (~10 MB at 32 LS of the three barrel layers), so more
 * is not better: measured with the whole-process mode of `npm run bench pipeline` (960 LS, medians of
 * 10 and 8 runs), 32 MB (3 chunks) 1.20 s, 64 MB (6) 1.21 s, 128 MB (13) 1.45 s, 320 MB (32) 2.5 s.
 */
export const INFERENCE_QUEUE_BYTES = 32 * 2 ** 20;

/** How many chunks of `workspaceBytes` fit in `budget` (at least 2, at most 64). */
export function inferenceQueueChunks(workspaceBytes: number, budget = INFERENCE_QUEUE_BYTES): number {
  return Math.max(2, Math.min(64, Math.floor(budget / Math.max(1, workspaceBytes))));
}

/**
 * The whole pipeline over the data, chunk by chunk (bounded memory). Chunks are prepared (read and
 * preprocessed) and handed to the inference ahead of the chunk being finished (loss, clustering,
 * flags): with the inference in other threads (InferenceThreads) as many as INFERENCE_QUEUE_BYTES
 * hold, so every core works; in this thread two (one being prepared while the other is inferred).
 * With reuseBuffers that many workspaces take turns (each made when first needed), and the source is
 * read into as many slots.
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
  if (!starts.length) return;
  const capacity = Math.min(chunk, source.n);
  const depth = Math.min(
    inference.sharedBuffers ? inferenceQueueChunks(ChunkWorkspace.bytes(cp, capacity), opts.inferenceQueueBytes) : 2,
    starts.length,
  );
  const slots: ChunkWorkspace[] | null = opts.reuseBuffers ? [] : null;
  interface Queued {
    start: number;
    n: number;
    ws: ChunkWorkspace;
    a: ReturnType<typeof prepareChunk>;
    reconstruction: Promise<Float32Array[]>;
  }
  const queue: Queued[] = [];
  let next = 0;
  /** Read and preprocess chunk `next` into its workspace (free again: its previous chunk is finished) and hand it to the inference. */
  const submit = async () => {
    const j = next++;
    const start = starts[j];
    const n = Math.min(chunk, source.n - start);
    const ws = slots
      ? (slots[j % depth] ??= new ChunkWorkspace(cp, capacity, inference.sharedBuffers))
      : new ChunkWorkspace(cp, n, inference.sharedBuffers);
    const a = prepareChunk(cp, await source.read(start, n, j % depth), n, ws, scratch);
    const reconstruction = inference.infer(a.modelInput, n, a.reconstruction);
    // a rejection is taken when awaited; until then it must not count as unhandled
    reconstruction.catch(() => undefined);
    queue.push({ start, n, ws, a, reconstruction });
  };
  try {
    for (let j = 0; j < starts.length; j++) {
      while (next < starts.length && queue.length < depth) {
        opts.signal?.throwIfAborted();
        await submit();
      }
      const c = queue.shift()!;
      const reconstruction = await c.reconstruction;
      const stages = finishChunk(
        cp,
        { start: c.start, n: c.n, preprocessed: c.a.preprocessed, reconstruction, entries: c.a.entries },
        scratch,
        c.ws,
      );
      await opts.onChunk(stages, summarizeChunk(cp, stages, source, cond));
      // Back to the event loop once per chunk. With the inference in another thread, each chunk's
      // reconstruction arrives as a message, and while chunks are queued the next message is always
      // there when this one is handled: Node then handles them all in one go, and nothing else this
      // thread is sent (a cancel, the back end's "no more maps", a timer, Ctrl-C) ran before the
      // whole run had ended.
      await new Promise<void>((resolve) => setImmediate(resolve));
      opts.signal?.throwIfAborted();
    }
  } finally {
    // never leave an inference running on buffers that are about to be dropped or reused
    await Promise.all(queue.map((c) => c.reconstruction.catch(() => undefined)));
  }
}
