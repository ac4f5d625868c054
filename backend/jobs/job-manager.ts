import { randomUUID } from 'node:crypto';
import type { JobLogLine, JobSnapshot } from '../../shared/api/contract';
import { serializeError } from '../../shared/api/errors';

export interface JobHandle {
  readonly id: string;
  readonly signal: AbortSignal;
  progress(fraction: number | null, message?: string): void;
  log(text: string, stream?: JobLogLine['stream']): void;
  /** Stream a partial result (e.g. one lumisection) to the UI. */
  chunk(data: unknown): void;
}

export interface StartJobOptions<R> {
  kind: string;
  title: string;
  scope?: string;
  run: (job: JobHandle) => Promise<R>;
  /** Extra clean-up when cancelled (the signal is aborted first). */
  onCancel?: () => void | Promise<void>;
}

interface JobRecord {
  snapshot: JobSnapshot;
  /**
   * Only while the job runs. Its abort listeners and cancel hook are closures over the job's data
   * (a pipeline run's stage maps, a build's buffers): a finished record must not keep them alive.
   */
  active: { controller: AbortController; onCancel?: () => void | Promise<void> } | null;
  logs: JobLogLine[];
  logSeq: number;
  chunkSeq: number;
  done: Promise<unknown>;
}

export interface JobEvents {
  update(s: JobSnapshot): void;
  log(l: JobLogLine): void;
  chunk(c: { jobId: string; seq: number; data: unknown }): void;
}

const MAX_LOG_LINES = 50_000;
const MAX_FINISHED_JOBS = 200;

/** Keeps every long-running piece of work, its progress and logs, independent of any UI. */
export class JobManager {
  private readonly jobs = new Map<string, JobRecord>();

  constructor(private readonly events: JobEvents) {}

  start<R>(opts: StartJobOptions<R>): JobSnapshot {
    const id = randomUUID();
    const controller = new AbortController();
    const snapshot: JobSnapshot = {
      id,
      kind: opts.kind,
      title: opts.title,
      state: 'running',
      progress: null,
      message: 'Starting…',
      startedAt: new Date().toISOString(),
      ...(opts.scope ? { scope: opts.scope } : {}),
    };
    const rec: JobRecord = { snapshot, active: { controller, onCancel: opts.onCancel }, logs: [], logSeq: 0, chunkSeq: 0, done: Promise.resolve() };
    this.jobs.set(id, rec);
    this.prune();
    const handle: JobHandle = {
      id,
      signal: controller.signal,
      progress: (fraction, message) => {
        if (rec.snapshot.state !== 'running') return;
        rec.snapshot = { ...rec.snapshot, progress: fraction === null ? null : Math.max(0, Math.min(1, fraction)), ...(message !== undefined ? { message } : {}) };
        this.events.update(rec.snapshot);
      },
      log: (text, stream = 'info') => {
        const line: JobLogLine = { jobId: id, seq: ++rec.logSeq, stream, text, ts: new Date().toISOString() };
        rec.logs.push(line);
        if (rec.logs.length > MAX_LOG_LINES) rec.logs.splice(0, rec.logs.length - MAX_LOG_LINES);
        this.events.log(line);
      },
      chunk: (data) => this.events.chunk({ jobId: id, seq: ++rec.chunkSeq, data }),
    };
    this.events.update(snapshot);
    rec.done = (async () => {
      try {
        const result = await opts.run(handle);
        this.finish(rec, controller.signal.aborted ? 'cancelled' : 'succeeded', { result, progress: 1, message: controller.signal.aborted ? 'Cancelled' : 'Done' });
      } catch (err) {
        if (controller.signal.aborted) this.finish(rec, 'cancelled', { message: 'Cancelled' });
        else {
          const e = serializeError(err);
          this.finish(rec, 'failed', { error: e, message: e.message });
        }
      }
    })();
    return snapshot;
  }

  private finish(rec: JobRecord, state: JobSnapshot['state'], patch: Partial<JobSnapshot>): void {
    rec.snapshot = { ...rec.snapshot, ...patch, state, endedAt: new Date().toISOString() };
    if (state !== 'succeeded') delete rec.snapshot.result;
    rec.active = null;
    this.events.update(rec.snapshot);
  }

  async cancel(id: string): Promise<JobSnapshot> {
    const rec = this.require(id);
    const active = rec.active;
    if (active && (rec.snapshot.state === 'running' || rec.snapshot.state === 'queued')) {
      rec.snapshot = { ...rec.snapshot, message: 'Cancelling…' };
      active.controller.abort(new Error('Cancelled by user'));
      await active.onCancel?.();
      this.events.update(rec.snapshot);
    }
    return rec.snapshot;
  }

  get(id: string): JobSnapshot {
    return this.require(id).snapshot;
  }

  /** Resolves when the job has ended (any state). */
  async wait(id: string): Promise<JobSnapshot> {
    const rec = this.require(id);
    await rec.done;
    return rec.snapshot;
  }

  list(filter: { kind?: string; scope?: string } = {}): JobSnapshot[] {
    return [...this.jobs.values()]
      .map((r) => r.snapshot)
      .filter((s) => (!filter.kind || s.kind === filter.kind) && (!filter.scope || s.scope === filter.scope))
      .reverse();
  }

  logs(id: string, afterSeq = 0, limit = 10_000): JobLogLine[] {
    const rec = this.require(id);
    const out = rec.logs.filter((l) => l.seq > afterSeq);
    return out.slice(Math.max(0, out.length - limit));
  }

  /** Cancel everything still running (app shutdown). */
  async cancelAll(): Promise<void> {
    await Promise.all([...this.jobs.values()].filter((r) => r.snapshot.state === 'running').map((r) => this.cancel(r.snapshot.id)));
    await Promise.all([...this.jobs.values()].map((r) => r.done));
  }

  private require(id: string): JobRecord {
    const rec = this.jobs.get(id);
    if (!rec) throw Object.assign(new Error(`No job with id ${id}`), { name: 'NotFoundError', code: 'NOT_FOUND' });
    return rec;
  }

  private prune(): void {
    const finished = [...this.jobs.values()].filter((r) => r.snapshot.state !== 'running');
    for (const r of finished.slice(0, Math.max(0, finished.length - MAX_FINISHED_JOBS))) this.jobs.delete(r.snapshot.id);
  }
}
