import { useEffect, useState } from 'react';
import type { JobLogLine, JobSnapshot } from '../../../shared/api/contract';
import { useApi } from './ApiContext';

const MAX_LINES = 5000;

/** Follows one back-end job: its snapshot, its log (fetched, then live) and its streamed chunks. */
export function useJob<C = unknown>(jobId: string | null, initialChunks?: (id: string) => Promise<Array<{ seq: number; data: C }>>) {
  const api = useApi();
  const [snapshot, setSnapshot] = useState<JobSnapshot | null>(null);
  const [lines, setLines] = useState<JobLogLine[]>([]);
  const [chunks, setChunks] = useState<Array<{ seq: number; data: C }>>([]);

  useEffect(() => {
    setSnapshot(null);
    setLines([]);
    setChunks([]);
    if (!jobId) return;
    let alive = true;
    const addLines = (add: JobLogLine[]) =>
      setLines((prev) => {
        const last = prev.length ? prev[prev.length - 1].seq : 0;
        const merged = [...prev, ...add.filter((l) => l.seq > last)];
        return merged.length > MAX_LINES ? merged.slice(-MAX_LINES) : merged;
      });
    const addChunks = (add: Array<{ seq: number; data: C }>) =>
      setChunks((prev) => {
        const seen = new Set(prev.map((c) => c.seq));
        return [...prev, ...add.filter((c) => !seen.has(c.seq))].sort((a, b) => a.seq - b.seq);
      });
    // Subscribe first, then fetch what happened before: nothing falls in between.
    const offs = [
      api.on('job.update', (s) => s.id === jobId && setSnapshot(s)),
      api.on('job.log', (l) => l.jobId === jobId && addLines([l])),
      api.on('job.chunk', (c) => c.jobId === jobId && addChunks([{ seq: c.seq, data: c.data as C }])),
    ];
    api.invoke('jobs.get', { id: jobId }).then((s) => alive && setSnapshot((cur) => cur ?? s), () => undefined);
    api.invoke('jobs.logs', { id: jobId }).then((ls) => alive && setLines((prev) => [...ls.filter((l) => !prev.some((p) => p.seq === l.seq)), ...prev].sort((a, b) => a.seq - b.seq)), () => undefined);
    initialChunks?.(jobId).then((cs) => alive && addChunks(cs), () => undefined);
    return () => {
      alive = false;
      offs.forEach((off) => off());
    };
    // initialChunks is a stable module-level function at every call site
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, jobId]);

  return { snapshot, lines, chunks, running: snapshot?.state === 'running' };
}

/** The newest job of a kind for a project, so a screen re-attaches to work that outlived it. */
export async function latestJob(api: ReturnType<typeof useApi>, kind: string, scope: string): Promise<JobSnapshot | null> {
  const jobs = await api.invoke('jobs.list', { kind, scope });
  return jobs[0] ?? null;
}
