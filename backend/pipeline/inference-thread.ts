import { existsSync, promises as fs } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { deserializeError, type SerializedError } from '@/shared/api/errors';
import { workerUrl } from '../workers/worker-url';
// sets ORT_DISABLE_TELEMETRY in this (main) thread before the inference thread loads onnxruntime;
// onnxruntime itself is not loaded here unless the sessions run in this thread
import './onnx-environment';
// preset-io (the preset schema) is loaded when needed, so the thread can start before it is loaded
import type { LoadedPreset, PresetModelFile } from './preset-io';
// the runner (and the pipeline's stages) are loaded only without a worker bundle, so starting the
// thread early (prestart) loads little
import type { ChunkInference } from './runner';

/** One layer's model as the inference thread opens it. */
export type InferenceModel = PresetModelFile;

export type InferenceRequest =
  | { type: 'open'; models: InferenceModel[] }
  | { type: 'infer'; id: number; n: number; inputs: Float32Array[]; outputs: Float32Array[] }
  | { type: 'close' };

export type InferenceReply =
  { type: 'ready' } | { type: 'inferred'; id: number } | { type: 'failed'; id?: number; error: SerializedError } | { type: 'closed' };

/**
 * How many inference threads share a preset's layers: one core is left for this thread (reading,
 * preprocessing, loss, flags). Creating a session takes 150–200 ms of one core whatever the layer, so
 * on four cores or more the three barrel layers' sessions are created side by side, and each thread
 * starts inferring as soon as its own sessions are ready. On two cores one thread: a second one,
 * measured (`npm run bench pipeline`, whole-process mode), only competed with this thread's start-up
 * and loaded onnxruntime twice. Never more threads than layers.
 */
export function inferenceThreadCount(layers: number, cores = availableParallelism()): number {
  return Math.max(1, Math.min(layers, cores - 1));
}

/**
 * Layers to threads, largest maps first, each to the thread with the fewest bins so far (the
 * inference time grows with the map size; the session creation time is about the same for each).
 * Returns, per thread, the indexes of its layers in preset order.
 */
export function assignLayersToThreads(models: Pick<InferenceModel, 'rows' | 'cols'>[], threads: number): number[][] {
  const groups: number[][] = Array.from({ length: Math.max(1, Math.min(threads, models.length)) }, () => []);
  const load = groups.map(() => 0);
  const bySize = models.map((m, i) => ({ i, size: m.rows * m.cols })).sort((a, b) => b.size - a.size || a.i - b.i);
  for (const { i, size } of bySize) {
    const t = load.indexOf(Math.min(...load));
    groups[t].push(i);
    load[t] += size;
  }
  return groups.map((g) => g.sort((a, b) => a - b)).filter((g) => g.length);
}

/**
 * The NMF sessions in threads of their own (dist/node/workers/nmf-inference.worker.mjs, see
 * inferenceThreadCount), so the sessions are created while this thread reads and checks the data,
 * and each chunk is inferred while this thread computes the earlier chunks' loss and flags and
 * preprocesses later ones: every core works. Chunks are queued to the threads (runPipeline keeps
 * several in flight); model inputs and reconstructions are exchanged in SharedArrayBuffers (no copy
 * through messages). Without the worker bundle (sources not built) the sessions run in this thread.
 */
export class InferenceThreads implements ChunkInference {
  readonly sharedBuffers = true;

  /** Settles when every thread's sessions are created (or failed: the failure comes with the first inference). */
  readonly ready: Promise<void>;

  private constructor(
    private readonly threads: InferenceThread[],
    /** Per thread, the indexes of its layers. */
    private readonly layers: number[][],
  ) {
    this.ready = Promise.all(threads.map((t) => t.ready.catch(() => undefined))).then(() => undefined);
  }

  /** Threads prestart() started, until start() takes them. */
  private static early: InferenceThread[] = [];
  /** The models prepare() had the early threads open, and what their files were then. */
  private static prepared: { models: InferenceModel[]; stamps: string[] } | null = null;

  /**
   * Have the threads prestart() started open these models now, before a run asks for them (the back
   * end's spare pipeline worker does it with the models of the last run: a preview run again with the
   * same model files finds its sessions ready). start() uses them only for the same models, in the
   * same files unchanged since (size, modification time, inode); otherwise it starts other threads.
   */
  static async prepare(models: InferenceModel[]): Promise<void> {
    const threads = InferenceThreads.early;
    if (!threads.length || InferenceThreads.prepared) return;
    const stamps = await fileStamps(models);
    const layers = assignLayersToThreads(models, inferenceThreadCount(models.length));
    // start() took the threads meanwhile, or the count does not fit
    if (InferenceThreads.early !== threads || layers.length !== threads.length) return;
    threads.forEach((t, k) => t.open(layers[k].map((i) => models[i])));
    InferenceThreads.prepared = { models, stamps };
  }

  /**
   * Start creating the sessions of every layer of the preset (it need not be compiled yet: the
   * threads start while this one compiles it and reads the data); in this thread when no worker
   * bundle exists. Given the preset's promise, the threads start at once and load onnxruntime while
   * the preset is still being read; the sessions are created when it arrives (a preset that cannot be
   * read ends the threads, and the caller gets that error from the promise itself).
   */
  static async start(
    preset: LoadedPreset | Promise<LoadedPreset>,
    /** How many threads (default: inferenceThreadCount for this machine). */
    opts: { threads?: number } = {},
  ): Promise<ChunkInference & { close(): Promise<void> }> {
    const threads = InferenceThreads.early;
    InferenceThreads.early = [];
    const prepared = InferenceThreads.prepared;
    InferenceThreads.prepared = null;
    for (const t of threads) t.worker.ref();
    if (!threads.length) {
      const url = workerUrl('nmf-inference.worker');
      if (!existsSync(fileURLToPath(url))) {
        const [{ openModelSessions, presetModelFiles }, { inThreadInference }] = await Promise.all([
          import('./preset-io'),
          import('./runner'),
        ]);
        const sessions = await openModelSessions(presetModelFiles(await preset));
        return { ...inThreadInference(sessions), close: async () => void (await Promise.all(sessions.map((s) => s.close()))) };
      }
      threads.push(...InferenceThreads.spawn(url, inferenceThreadCount(3)));
    }
    const { presetModelFiles } = await import('./preset-io');
    let models: InferenceModel[];
    try {
      models = presetModelFiles(await preset);
    } catch (err) {
      await Promise.all(threads.map((t) => t.close()));
      throw err;
    }
    const layers = assignLayersToThreads(models, opts.threads ?? inferenceThreadCount(models.length));
    if (prepared) {
      const same =
        JSON.stringify(prepared.models) === JSON.stringify(models) &&
        layers.length === threads.length &&
        (await fileStamps(models)).join() === prepared.stamps.join();
      if (same) return new InferenceThreads(threads, layers);
      // their sessions are of other models (or older files): released in the background, new threads instead
      for (const t of threads.splice(0)) void t.close();
    }
    const url = workerUrl('nmf-inference.worker');
    if (threads.length < layers.length) threads.push(...InferenceThreads.spawn(url, layers.length - threads.length));
    // threads started for more layers than this preset has
    await Promise.all(threads.splice(layers.length).map((t) => t.close()));
    threads.forEach((t, k) => t.open(layers[k].map((i) => models[i])));
    return new InferenceThreads(threads, layers);
  }

  /**
   * Start the threads now, before the caller has loaded its own modules or knows the preset: they load
   * onnxruntime meanwhile, and the next start() takes them (the CLI's preview calls this first thing;
   * the count assumes the three barrel layers). Until then they do not keep the process alive.
   * Without a worker bundle it does nothing.
   */
  static prestart(): void {
    if (InferenceThreads.early.length) return;
    const url = workerUrl('nmf-inference.worker');
    if (!existsSync(fileURLToPath(url))) return;
    InferenceThreads.early = InferenceThreads.spawn(url, inferenceThreadCount(3));
    for (const t of InferenceThreads.early) t.worker.unref();
  }

  /**
   * End the threads prestart() started, which no run took (sessions prepare() had them open are
   * released first): the spare pipeline worker does so before it exits.
   */
  static async closeEarly(): Promise<void> {
    const threads = InferenceThreads.early;
    InferenceThreads.early = [];
    InferenceThreads.prepared = null;
    await Promise.all(threads.map((t) => t.close()));
  }

  private static spawn(url: URL, count: number): InferenceThread[] {
    return Array.from({ length: count }, () => new InferenceThread(new Worker(url, { workerData: { models: null } }), null));
  }

  async infer(inputs: Float32Array[], n: number, outputs: Float32Array[]): Promise<Float32Array[]> {
    await Promise.all(
      this.threads.map((t, k) =>
        t.infer(
          this.layers[k].map((i) => inputs[i]),
          n,
          this.layers[k].map((i) => outputs[i]),
        ),
      ),
    );
    return outputs;
  }

  /** Release the sessions and end the threads. */
  async close(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.close()));
  }
}

/** What identifies a model file's content well enough to reuse sessions opened from it (a file that cannot be read never matches). */
async function fileStamps(models: InferenceModel[]): Promise<string[]> {
  return Promise.all(
    models.map((m) =>
      fs.stat(m.file).then(
        (st) => `${st.size}:${st.mtimeMs}:${st.ino}`,
        () => `unreadable:${Math.random()}`,
      ),
    ),
  );
}

/** One inference thread: its layers' sessions, and the chunks queued to it. */
class InferenceThread {
  private readonly pending = new Map<number, { resolve: () => void; reject: (e: unknown) => void }>();
  private nextId = 0;
  private failure: Error | null = null;
  readonly ready: Promise<void>;
  private closed: Promise<void> | null = null;
  /** Asked to open sessions (a thread started ahead waits for its models until then). */
  private opened: boolean;

  constructor(
    readonly worker: Worker,
    models: InferenceModel[] | null,
  ) {
    this.opened = models !== null;
    let readyResolve!: () => void;
    let readyReject!: (e: unknown) => void;
    this.ready = new Promise<void>((res, rej) => ((readyResolve = res), (readyReject = rej)));
    // a failure is taken when the caller first infers; until then it must not count as unhandled
    this.ready.catch(() => undefined);
    worker.on('message', (m: InferenceReply) => {
      if (m.type === 'ready') readyResolve();
      else if (m.type === 'inferred') this.settle(m.id, null);
      else if (m.type === 'failed') {
        const err = deserializeError(m.error);
        if (m.id === undefined) {
          this.failure = err;
          readyReject(err);
        } else this.settle(m.id, err);
      }
    });
    const fail = (err: Error) => {
      this.failure ??= err;
      readyReject(this.failure);
      for (const p of this.pending.values()) p.reject(this.failure);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the NMF inference thread ended (exit code ${code})`)));
  }

  /** Open these models' sessions (a thread started without its models). */
  open(models: InferenceModel[]): void {
    this.opened = true;
    this.worker.postMessage({ type: 'open', models } satisfies InferenceRequest);
  }

  private settle(id: number, err: Error | null): void {
    const p = this.pending.get(id);
    this.pending.delete(id);
    if (err) p?.reject(err);
    else p?.resolve();
  }

  async infer(inputs: Float32Array[], n: number, outputs: Float32Array[]): Promise<Float32Array[]> {
    await this.ready;
    if (this.failure) throw this.failure;
    const id = this.nextId++;
    await new Promise<void>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type: 'infer', id, n, inputs, outputs } satisfies InferenceRequest);
    });
    return outputs;
  }

  /**
   * Release the sessions and end the thread. It ends by itself, once its sessions are released (or
   * while it still waits for its models): terminating a thread whose sessions onnxruntime still holds
   * can abort the whole process, later.
   */
  close(): Promise<void> {
    this.closed ??= (async () => {
      const ok =
        !this.opened ||
        (await this.ready.then(
          () => true,
          () => false,
        ));
      if (ok && !this.failure) {
        const done = new Promise<void>((resolve) => {
          this.worker.on('message', (m: InferenceReply) => m.type === 'closed' && resolve());
          this.worker.once('exit', () => resolve());
        });
        this.worker.postMessage({ type: 'close' } satisfies InferenceRequest);
        await done;
      }
      await this.worker.terminate();
    })();
    return this.closed;
  }
}
