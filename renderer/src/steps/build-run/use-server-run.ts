import { useCallback, useEffect, useState } from 'react';
import type { JobLogLine, ServerRun } from '../../../../shared/api/contract';
import { useApi } from '../../api/ApiContext';

const MAX_LINES = 20_000;

function isRunChunk(d: unknown): d is { type: 'model-server'; run: ServerRun } {
  return typeof d === 'object' && d !== null && (d as { type?: unknown }).type === 'model-server';
}

/**
 * The model server run of a project, kept in the back end: re-attaches to the newest run when the
 * step is shown again, and follows its state (job chunks) and container log (job log lines).
 */
export function useServerRun(projectDir: string) {
  const api = useApi();
  const [run, setRun] = useState<ServerRun | null>(null);
  const [lines, setLines] = useState<JobLogLine[]>([]);

  useEffect(() => {
    let alive = true;
    setRun(null);
    setLines([]);
    api.invoke('modelServer.runs', { projectDir }).then((runs) => alive && runs[0] && setRun((cur) => cur ?? runs[0]), () => undefined);
    return () => {
      alive = false;
    };
  }, [api, projectDir]);

  const runId = run?.id ?? null;
  useEffect(() => {
    if (!runId) return;
    let alive = true;
    const add = (add: JobLogLine[]) =>
      setLines((prev) => {
        const last = prev.length ? prev[prev.length - 1].seq : 0;
        const merged = [...prev, ...add.filter((l) => l.seq > last)];
        return merged.length > MAX_LINES ? merged.slice(-MAX_LINES) : merged;
      });
    // Subscribe first, then fetch what happened before, so nothing falls in between.
    const offs = [
      api.on('job.log', (l) => l.jobId === runId && add([l])),
      api.on('job.chunk', (c) => c.jobId === runId && isRunChunk(c.data) && setRun(c.data.run)),
      api.on('job.update', (s) => {
        if (s.id === runId && s.state !== 'running') api.invoke('modelServer.get', { id: runId }).then((r) => alive && setRun(r), () => undefined);
      }),
    ];
    api.invoke('jobs.logs', { id: runId }).then((ls) => alive && setLines((prev) => [...ls.filter((l) => !prev.some((p) => p.seq === l.seq)), ...prev].sort((a, b) => a.seq - b.seq)), () => undefined);
    api.invoke('modelServer.get', { id: runId }).then((r) => alive && setRun((cur) => (cur && cur.id === r.id && cur.state !== r.state && r.state === 'preparing' ? cur : r)), () => undefined);
    return () => {
      alive = false;
      offs.forEach((off) => off());
    };
  }, [api, runId]);

  const attach = useCallback((r: ServerRun) => {
    setLines([]);
    setRun(r);
  }, []);

  return { run, lines, attach };
}

export const ACTIVE_STATES: ReadonlyArray<ServerRun['state']> = ['preparing', 'pulling', 'starting', 'waiting', 'ready', 'stopping'];
