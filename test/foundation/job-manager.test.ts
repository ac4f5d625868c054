import { describe, expect, it } from 'vitest';
import type { JobChunk, ServerRun } from '@/shared/api/contract';
import type { RunSummary } from '@/shared/api/contract/pipeline';
import { JobManager } from '@/backend/jobs/job-manager';
import { collectGarbage } from '../helpers/garbage';

function collect() {
  const updates: string[] = [];
  const logs: string[] = [];
  const chunks: JobChunk[] = [];
  const jm = new JobManager({
    update: (s) => updates.push(`${s.state}:${s.message}`),
    log: (l) => logs.push(l.text),
    chunk: (c) => chunks.push(c),
  });
  return { jm, updates, logs, chunks };
}

const built = { imageTag: 'dism-studio/dismcli-runner:abc', recipeHash: 'abc', built: true };
const summary: RunSummary = { lumisections: 2, completed: 2, flagged: 1, flaggedBeforeFilter: 1, passedFilter: 2 };
const run: ServerRun = {
  id: 'r1',
  projectDir: '/p',
  templateFile: '/p/template.yaml',
  resourceKey: 'PixelNMF',
  modelName: 'm',
  framework: 'MLServer',
  image: 'img',
  imageSource: 'default',
  state: 'preparing',
  message: 'Preparing…',
  requestedPort: 8080,
  startedAt: '2025-01-01T00:00:00.000Z',
};

describe('JobManager', () => {
  it('runs a job, streams progress and logs, keeps the result', async () => {
    const { jm, logs } = collect();
    const s = jm.start({
      kind: 'dismcli.runner-build',
      title: 'T',
      run: async (job) => {
        job.progress(0.5, 'half');
        job.log('hello', 'stdout');
        return built;
      },
    });
    const done = await jm.wait(s.id);
    expect(done).toMatchObject({ state: 'succeeded', result: built, progress: 1 });
    expect(logs).toEqual(['hello']);
    expect(jm.logs(s.id).map((l) => l.stream)).toEqual(['stdout']);
  });

  it('cancels through the abort signal', async () => {
    const { jm } = collect();
    const s = jm.start({
      kind: 'dismcli.runner-build',
      title: 'T',
      run: (job) => new Promise((_, reject) => job.signal.addEventListener('abort', () => reject(new Error('aborted')))),
    });
    await jm.cancel(s.id);
    expect((await jm.wait(s.id)).state).toBe('cancelled');
  });

  it('keeps the real error of a failed job', async () => {
    const { jm } = collect();
    const s = jm.start({
      kind: 'dismcli.runner-build',
      title: 'T',
      run: async () => {
        throw Object.assign(new Error('port 8080 is taken'), { name: 'PortError' });
      },
    });
    expect(await jm.wait(s.id)).toMatchObject({ state: 'failed', error: { name: 'PortError', message: 'port 8080 is taken' } });
  });

  it('a finished job keeps its snapshot and logs, not what its run, abort listeners or cancel hook referenced', async () => {
    const { jm } = collect();
    const held: Array<WeakRef<object>> = [];
    const ids = ['succeeded', 'cancelled'].map((how) => {
      const big = { maps: new Float32Array(1 << 16) };
      held.push(new WeakRef(big));
      const s = jm.start({
        kind: 'pipeline.run',
        title: 'T',
        run: async (job) => {
          // what a run typically leaves behind: an abort listener and a cancel hook that see its data
          job.signal.addEventListener('abort', () => void big.maps);
          if (how === 'cancelled') await new Promise((resolve) => job.signal.addEventListener('abort', resolve));
          job.log('done');
          return { summary };
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

  it('sends each chunk with its kind and a number, as the contract has it', async () => {
    const { jm, chunks } = collect();
    const s = jm.start({
      kind: 'model-server',
      title: 'T',
      run: async (job) => {
        job.chunk({ type: 'model-server', run });
        job.chunk({ type: 'model-server', run: { ...run, state: 'ready' } });
        return { ...run, state: 'stopped' };
      },
    });
    expect(await jm.wait(s.id)).toMatchObject({ state: 'succeeded', result: { state: 'stopped' } });
    expect(chunks.map((c) => [c.kind, c.seq, c.jobId === s.id])).toEqual([
      ['model-server', 1, true],
      ['model-server', 2, true],
    ]);
  });

  it('does not send a chunk that breaks the contract; the job finishes its work and ends failed saying why', async () => {
    const { jm, chunks, logs } = collect();
    const s = jm.start({
      kind: 'model-server',
      title: 'T',
      run: async (job) => {
        job.chunk({ type: 'model-server', run: { ...run, state: 'sleeping' as ServerRun['state'] } });
        job.log('cleaned up');
        return run;
      },
    });
    const done = await jm.wait(s.id);
    expect(chunks).toEqual([]);
    expect(logs).toEqual(['cleaned up']);
    expect(done).toMatchObject({ state: 'failed', error: { name: 'ContractError', code: 'CONTRACT_BREACH' } });
    expect(done.error?.message).toMatch(
      /^A model-server job sent a partial result that does not match the API contract \(run\.state must be one of /,
    );
    expect(done.result).toBeUndefined();
  });

  it('refuses a chunk from a kind that sends none', async () => {
    const { jm, chunks } = collect();
    const t = jm.start({
      kind: 'dismcli.runner-build',
      title: 'T',
      run: async (job) => {
        (job.chunk as (d: unknown) => void)({ any: 1 });
        return built;
      },
    });
    expect(await jm.wait(t.id)).toMatchObject({
      state: 'failed',
      error: { message: 'A dismcli.runner-build job sent a partial result, which jobs of its kind do not send in the API contract.' },
    });
    expect(chunks).toEqual([]);
  });

  it('ends failed when the result breaks the contract, and keeps no such result', async () => {
    const { jm } = collect();
    const s = jm.start({
      kind: 'dismcli.runner-build',
      title: 'T',
      run: async () => ({ ...built, built: 'yes' }) as unknown as typeof built,
    });
    const done = await jm.wait(s.id);
    expect(done).toMatchObject({ state: 'failed', error: { name: 'ContractError' } });
    expect(done.error?.message).toMatch(
      /^A dismcli\.runner-build job returned a result that does not match the API contract \(built must be true or false\)/,
    );
    expect(done.result).toBeUndefined();
  });
});
