import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackend, type Backend } from '@/backend/api/create-backend';
import { JobManager } from '@/backend/jobs/job-manager';
import { PipelineService } from '@/backend/pipeline/pipeline-service';
import type { MethodInput, MethodName, MethodOutput } from '@/shared/api/contract';
import { collectGarbage } from '../helpers/garbage';

// What the back end keeps of preview runs and for how long (backend/pipeline/run-retention.ts), on
// real runs of the demo project: through the API with the worker thread, and in-process with small
// limits so each rule is reached.

let root: string;
let backend: Backend;
let demoDir: string;

async function call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>> {
  const reply = await backend.dispatch(method, input);
  if (!reply.ok) throw Object.assign(new Error(reply.error.message), { code: reply.error.code });
  return reply.result as MethodOutput<M>;
}

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'preview-retention-'));
  backend = await createBackend({ host: { kind: 'test' }, userDataDir: path.join(root, 'user-data'), pollEngine: false });
  demoDir = (await call('demo.open', {})).project.dir;
});
afterAll(async () => {
  await backend.dispose();
  await fs.rm(root, { recursive: true, force: true });
});

/**
 * Stage maps of one demo LS: the int32 raw maps ((58 + 90 + 130) × 72), per layer the preprocessed,
 * reconstruction and loss float32 maps and the binary loss map ((56 + 88 + 128) × 64), and the
 * combined and final maps (56 × 64 bytes each).
 */
// what a run keeps of an LS's stage maps: its loss maps (float32, cropped); the others are recomputed when inspected
const LS_MAPS_BYTES = (56 + 88 + 128) * 64 * 4;

function inProcess(
  retention: ConstructorParameters<typeof PipelineService>[1] extends infer O ? (O extends { retention?: infer R } ? R : never) : never,
) {
  const jobs = new JobManager({ update: () => {}, log: () => {}, chunk: () => {} });
  return { jobs, service: new PipelineService(jobs, { useWorker: false, retention }) };
}

/** A run's data as a weak reference: the preset object the run keeps (the same object its results return). */
function weakPreset(service: PipelineService, sessionId: string): WeakRef<object> {
  return new WeakRef(service.results(sessionId).preset);
}

describe('preview runs: what is kept and for how long', () => {
  it('pipeline.release drops a finished run: nothing of it stays reachable; its job record stays', async () => {
    const service = backend.ctx.pipeline;
    const { sessionId, jobId } = await call('pipeline.run', { projectDir: demoDir, chunkSize: 32 });
    expect((await backend.ctx.jobs.wait(jobId)).state).toBe('succeeded');
    const kept = service.kept();
    expect(kept.runs).toEqual([
      { id: sessionId, done: true, lumisections: 120, mapsBytes: kept.mapsBytes, resultBytes: expect.any(Number) },
    ]);
    expect(kept.mapsBytes).toBe(120 * LS_MAPS_BYTES);
    const held = weakPreset(service, sessionId);

    expect(await call('pipeline.release', { sessionId })).toEqual({ released: true });
    expect(service.kept()).toEqual({ runs: [], mapsBytes: 0 });
    await expect(call('pipeline.results', { sessionId })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: `This preview run (${sessionId}) is no longer kept: a run is released when you start another one or leave the project, when more than 4 finished runs are kept, or after 30 minutes unused. Run the preview again.`,
    });
    await expect(call('pipeline.lumisection', { sessionId, index: 0 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await call('pipeline.release', { sessionId })).toEqual({ released: false });
    expect((await call('jobs.get', { id: jobId })).state).toBe('succeeded');
    await collectGarbage();
    expect(held.deref()).toBeUndefined();
  });

  it('releasing a run that is still running cancels its job and keeps nothing of it', async () => {
    const { jobs, service } = inProcess({});
    try {
      const run = await service.start({ projectDir: demoDir, chunkSize: 8 });
      expect(service.kept().runs.map((r) => r.done)).toEqual([false]);
      expect(await service.release(run.sessionId)).toEqual({ released: true });
      expect((await jobs.wait(run.jobId)).state).toBe('cancelled');
      expect(service.kept()).toEqual({ runs: [], mapsBytes: 0 });
    } finally {
      await service.dispose();
    }
  });

  it('keeps the last maxRuns finished runs; an older one is dropped and nothing else holds on to it', async () => {
    const { jobs, service } = inProcess({ maxRuns: 1 });
    try {
      // ids only: the started run's reply holds the preset too
      const a = (({ sessionId, jobId }) => ({ sessionId, jobId }))(await service.start({ projectDir: demoDir }));
      await jobs.wait(a.jobId);
      const held = weakPreset(service, a.sessionId);
      const b = (({ sessionId, jobId }) => ({ sessionId, jobId }))(await service.start({ projectDir: demoDir }));
      expect(service.kept().runs.map((r) => r.id)).toEqual([a.sessionId, b.sessionId]);
      await jobs.wait(b.jobId);
      expect(service.kept().runs.map((r) => r.id)).toEqual([b.sessionId]);
      expect(() => service.results(a.sessionId)).toThrow(/no longer kept: .* when more than 1 finished runs are kept/);
      await collectGarbage();
      expect(held.deref()).toBeUndefined();
    } finally {
      await service.dispose();
    }
  });

  it('stage maps of all runs share one budget: a newer run takes the room of an older one, which keeps its results', async () => {
    // one 40-LS chunk of demo loss maps is 2.7 MB: the budget holds one chunk, not two
    const { jobs, service } = inProcess({ mapsBudget: 4 * 2 ** 20 });
    try {
      const a = await service.start({ projectDir: demoDir, chunkSize: 40 });
      await jobs.wait(a.jobId);
      expect((await service.lumisection(a.sessionId, 0)).index).toBe(0);
      const b = await service.start({ projectDir: demoDir, chunkSize: 40 });
      await jobs.wait(b.jobId);
      expect(service.kept().runs.map((r) => [r.id, r.mapsBytes])).toEqual([
        [a.sessionId, 0],
        [b.sessionId, 40 * LS_MAPS_BYTES],
      ]);
      await expect(service.lumisection(a.sessionId, 0)).rejects.toThrow(
        'The stage maps of position 0 were not kept: they were dropped to make room for a newer preview run (the stage maps of all preview runs together are limited to 4 MB). Run the preview again to inspect it.',
      );
      const resultsA = service.results(a.sessionId);
      expect(resultsA.items).toHaveLength(120);
      expect(resultsA.warnings.at(-1)).toBe(
        'The stage maps of this run were dropped to make room for a newer preview run; its results are kept. Run the preview again to inspect lumisections.',
      );
      expect((await service.lumisection(b.sessionId, 39)).index).toBe(39);
      await expect(service.lumisection(b.sessionId, 40)).rejects.toThrow(
        'The stage maps of position 40 were not kept: the stage maps of all preview runs together are limited to 4 MB. Preview fewer lumisections to inspect it.',
      );
    } finally {
      await service.dispose();
    }
  });
});
