import { randomUUID } from 'node:crypto';
import {
  jobChunkSchema,
  jobResultSchema,
  type JobChunk,
  type JobChunkData,
  type JobKind,
  type JobLogLine,
  type JobResultOf,
  type JobSnapshot,
  type JobSnapshotOf,
} from '@/shared/api/contract';
import { serializeError } from '@/shared/api/errors';
import { issuesText, type IssueLike } from '@/shared/api/issue-text';

export interface JobHandle<K extends JobKind = JobKind> {
  readonly id: string;
  readonly signal: AbortSignal;
  progress(fraction: number | null, message?: string): void;
  log(text: string, stream?: JobLogLine['stream']): void;
  /** Stream a partial result (e.g. one lumisection) to the UI; its type is the kind's chunk in the contract. */
  chunk(data: JobChunkData<K>): void;
}

export interface StartJobOptions<K extends JobKind> {
  kind: K;
  title: string;
  scope?: string;
  run: (job: JobHandle<K>) => Promise<JobResultOf<K>>;
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
  /** The first chunk that did not match the contract: the job ends failed with it. */
  contractBreach: string | null;
  done: Promise<unknown>;
}

export interface JobEvents {
  update(s: JobSnapshot): void;
  log(l: JobLogLine): void;
  chunk(c: JobChunk): void;
}

/** What a job sent or returned does not match its kind's schema in the contract (a bug in DISM Studio). */
function contractError(message: string): Error {
  return Object.assign(new Error(message), { name: 'ContractError', code: 'CONTRACT_BREACH' });
}

function issuesOf(error: { issues: ReadonlyArray<IssueLike> }): string {
  return issuesText(error.issues, 3);
}

const MAX_LOG_LINES = 50_000;
const MAX_FINISHED_JOBS = 200;

/** Keeps every long-running piece of work, its progress and logs, independent of any UI. */
export class JobManager {
  private readonly jobs = new Map<string, JobRecord>();

  constructor(private readonly events: JobEvents) {}

  start<K extends JobKind>(opts: StartJobOptions<K>): JobSnapshotOf<K> {
    const id = randomUUID();
    const controller = new AbortController();
    const chunkSchema = jobChunkSchema(opts.kind);
    const snapshot = {
      id,
      kind: opts.kind,
      title: opts.title,
      state: 'running',
      progress: null,
      message: 'Starting…',
      startedAt: new Date().toISOString(),
      ...(opts.scope ? { scope: opts.scope } : {}),
    } as JobSnapshotOf<K>;
    const rec: JobRecord = {
      snapshot,
      active: { controller, onCancel: opts.onCancel },
      logs: [],
      logSeq: 0,
      chunkSeq: 0,
      contractBreach: null,
      done: Promise.resolve(),
    };
    this.jobs.set(id, rec);
    this.prune();
    const handle: JobHandle<K> = {
      id,
      signal: controller.signal,
      progress: (fraction, message) => {
        if (rec.snapshot.state !== 'running') return;
        rec.snapshot = {
          ...rec.snapshot,
          progress: fraction === null ? null : Math.max(0, Math.min(1, fraction)),
          ...(message !== undefined ? { message } : {}),
        } as JobSnapshot;
        this.events.update(rec.snapshot);
      },
      log: (text, stream = 'info') => {
        const line: JobLogLine = { jobId: id, seq: ++rec.logSeq, stream, text, ts: new Date().toISOString() };
        rec.logs.push(line);
        if (rec.logs.length > MAX_LOG_LINES) rec.logs.splice(0, rec.logs.length - MAX_LOG_LINES);
        this.events.log(line);
      },
      chunk: (data) => {
        // Checked as it leaves: a chunk the UI would refuse is not sent, and the job ends failed
        // saying why (its run still finishes its clean-up).
        const checked = chunkSchema?.safeParse(data);
        if (!checked?.success) {
          rec.contractBreach ??= chunkSchema
            ? `A ${opts.kind} job sent a partial result that does not match the API contract (${issuesOf(checked!.error)}).`
            : `A ${opts.kind} job sent a partial result, which jobs of its kind do not send in the API contract.`;
          return;
        }
        this.events.chunk({ jobId: id, seq: ++rec.chunkSeq, kind: opts.kind, data } as JobChunk);
      },
    };
    this.events.update(snapshot);
    rec.done = (async () => {
      try {
        const result = await opts.run(handle);
        if (!controller.signal.aborted) this.checkResult(rec, opts.kind, result);
        if (rec.contractBreach) throw contractError(rec.contractBreach);
        this.finish(rec, controller.signal.aborted ? 'cancelled' : 'succeeded', {
          result,
          progress: 1,
          message: controller.signal.aborted ? 'Cancelled' : 'Done',
        } as Partial<JobSnapshot>);
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

  private checkResult(rec: JobRecord, kind: JobKind, result: unknown): void {
    const checked = jobResultSchema(kind).safeParse(result);
    if (!checked.success)
      rec.contractBreach ??= `A ${kind} job returned a result that does not match the API contract (${issuesOf(checked.error)}).`;
  }

  private finish(rec: JobRecord, state: JobSnapshot['state'], patch: Partial<JobSnapshot>): void {
    rec.snapshot = { ...rec.snapshot, ...patch, state, endedAt: new Date().toISOString() } as JobSnapshot;
    if (state !== 'succeeded') delete rec.snapshot.result;
    rec.active = null;
    this.events.update(rec.snapshot);
  }

  async cancel(id: string): Promise<JobSnapshot> {
    const rec = this.require(id);
    const active = rec.active;
    if (active && (rec.snapshot.state === 'running' || rec.snapshot.state === 'queued')) {
      rec.snapshot = { ...rec.snapshot, message: 'Cancelling…' } as JobSnapshot;
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

  list(filter: { kind?: JobKind; scope?: string } = {}): JobSnapshot[] {
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
