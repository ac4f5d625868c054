import { promises as fs } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { deserializeError, type SerializedError } from '@/shared/api/errors';
import { workerUrl } from '../workers/worker-url';
// sets ORT_DISABLE_TELEMETRY in this (main) thread before the inference thread loads onnxruntime;
// onnxruntime itself is not loaded here unless the sessions run in this thread
import './onnx-environment';
// preset-io (the preset schema) is loaded when needed, so the thread can start before it is loaded
import type { LoadedPreset, PresetModelFile } from './preset-io';
import { inThreadInference, type ChunkInference } from './runner';

/** One layer's model as the inference thread opens it. */
export type InferenceModel = PresetModelFile;

export type InferenceRequest =
  | { type: 'open'; models: InferenceModel[] }
  | { type: 'infer'; id: number; n: number; inputs: Float32Array[]; outputs: Float32Array[] }
  | { type: 'close' };

export type InferenceReply =
  { type: 'ready' } | { type: 'inferred'; id: number } | { type: 'failed'; id?: number; error: SerializedError } | { type: 'closed' };

/**
 * The NMF sessions in a thread of their own (dist/node/workers/nmf-inference.worker.mjs), so the
 * sessions are created while this thread reads and checks the data, and each chunk is inferred while
 * this thread computes the previous chunk's loss and flags and preprocesses the next one: on two
 * cores both work. Model inputs and reconstructions are exchanged in SharedArrayBuffers (no copy
 * through messages). Without the worker bundle (sources not built) the sessions run in this thread.
 */
export class InferenceThread implements ChunkInference {
  readonly sharedBuffers = true;
  private readonly pending = new Map<number, { resolve: () => void; reject: (e: unknown) => void }>();
  private nextId = 0;
  private failure: Error | null = null;
  private readonly ready: Promise<void>;
  private closed: Promise<void> | null = null;

  private constructor(private readonly worker: Worker) {
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

  private settle(id: number, err: Error | null): void {
    const p = this.pending.get(id);
    this.pending.delete(id);
    if (err) p?.reject(err);
    else p?.resolve();
  }

  /**
   * Start creating the sessions of every layer of the preset (it need not be compiled yet: the thread
   * starts while this one compiles it and reads the data); in this thread when no worker bundle exists.
   * Given the preset's promise, the thread starts at once and loads onnxruntime while the preset is
   * still being read; the sessions are created when it arrives (a preset that cannot be read ends the
   * thread, and the caller gets that error from the promise itself).
   */
  static async start(preset: LoadedPreset | Promise<LoadedPreset>): Promise<ChunkInference & { close(): Promise<void> }> {
    const url = workerUrl('nmf-inference.worker');
    const hasWorker = await fs.access(fileURLToPath(url)).then(
      () => true,
      () => false,
    );
    if (!hasWorker) {
      const { openModelSessions, presetModelFiles } = await import('./preset-io');
      const sessions = await openModelSessions(presetModelFiles(await preset));
      return { ...inThreadInference(sessions), close: async () => void (await Promise.all(sessions.map((s) => s.close()))) };
    }
    const thread = new InferenceThread(new Worker(url, { workerData: { models: null } }));
    const { presetModelFiles } = await import('./preset-io');
    let loaded: LoadedPreset;
    try {
      loaded = await preset;
    } catch (err) {
      await thread.worker.terminate();
      throw err;
    }
    const models: InferenceModel[] = presetModelFiles(loaded);
    thread.worker.postMessage({ type: 'open', models } satisfies InferenceRequest);
    return thread;
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

  /** Release the sessions and end the thread. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      const ok = await this.ready.then(
        () => true,
        () => false,
      );
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
