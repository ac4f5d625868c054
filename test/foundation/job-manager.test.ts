import { describe, expect, it } from 'vitest';
import { JobManager } from '../../backend/jobs/job-manager';

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
});
