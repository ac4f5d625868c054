import { ApiError } from '@/shared/api/errors';
import type { CompiledPipeline } from '@/shared/pipeline/model';
import type { NumericArray } from '@/shared/pipeline/ndarray';
import { ChunkWorkspace, finishChunk, prepareChunk, type ChunkStages } from '@/shared/pipeline/run-chunk';
import { computeLossAndMaxima, StageScratch } from '@/shared/pipeline/stages';
import { openDataInputs, streamedSource, type DataInputSpec, type OpenedData } from './data-inputs';
import { InferenceThreads } from './inference-thread';
import type { LoadedPreset } from './preset-io';
import type { ChunkInference } from './runner';

/** A chunk's maps up to the inference, as the run computed them (the loss onwards follows from these). */
export interface RecomputedChunk {
  start: number;
  n: number;
  /** Per layer, the n raw maps (copies of the input's values, in its dtype). */
  raws: NumericArray[];
  preprocessed: Float32Array[];
  reconstruction: Float32Array[];
  entries: Float64Array[];
}

/** Chunks kept after they were asked for: stepping through the LS of a chunk recomputes nothing (~13 MB each at 32 LS). */
const RECENT_CHUNKS = 3;
/** The input and the inference thread are closed after this long unused (reopened when asked for again). */
const IDLE_MS = 5 * 60_000;

function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

interface RunOf {
  loaded: LoadedPreset;
  /** The run's compiled preset as it ran (its preprocessing; re-flagging changes only what follows the loss). */
  cp: CompiledPipeline;
  spec: DataInputSpec;
  /** The number of LS the run read. */
  total: number;
  scratch: StageScratch;
}

/**
 * The stage maps of a preview run's lumisections, recomputed from the run's input when they are
 * inspected (the run keeps only its loss maps, see run-job.ts's ChunkMaps). A chunk is read again,
 * preprocessed and inferred exactly as the run did it: the same LS [start, start + n) in one batch,
 * the same sessions in an inference thread of the same kind, so the result is the run's bit for bit.
 * That is checked: the recomputed loss must equal the kept one, else the input changed since the run
 * and an INPUT_CHANGED error says so (nothing is shown that the run did not compute).
 */
export class ChunkRecompute {
  private input: Promise<{ data: OpenedData; read: ReturnType<typeof streamedSource>['read'] }> | null = null;
  private inference: Promise<ChunkInference & { close(): Promise<void> }> | null = null;
  private readonly recent = new Map<number, Promise<RecomputedChunk>>();
  private idle: NodeJS.Timeout | null = null;
  private eachDone: Promise<void> = Promise.resolve();
  /**
   * What of the run this needs; null once closed. Nothing opened or opening refers to the run's preset
   * or compiled pipeline, so a dropped run is freed at once, while its thread still closes.
   */
  private of: RunOf | null;

  constructor(loaded: LoadedPreset, cp: CompiledPipeline, spec: DataInputSpec, total: number) {
    this.of = { loaded, cp, spec, total, scratch: new StageScratch(cp) };
  }

  private get closed(): boolean {
    return this.of === null;
  }

  /** The run, while not closed. */
  private theRun(): RunOf {
    if (!this.of) throw new Error('the recomputation of this run was closed');
    return this.of;
  }

  /**
   * Open the input and start the inference thread now (the run has finished; the first inspection
   * should not wait for them). Settles when both are ready (or failed: the inspection says why).
   */
  async warm(): Promise<void> {
    if (this.closed) return;
    this.touch();
    await Promise.all([
      this.openInput().catch(() => undefined),
      this.openInference().then(
        (i) => i.ready,
        () => undefined,
      ),
    ]);
  }

  /** LS [start, start + n) as the run computed them; `loss` is what the run kept of that chunk (the check). */
  chunk(start: number, n: number, loss: Float32Array[]): Promise<RecomputedChunk> {
    this.theRun();
    this.touch();
    const kept = this.recent.get(start);
    if (kept) {
      this.recent.delete(start);
      this.recent.set(start, kept);
      return kept;
    }
    const p = this.compute(start, n, loss);
    p.catch(() => this.recent.delete(start));
    this.recent.set(start, p);
    for (const k of this.recent.keys()) {
      if (this.recent.size <= RECENT_CHUNKS) break;
      this.recent.delete(k);
    }
    return p;
  }

  /**
   * Chunks one after the other without keeping them (a run average reads all of a run's chunks once):
   * `use` gets each in buffers the next one reuses (fresh memory for every chunk cost more than the
   * recomputation).
   */
  each(chunks: Array<{ start: number; n: number; loss: Float32Array[] }>, use: (c: RecomputedChunk) => void): Promise<void> {
    // one run of chunks at a time: they share the source's second read buffer
    const p = this.eachDone.then(async () => {
      const reuse = { ws: null as ChunkWorkspace | null, loss: this.theRun().cp.layers.map(() => new Float32Array(0)) };
      for (const c of chunks) {
        this.touch();
        const kept = this.recent.get(c.start);
        use(await (kept ?? this.compute(c.start, c.n, c.loss, reuse)));
      }
    });
    this.eachDone = p.catch(() => undefined);
    return p;
  }

  /** Every stage of n maps the user changed (what-if), with the run's sessions and `cp`'s decisions. */
  async run(cp: CompiledPipeline, raws: NumericArray[], start: number, n: number): Promise<ChunkStages> {
    const r = this.theRun();
    this.touch();
    const inference = await this.openInference();
    const ws = new ChunkWorkspace(r.cp, n, inference.sharedBuffers);
    const a = prepareChunk(r.cp, raws, n, ws, r.scratch);
    const reconstruction = await inference.infer(a.modelInput, n, a.reconstruction);
    return finishChunk(cp, { start, n, preprocessed: a.preprocessed, reconstruction, entries: a.entries }, new StageScratch(cp));
  }

  /** `reuse`: buffers for a run of chunks, reused by the next one (the raw maps are then the source's own, valid until its next read). */
  private async compute(
    start: number,
    n: number,
    loss: Float32Array[],
    reuse?: { ws: ChunkWorkspace | null; loss: Float32Array[] },
  ): Promise<RecomputedChunk> {
    const r = this.theRun();
    const [{ data, read }, inference] = await Promise.all([this.openInput(), this.openInference()]);
    const changed = (what: string) =>
      new ApiError(
        'INPUT_CHANGED',
        `The stage maps of a preview run are recomputed from its input when you inspect them, but ${what} since the preview ran (${data.sources.join(', ')}). Run the preview again.`,
        undefined,
        'InputChangedError',
      );
    // copies: the source's read buffer is reused by its next read
    const raws = read(start, n, reuse ? 1 : 0).map((r) => (reuse ? r : (r.slice() as NumericArray)));
    let ws: ChunkWorkspace;
    if (reuse) ws = reuse.ws && reuse.ws.capacity >= n ? reuse.ws : (reuse.ws = new ChunkWorkspace(r.cp, n, inference.sharedBuffers));
    else ws = new ChunkWorkspace(r.cp, n, inference.sharedBuffers);
    const a = prepareChunk(r.cp, raws, n, ws, r.scratch);
    const reconstruction = await inference.infer(a.modelInput, n, a.reconstruction);
    const maxima = new Float32Array(n);
    for (let i = 0; i < r.cp.layers.length; i++) {
      const size = a.preprocessed[i].length;
      let recomputed: Float32Array;
      if (reuse) {
        if (reuse.loss[i].length < size) reuse.loss[i] = new Float32Array(size);
        recomputed = reuse.loss[i].subarray(0, size);
      } else recomputed = new Float32Array(size);
      computeLossAndMaxima(a.preprocessed[i], reconstruction[i], recomputed, n, maxima);
      if (!sameBits(recomputed, loss[i])) throw changed(`the ${r.cp.layers[i].name} maps of positions ${start}–${start + n - 1} changed`);
    }
    if (data.n !== r.total) throw changed(`the input now holds ${data.n} lumisections instead of ${r.total}`);
    return { start, n, raws, preprocessed: a.preprocessed, reconstruction, entries: a.entries };
  }

  private openInput() {
    const r = this.theRun();
    // the reader needs only the layers' geometry (not the run's preset, see `of`)
    const geometry = { layers: r.cp.layers };
    // The values were checked when the run read them; a chunk read again is checked as it is read
    // (and its loss against the run's), so opening reads only the headers: no pass over every value
    // in the back end's thread.
    this.input ??= openDataInputs({ layers: r.loaded.preset.layers }, r.spec, { valuesWhileReading: true }).then(
      (data) => {
        if (this.closed) data.close();
        return { data, read: streamedSource(geometry, data).read };
      },
      (err: unknown) => {
        this.input = null;
        throw new ApiError(
          'INPUT_CHANGED',
          `The stage maps of a preview run are recomputed from its input when you inspect them, but the input can no longer be read: ${
            err instanceof Error ? err.message : String(err)
          }. Run the preview again.`,
          undefined,
          'InputChangedError',
        );
      },
    );
    return this.input;
  }

  private openInference() {
    if (!this.inference) {
      const p = InferenceThreads.start(this.theRun().loaded);
      this.inference = p;
      p.catch(() => {
        if (this.inference === p) this.inference = null;
      });
    }
    return this.inference;
  }

  private touch(): void {
    if (this.idle) clearTimeout(this.idle);
    this.idle = setTimeout(() => void this.release(), IDLE_MS).unref();
  }

  /** Close the input and the inference thread (reopened when asked for again). */
  private async release(): Promise<void> {
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
    this.recent.clear();
    const input = this.input;
    const inference = this.inference;
    this.input = null;
    this.inference = null;
    await Promise.all([
      input?.then((i) => i.data.close()).catch(() => undefined),
      inference?.then((i) => i.close()).catch(() => undefined),
    ]);
  }

  /** For good: the run is no longer kept. */
  async close(): Promise<void> {
    this.of = null;
    await this.release();
  }
}
