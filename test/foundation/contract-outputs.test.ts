import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackend, type Backend } from '@/backend/api/create-backend';
import { encodeNpy } from '@/backend/pipeline/npy';
import {
  events,
  jobResultSchema,
  methods,
  type EventName,
  type JobSnapshot,
  type MethodName,
  type MethodOutput,
} from '@/shared/api/contract';
import { cleanupProject, ensureStandInImage, makeToyProject, STAND_IN_IMAGE } from '../model-server/helpers';

/**
 * Every method's OUTPUT and every event checked against the contract, on real calls: the demo
 * project through the pipeline, a toy MLServer project in the stand-in image on the real engine,
 * an export to a real archive. "Matches" means the schema accepts it and it carries nothing the
 * schema does not declare (the renderer drops what the contract does not name).
 */

let backend: Backend;
let tmp: string;
const copied: string[] = [];
const toyProjects: string[] = [];
const called = new Set<MethodName>();
const seenEvents: Array<{ event: EventName; payload: unknown }> = [];
const extraTag = `dism-test/contract-tag:${process.pid}`;

const json = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;

/** Calls a method, expects success, checks its output against the contract. */
async function call<M extends MethodName>(method: M, input: unknown): Promise<MethodOutput<M>> {
  const reply = await backend.dispatch(method, input);
  if (!reply.ok) throw new Error(`${method} failed: ${reply.error.name}: ${reply.error.message}`);
  const checked = methods[method].output.safeParse(reply.result);
  expect(checked.success ? [] : checked.error.issues, `${method} output`).toEqual([]);
  expect(json(checked.data), `${method} output has only what the contract declares`).toEqual(json(reply.result));
  called.add(method);
  return reply.result as MethodOutput<M>;
}

async function jobEnd(id: string): Promise<JobSnapshot> {
  for (let i = 0; i < 600; i++) {
    const s = await call('jobs.get', { id });
    if (s.state !== 'running' && s.state !== 'queued') return s;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`job ${id} did not end`);
}

beforeAll(async () => {
  ensureStandInImage();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'dism-contract-out-'));
  backend = await createBackend({
    host: { kind: 'test', pickFolder: async () => tmp, writeClipboard: (text) => copied.push(text) },
    userDataDir: path.join(tmp, 'user'),
    pollEngine: false,
  });
  backend.onEvent((event, payload) => seenEvents.push({ event, payload: json(payload) }));
}, 300_000);

afterAll(async () => {
  await backend?.dispose();
  for (const d of toyProjects) await cleanupProject(d);
  try {
    execFileSync('docker', ['image', 'rm', extraTag], { stdio: 'ignore' }); // only the tag this test added
  } catch {
    // not tagged (the test stopped earlier)
  }
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

describe('API contract: outputs and events', () => {
  it('app, projects, folders and the demo project', async () => {
    await call('app.info', {});
    await call('engine.status', { refresh: true });
    const { project } = await call('demo.open', {});
    await call('projects.open', { dir: project.dir });
    await call('projects.recent', {});
    await call('projects.forget', { dir: path.join(tmp, 'never-opened') });
    expect(await call('projects.pickFolder', { title: 'Pick' })).toEqual({ dir: tmp });
    expect(await call('app.copyText', { text: 'registration request' })).toEqual({ copied: true });
    expect(copied).toEqual(['registration request']);
    await call('fs.listDir', { dir: project.dir, showFiles: true });
  });

  it('template editing', async () => {
    const { project } = await call('demo.open', {});
    const ref = { projectDir: project.dir, path: project.templates[0] };
    const opened = await call('template.open', ref);
    await call('template.validate', ref);
    await call('template.validate', { ...ref, text: 'Resources: [' });
    await call('template.diskState', { ...ref, knownHash: 'not-the-hash' });
    await call('template.saveDraft', { ...ref, text: `${opened.text}# draft\n`, baseHash: opened.disk.hash });
    await call('template.discardDraft', ref);
    await call('template.save', { ...ref, text: opened.text, baseHash: opened.disk.hash });
    await call('template.create', { projectDir: project.dir, path: 'second/template.yaml', text: opened.text });
  });

  it('presets and a preview run with every pipeline call', async () => {
    const { project } = await call('demo.open', {});
    const preset = await call('preset.default', {});
    const presets = await call('pipeline.presets', { projectDir: project.dir });
    await call('preset.load', { file: presets[0].file });
    await call('preset.save', { file: path.join(project.dir, 'contract-preset.json'), preset });
    const run = await call('pipeline.run', { projectDir: project.dir, chunkSize: 8 });
    expect((await jobEnd(run.jobId)).state).toBe('succeeded');
    const results = await call('pipeline.results', { sessionId: run.sessionId, limit: 5 });
    await call('pipeline.lumisection', { sessionId: run.sessionId, index: 0 });
    await call('pipeline.reflag', { sessionId: run.sessionId, preset: { ...results.preset, name: `${results.preset.name} (tuned)` } });
    await call('pipeline.whatIf', { sessionId: run.sessionId, index: 0, regions: [] });
    await call('pipeline.savePreset', {
      sessionId: run.sessionId,
      preset: results.preset,
      file: path.join(project.dir, 'contract-saved-preset.json'),
    });
    await call('jobs.list', { kind: 'pipeline.run', scope: project.dir });
    await call('jobs.logs', { id: run.jobId });
    await call('jobs.cancel', { id: run.jobId });
    await call('pipeline.release', { sessionId: run.sessionId });
  });

  it('a model server on the real engine: build, start, infer, stop, images', async () => {
    const p = await makeToyProject();
    toyProjects.push(p.dir);
    await fs.mkdir(path.join(p.dir, 'data'));
    await fs.writeFile(
      path.join(p.dir, 'data/raw_A.npy'),
      encodeNpy({ dtype: 'int32', shape: [2, 2, 2], data: Int32Array.from([1, 1, 1, 1, 9, 9, 9, 9]) }),
    );
    await fs.writeFile(path.join(p.dir, 'data/run_number.npy'), encodeNpy({ dtype: 'int32', shape: [2], data: Int32Array.from([7, 7]) }));
    await fs.writeFile(path.join(p.dir, 'data/ls_number.npy'), encodeNpy({ dtype: 'int32', shape: [2], data: Int32Array.from([1, 2]) }));
    await call('projects.open', { dir: p.dir });
    await call('modelServer.buildLocal', { templateFile: p.template });
    await call('modelServer.presetSync', { templateFile: p.template });
    await call('modelServer.localImages', { like: STAND_IN_IMAGE });
    await call('modelServer.tagImage', { source: STAND_IN_IMAGE, target: extraTag });
    const run = await call('modelServer.start', { templateFile: p.template, image: STAND_IN_IMAGE, build: 'never' });
    let state = run;
    for (let i = 0; i < 300 && state.state !== 'ready'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      state = await call('modelServer.get', { id: run.id });
      expect(state.state).not.toBe('failed');
    }
    await call('modelServer.runs', { projectDir: p.dir });
    await call('modelServer.infer', { templateFile: p.template, runId: run.id, previewFlags: [false, true] });
    await call('modelServer.stop', { id: run.id });
    expect((await jobEnd(run.id)).state).toBe('succeeded');
  }, 120_000);

  it('export, and the dismcli and joblib jobs up to where they need what is not here', async () => {
    const p = await makeToyProject();
    toyProjects.push(p.dir);
    await call('projects.open', { dir: p.dir });
    await call('modelServer.buildLocal', { templateFile: p.template });
    expect(await call('modelServer.buildState', { templateFile: p.template })).toMatchObject({ kind: 'local' });
    await call('export.summary', { projectDir: p.dir });
    const exported = await call('export.run', { projectDir: p.dir, to: path.join(tmp, 'toy-export.zip') });
    expect((await jobEnd(exported.id)).state).toBe('succeeded');

    await call('dismcli.dials.get', { projectDir: p.dir });
    await call('dismcli.dials.set', { projectDir: p.dir, choice: 'production' });
    await call('dismcli.runner.get', { projectDir: p.dir });
    // A recipe that cannot be built: the jobs start (their snapshot is the output) and end at once.
    await call('dismcli.runner.save', {
      projectDir: p.dir,
      recipe: { kind: 'pyinstaller', dismcliFolder: path.join(tmp, 'no-dismcli-here') },
    });
    const build = await call('dismcli.runner.build', { projectDir: p.dir });
    expect(await jobEnd(build.id)).toMatchObject({ state: 'failed', error: { code: 'RECIPE_INVALID' } });
    const dismcli = await call('dismcli.run', { projectDir: p.dir, command: 'build', template: 'template.yaml' });
    expect(await jobEnd(dismcli.id)).toMatchObject({ state: 'failed', error: { code: 'RECIPE_INVALID' } });
    await call('dismcli.events', { jobId: dismcli.id });
    const joblib = await call('models.importJoblib', {
      projectDir: p.dir,
      template: 'template.yaml',
      resource: 'Toy',
      image: 'dism-test/no-such-image:none',
    });
    expect((await jobEnd(joblib.id)).state).toBe('failed');
  }, 120_000);

  it('called every method of the contract', () => {
    expect(Object.keys(methods).filter((m) => !called.has(m as MethodName))).toEqual([]);
  });

  it('every event matched its schema (job results by kind included), and nothing more', () => {
    const counts: Record<string, number> = {};
    for (const { event, payload } of seenEvents) {
      const checked = events[event].safeParse(payload);
      expect(checked.success ? [] : checked.error.issues, `${event} ${JSON.stringify(payload).slice(0, 200)}`).toEqual([]);
      expect(json(checked.data), `${event} has only what the contract declares`).toEqual(payload);
      counts[event] = (counts[event] ?? 0) + 1;
    }
    expect(Object.keys(counts).sort()).toEqual(['engine.status', 'job.chunk', 'job.log', 'job.update']);
    const finished = seenEvents.filter(
      (e): e is { event: 'job.update'; payload: JobSnapshot } =>
        e.event === 'job.update' && (e.payload as JobSnapshot).state === 'succeeded',
    );
    expect([...new Set(finished.map((e) => e.payload.kind))].sort()).toEqual(['export', 'model-server', 'pipeline.run']);
    for (const { payload } of finished) expect(jobResultSchema(payload.kind).safeParse(payload.result).success, payload.kind).toBe(true);
    const chunkKinds = new Set(seenEvents.filter((e) => e.event === 'job.chunk').map((e) => (e.payload as { kind: string }).kind));
    expect([...chunkKinds].sort()).toEqual(['model-server', 'pipeline.run']);
  });
});
