import { describe, expect, it } from 'vitest';
import { JobManager } from '../../backend/jobs/job-manager';
import { collectGarbage } from '../helpers/garbage';

function collect() {
  const updates: string[] = [];
  const logs: string[] = [];
  const jm = new JobManager({ update: (s) => updates.push(`${s.state}:${s.message}`), log: (l) => logs.push(l.text), chunk: () => undefined });
  return { jm, updates, logs };
}

describe('JobManager', () => {
  it('runs a job, streams progress and logs, keeps the result', async () => {
    const { jm, logs } = collect();
    const s = jm.start({ kind: 't', title: 'T', run: async (job) => { job.progress(0.5, 'half'); job.log('hello', 'stdout'); return 42; } });
    const done = await jm.wait(s.id);
    expect(done).toMatchObject({ state: 'succeeded', result: 42, progress: 1 });
    expect(logs).toEqual(['hello']);
    expect(jm.logs(s.id).map((l) => l.stream)).toEqual(['stdout']);
  });

  it('cancels through the abort signal', async () => {
    const { jm } = collect();
    const s = jm.start({
      kind: 't',
      title: 'T',
      run: (job) => new Promise((_, reject) => job.signal.addEventListener('abort', () => reject(new Error('aborted')))),
    });
    await jm.cancel(s.id);
    expect((await jm.wait(s.id)).state).toBe('cancelled');
  });

  it('keeps the real error of a failed job', async () => {
    const { jm } = collect();
    const s = jm.start({ kind: 't', title: 'T', run: async () => { throw Object.assign(new Error('port 8080 is taken'), { name: 'PortError' }); } });
    expect(await jm.wait(s.id)).toMatchObject({ state: 'failed', error: { name: 'PortError', message: 'port 8080 is taken' } });
  });

  it('a finished job keeps its snapshot and logs, not what its run, abort listeners or cancel hook referenced', async () => {
    const { jm } = collect();
    const held: Array<WeakRef<object>> = [];
    const ids = ['succeeded', 'cancelled'].map((how) => {
      const big = { maps: new Float32Array(1 << 16) };
      held.push(new WeakRef(big));
      const s = jm.start({
        kind: 't',
        title: 'T',
        run: async (job) => {
          // what a run typically leaves behind: an abort listener and a cancel hook that see its data
          job.signal.addEventListener('abort', () => void big.maps);
          if (how === 'cancelled') await new Promise((resolve) => job.signal.addEventListener('abort', resolve));
          job.log('done');
          return { summary: 1 };
        },
        onCancel: () => void big.maps,
      });
      if (how === 'cancelled') void jm.cancel(s.id);
      return s.id;
    });
    for (const id of ids) await jm.wait(id);
    await collectGarbage();
    expect(held.map((r) => r.deref() === undefined)).toEqual([true, true]);
    expect(ids.map((id) => jm.get(id).state)).toEqual(['succeeded', 'cancelled']);
    expect(jm.logs(ids[0]).map((l) => l.text)).toEqual(['done']);
  });
});
