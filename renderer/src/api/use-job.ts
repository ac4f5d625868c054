import { useCallback, useEffect, useRef, useState } from 'react';
import type { DismApi } from '@/shared/api/client';
import type { JobChunkData, JobKind, JobLogLine, JobSnapshotOf } from '@/shared/api/contract';
import { useApi } from './ApiContext';

/** The log lines a screen keeps of one job (the back end keeps more, and the run folder all). */
const MAX_LINES = 20_000;

/**
 * A chunk as the renderer keeps it. seq is its number in the job; 0 stands for what the back end had
 * kept before we attached. After a reconnect, what it had kept then carries the number of the newest
 * chunk seen before the gap, so it counts as newer than all of them.
 */
export interface KeptChunk<K extends JobKind> {
  seq: number;
  data: JobChunkData<K>;
}

/** Fetches what the back end kept of a job's chunks (the kinds that stream chunks have a method for it). */
export type ChunkHistory<K extends JobKind> = (jobId: string) => Promise<Array<KeptChunk<K>>>;

export interface JobFollower<K extends JobKind> {
  snapshot?(s: JobSnapshotOf<K>): void;
  /** New log lines (possibly older than ones already delivered: the fetched log arrives after live lines). Without it the log is not fetched. */
  lines?(lines: JobLogLine[]): void;
  /** New chunks, the same way. */
  chunks?(chunks: Array<KeptChunk<K>>): void;
  /** The job's snapshot could not be fetched (e.g. the back end no longer knows it). */
  lost?(err: unknown): void;
}

export const isFinished = (s: { state: string }): boolean => s.state !== 'running' && s.state !== 'queued';

/**
 * Follows one back-end job — the one way the renderer does: subscribes to its events first, then
 * fetches what happened before (snapshot, log, kept chunks), so nothing falls in between and
 * nothing is delivered twice. After the connection to the back end dropped and came back, it
 * fetches all three again (events of the gap are lost). Events of another kind under the same id
 * are a contract breach and ignored. Returns the function that stops following.
 */
export function followJob<K extends JobKind>(
  api: DismApi,
  kind: K,
  jobId: string,
  on: JobFollower<K>,
  history?: ChunkHistory<K>,
): () => void {
  let alive = true;
  let liveSnapshot = false;
  const seenLines = new Set<number>();
  const seenChunks = new Set<number>();
  let newestChunk = 0;
  const ofKind = (k: string, what: string): boolean => {
    if (k === kind) return true;
    console.error(`job ${jobId}: a ${what} of a ${k} job, expected ${kind}`);
    return false;
  };
  const addLines = (ls: JobLogLine[]) => {
    const fresh = ls.filter((l) => !seenLines.has(l.seq));
    for (const l of fresh) seenLines.add(l.seq);
    if (fresh.length) on.lines!(fresh);
  };
  /** `summarySeq`: the number a fetched summary (seq 0) gets: 0 when we attach, the newest seen after a reconnect. */
  const addChunks = (cs: Array<KeptChunk<K>>, summarySeq = 0) => {
    const fresh = cs.filter((c) => c.seq === 0 || !seenChunks.has(c.seq)).map((c) => (c.seq === 0 ? { ...c, seq: summarySeq } : c));
    for (const c of fresh) {
      seenChunks.add(c.seq);
      newestChunk = Math.max(newestChunk, c.seq);
    }
    if (fresh.length) on.chunks!(fresh);
  };
  const offs = [
    api.on('job.update', (s) => {
      if (!alive || s.id !== jobId || !ofKind(s.kind, 'snapshot')) return;
      liveSnapshot = true;
      on.snapshot?.(s as JobSnapshotOf<K>);
    }),
    ...(on.lines ? [api.on('job.log', (l) => alive && l.jobId === jobId && addLines([l]))] : []),
    ...(on.chunks
      ? [
          api.on('job.chunk', (c) => {
            if (alive && c.jobId === jobId && ofKind(c.kind, 'chunk')) addChunks([{ seq: c.seq, data: c.data as JobChunkData<K> }]);
          }),
        ]
      : []),
  ];
  const fetchAll = (summarySeq: number) => {
    // A live snapshot wins over the fetched one: it is at least as new.
    liveSnapshot = false;
    api.invoke('jobs.get', { id: jobId }).then(
      (s) => alive && !liveSnapshot && ofKind(s.kind, 'snapshot') && on.snapshot?.(s as JobSnapshotOf<K>),
      (err) => alive && on.lost?.(err),
    );
    if (on.lines)
      api.invoke('jobs.logs', { id: jobId }).then(
        (ls) => alive && addLines(ls),
        () => undefined,
      );
    if (on.chunks && history)
      history(jobId).then(
        (cs) => alive && addChunks(cs, summarySeq),
        () => undefined,
      );
  };
  fetchAll(0);
  const offReconnect = api.onReconnect?.(() => alive && fetchAll(newestChunk));
  return () => {
    alive = false;
    offs.forEach((off) => off());
    offReconnect?.();
  };
}

/** Resolves with the job's final snapshot (rejects if the back end does not know it, or when aborted). */
export function waitForJob<K extends JobKind>(api: DismApi, kind: K, jobId: string, signal?: AbortSignal): Promise<JobSnapshotOf<K>> {
  return new Promise((resolve, reject) => {
    const done = (fn: () => void) => {
      stop();
      signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = () => done(() => reject(signal!.reason));
    const stop = followJob(api, kind, jobId, {
      snapshot: (s) => isFinished(s) && done(() => resolve(s)),
      lost: (err) => done(() => reject(err)),
    });
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort);
  });
}

interface JobView<K extends JobKind> {
  snapshot: JobSnapshotOf<K> | null;
  lines: JobLogLine[];
  chunks: Array<KeptChunk<K>>;
}

function bySeq<T extends { seq: number }>(prev: T[], add: T[], max = Infinity): T[] {
  const last = prev.length ? prev[prev.length - 1].seq : -1;
  const merged = add.every((a) => a.seq > last) ? [...prev, ...add] : [...prev, ...add].sort((a, b) => a.seq - b.seq);
  return merged.length > max ? merged.slice(-max) : merged;
}

/**
 * A screen's view of one kind of job: the newest job of that kind for `scope` (a project folder),
 * so a step shown again re-attaches to work that outlived it, or the one it just started
 * (`attach`). Its snapshot, log and chunks, typed by the kind's schemas in the contract.
 */
export function useJob<K extends JobKind>(kind: K, opts: { scope: string | null | undefined; history?: ChunkHistory<K> }) {
  const api = useApi();
  const { scope } = opts;
  const [jobId, setJobId] = useState<string | null>(null);
  const [view, setView] = useState<JobView<K>>({ snapshot: null, lines: [], chunks: [] });
  const history = useRef(opts.history);
  history.current = opts.history;
  /** The snapshot the start call answered with, shown until the follower has its own. */
  const seed = useRef<JobSnapshotOf<K> | null>(null);

  useEffect(() => {
    setJobId(null);
    if (!scope) return;
    let alive = true;
    const lookUp = () =>
      api.invoke('jobs.list', { kind, scope }).then(
        (jobs) => alive && jobs[0] && setJobId((cur) => cur ?? jobs[0].id),
        () => undefined,
      );
    void lookUp();
    // A job may have started (e.g. in another window) while the connection was down.
    const off = api.onReconnect?.(() => void lookUp());
    return () => {
      alive = false;
      off?.();
    };
  }, [api, kind, scope]);

  useEffect(() => {
    const initial = seed.current?.id === jobId ? seed.current : null;
    seed.current = null;
    setView({ snapshot: initial, lines: [], chunks: [] });
    if (!jobId) return;
    return followJob(
      api,
      kind,
      jobId,
      {
        snapshot: (snapshot) => setView((v) => ({ ...v, snapshot })),
        lines: (add) => setView((v) => ({ ...v, lines: bySeq(v.lines, add, MAX_LINES) })),
        chunks: (add) => setView((v) => ({ ...v, chunks: bySeq(v.chunks, add) })),
      },
      history.current && ((id) => history.current!(id)),
    );
  }, [api, kind, jobId]);

  /** Follow a job this screen just started (its id, or the snapshot the start call answered). */
  const attach = useCallback((job: string | JobSnapshotOf<K>) => {
    if (typeof job !== 'string') seed.current = job;
    setJobId(typeof job === 'string' ? job : job.id);
  }, []);
  const cancel = useCallback(
    () => (jobId ? api.invoke('jobs.cancel', { id: jobId }).then(() => undefined) : Promise.resolve()),
    [api, jobId],
  );

  return { jobId, ...view, running: view.snapshot !== null && !isFinished(view.snapshot), attach, cancel };
}
