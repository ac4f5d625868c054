import { Worker } from 'node:worker_threads';
import type { TemplateValidation } from '@/shared/api/contract/template';
import { ApiError, deserializeError, type SerializedError } from '@/shared/api/errors';
import { TEMPLATE_LIMITS, templateTooLarge } from '@/shared/template/limits';
import { workerUrl } from '../workers/worker-url';
import { templateToValidate } from './validate-file';

export interface ValidationRequest {
  id: number;
  projectDir: string;
  path: string;
  text: string;
}
export type ValidationReply =
  | { id: number; type: 'filesystem-phase' }
  | { id: number; type: 'done'; result: TemplateValidation }
  | { id: number; type: 'error'; error: SerializedError };

export interface TemplateValidatorOptions {
  /** Longest the CPU-bound part (parse and rules) may take before the thread is stopped. */
  timeoutMs?: number;
  /** Heap of the validation thread; a template needing more is refused, the back end lives on. */
  maxHeapMb?: number;
}

interface Pending {
  req: ValidationRequest;
  resolve(v: TemplateValidation): void;
  reject(e: unknown): void;
  timer?: NodeJS.Timeout;
}

/**
 * Runs `template.validate` in a worker thread so a huge or hostile template never blocks the back
 * end's event loop (every other socket keeps being answered). One thread, started on first use,
 * requests in order. A validation whose parse-and-rules part overruns `timeoutMs` is stopped by
 * terminating the thread, which is then replaced; the filesystem part (ONNX shapes through
 * onnxruntime, where terminating a thread can abort the process) is bounded by the template's size
 * limit instead and is never interrupted.
 */
export class TemplateValidator {
  private worker: Worker | null = null;
  private current: Pending | null = null;
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private disposed = false;
  private readonly timeoutMs: number;
  private readonly maxHeapMb: number;

  constructor(opts: TemplateValidatorOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.maxHeapMb = opts.maxHeapMb ?? 768;
  }

  async validate(projectDir: string, path: string, text?: string): Promise<TemplateValidation> {
    const loc = await templateToValidate(projectDir, path, text);
    if ('tooLarge' in loc) return loc.tooLarge;
    const source = loc.text;
    // Over the size limit: answered here, without copying megabytes to the thread.
    if (source.length > TEMPLATE_LIMITS.maxChars)
      return { valid: false, problems: [templateTooLarge(source.length)], problemsTotal: 1, notes: [] };
    if (this.disposed) throw new ApiError('DISPOSED', 'The back end is shutting down.');
    const req: ValidationRequest = { id: this.nextId++, projectDir, path, text: source };
    return new Promise<TemplateValidation>((resolve, reject) => {
      this.queue.push({ req, resolve, reject });
      this.pump();
    });
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const stopped = new ApiError('DISPOSED', 'The back end is shutting down.');
    for (const p of this.queue.splice(0)) p.reject(stopped);
    this.finish(null, stopped);
    await this.worker?.terminate();
    this.worker = null;
  }

  private pump(): void {
    if (this.current || this.disposed) return;
    const next = this.queue.shift();
    if (!next) {
      this.worker?.unref(); // an idle thread does not keep the process alive
      return;
    }
    this.current = next;
    const worker = this.thread();
    worker.ref();
    next.timer = setTimeout(() => this.overran(next), this.timeoutMs);
    worker.postMessage(next.req);
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(workerUrl('validate.worker'), { resourceLimits: { maxOldGenerationSizeMb: this.maxHeapMb } });
    // Events of a thread that was replaced (after a timeout) concern nobody any more.
    worker.on('message', (m: ValidationReply) => {
      if (this.worker !== worker) return;
      const p = this.current;
      if (!p || m.id !== p.req.id) return;
      if (m.type === 'filesystem-phase') clearTimeout(p.timer);
      else if (m.type === 'done') this.finish(m.result);
      else this.finish(null, deserializeError(m.error));
    });
    worker.on('error', (err) => {
      if (this.worker !== worker) return;
      this.worker = null; // an uncaught error ends the thread; the next request gets a new one
      const outOfMemory = (err as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY';
      this.finish(
        null,
        outOfMemory
          ? new ApiError(
              'VALIDATION_TOO_LARGE',
              `Checking this template needed more than the ${this.maxHeapMb} MB DISM Studio gives it and was stopped. It is far larger than a DISM template: check that this is the right file.`,
              undefined,
              'ValidationError',
            )
          : new ApiError('VALIDATION_FAILED', `The template check stopped unexpectedly: ${err.message}`, undefined, 'ValidationError'),
      );
    });
    worker.on('exit', () => {
      if (this.worker !== worker) return;
      this.worker = null;
      if (this.current)
        this.finish(null, new ApiError('VALIDATION_FAILED', 'The template check stopped unexpectedly.', undefined, 'ValidationError'));
    });
    this.worker = worker;
    return worker;
  }

  private overran(p: Pending): void {
    if (this.current !== p) return;
    const worker = this.worker;
    this.worker = null;
    this.finish(
      null,
      new ApiError(
        'VALIDATION_TIMEOUT',
        `Checking this template took longer than ${Math.round(this.timeoutMs / 1000)} s and was stopped. It is probably far larger or more deeply nested than a DISM template: check that this is the right file.`,
        undefined,
        'ValidationError',
      ),
    );
    void worker?.terminate();
  }

  private finish(result: TemplateValidation | null, error?: unknown): void {
    const p = this.current;
    if (!p) return;
    this.current = null;
    clearTimeout(p.timer);
    if (result) p.resolve(result);
    else p.reject(error);
    setImmediate(() => this.pump());
  }
}
