import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackend } from '@/backend/api/create-backend';
import { encodeNpy } from '@/backend/pipeline/npy';
import type { InferenceResult, LocalBuildResult, ServerRun } from '@/shared/api/contract';
import { cleanupProject, ensureStandInImage, makeToyProject, STAND_IN_IMAGE, studioContainersFor } from './helpers';

async function call<T>(
  dispatch: (m: string, i: unknown) => Promise<{ ok: boolean; result?: unknown; error?: { code?: string; message: string } }>,
  method: string,
  input: unknown,
): Promise<T> {
  const r = await dispatch(method, input);
  if (!r.ok) throw Object.assign(new Error(r.error!.message), { code: r.error!.code });
  return r.result as T;
}

describe('modelServer API through the dispatcher', () => {
  let userData: string;
  const dirs: string[] = [];
  beforeAll(async () => {
    ensureStandInImage();
    userData = await fs.mkdtemp(path.join(os.tmpdir(), 'dism-ms-api-'));
  }, 300_000);
  afterAll(async () => {
    for (const d of dirs) await cleanupProject(d);
    await fs.rm(userData, { recursive: true, force: true });
  });

  it('build → start → infer on the project sample data → closing the back end stops the container', async () => {
    const p = await makeToyProject();
    dirs.push(p.dir);
    // sample data as the Preview finds it: data/raw_<input>.npy + run/LS numbers
    await fs.mkdir(path.join(p.dir, 'data'));
    await fs.writeFile(
      path.join(p.dir, 'data/raw_A.npy'),
      encodeNpy({ dtype: 'int32', shape: [3, 2, 2], data: Int32Array.from([1, 1, 1, 1, 9, 9, 9, 9, 0, 0, 0, 3]) }),
    );
    await fs.writeFile(
      path.join(p.dir, 'data/run_number.npy'),
      encodeNpy({ dtype: 'int32', shape: [3], data: Int32Array.from([7, 7, 7]) }),
    );
    await fs.writeFile(path.join(p.dir, 'data/ls_number.npy'), encodeNpy({ dtype: 'int32', shape: [3], data: Int32Array.from([1, 2, 3]) }));
    const backend = await createBackend({ host: { kind: 'test' }, userDataDir: userData, pollEngine: false });
    const d = backend.dispatch as never;
    await call(d, 'projects.open', { dir: p.dir }); // the API writes only inside opened projects
    const build = await call<LocalBuildResult>(d, 'modelServer.buildLocal', { templateFile: p.template });
    expect(build.resources[0].files).toContain('model-settings.json');
    const run = await call<ServerRun>(d, 'modelServer.start', {
      templateFile: p.template,
      image: STAND_IN_IMAGE,
      port: 18800,
      build: 'never',
    });
    let state = run;
    for (let i = 0; i < 200 && state.state !== 'ready'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      state = await call<ServerRun>(d, 'modelServer.get', { id: run.id });
      expect(state.state).not.toBe('failed');
    }
    expect(state.state).toBe('ready');
    expect((await call<ServerRun[]>(d, 'modelServer.runs', { projectDir: p.dir }))[0].id).toBe(run.id);
    const result = await call<InferenceResult>(d, 'modelServer.infer', {
      templateFile: p.template,
      runId: run.id,
      previewFlags: [false, true, true],
    });
    expect(result.lumisections.map((l) => [l.run, l.ls, l.outputs.Flag, l.outputs.Metric])).toEqual([
      [7, 1, false, 4],
      [7, 2, true, 36],
      [7, 3, false, 3],
    ]);
    expect(result.comparison?.disagreements).toEqual([{ index: 2, run: 7, ls: 3, server: false, preview: true }]);
    expect(result.savedTo?.startsWith(state.runDir!)).toBe(true);
    const err = await call(d, 'modelServer.start', { templateFile: p.template, image: STAND_IN_IMAGE }).catch(
      (e: Error & { code?: string }) => e,
    );
    expect((err as { code?: string }).code).toBe('ALREADY_RUNNING');
    expect(await studioContainersFor(p.dir)).toHaveLength(1);
    await backend.dispose();
    expect(await studioContainersFor(p.dir)).toHaveLength(0);
  });
});
