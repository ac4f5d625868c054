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
  modelCheckScope,
  type EventName,
  type JobSnapshot,
  type MethodName,
  type MethodOutput,
} from '@/shared/api/contract';
import { DEFAULT_PLOT_SETTINGS } from '@/shared/plot/plot-settings';
import { cleanupProject, ensureStandInImage, makeToyProject, STAND_IN_IMAGE, TOY_HANDLER } from '../model-server/helpers';
import { startDialsStandIn } from '../stand-ins/dials-api/dials-stand-in';

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
async function call<M extends MethodName>(method: M, input: unknown, on: Backend = backend): Promise<MethodOutput<M>> {
  const reply = await on.dispatch(method, input);
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
    await call('preview.savePlotSettings', { projectDir: project.dir, settings: DEFAULT_PLOT_SETTINGS });
    const plot = await call('preview.plotSettings', { projectDir: project.dir });
    await call('pipeline.runAverage', { sessionId: run.sessionId, run: results.items[0].run });
    const report = await call('preview.report', {
      sessionId: run.sessionId,
      file: path.join(project.dir, 'reports', 'contract.pdf'),
      select: { kind: 'positions', positions: [0] },
      plot,
      modelName: 'Demo project',
      overwrite: true,
    });
    expect((await jobEnd(report.id)).state).toBe('succeeded');
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

  it('the model check, vendoring, aliases and a re-dump on the real engine', async () => {
    const p = await makeToyProject(`${TOY_HANDLER}\nfrom tools import dftools  # noqa: E402,F401\n`);
    toyProjects.push(p.dir);
    await fs.mkdir(path.join(p.dir, 'tools'));
    await fs.writeFile(path.join(p.dir, 'tools', 'dftools.py'), 'class Thing(object):\n    pass\n');
    // A protocol 2 pickle of a tools.dftools.Thing: GLOBAL, EMPTY_TUPLE, NEWOBJ, EMPTY_DICT, BUILD, STOP.
    await fs.writeFile(
      path.join(p.dir, 'mlserver-model', 'model.bin'),
      Buffer.from('\x80\x02ctools.dftools\nThing\nq\x00)\x81q\x01}q\x02b.', 'latin1'),
    );
    await call('projects.open', { dir: p.dir });
    const targets = await call('modelCheck.targets', { projectDir: p.dir });
    expect(targets[0].resources).toMatchObject([{ key: 'Toy', checkable: true }]);
    const check = await call('modelCheck.run', { templateFile: p.template, image: STAND_IN_IMAGE });
    expect(await jobEnd(check.id)).toMatchObject({ state: 'succeeded', result: { errors: 3, canVendor: true } });
    const plan = await call('modelCheck.vendorPlan', { templateFile: p.template, image: STAND_IN_IMAGE });
    expect(plan.pickleChanges).toMatchObject([{ pickled: 'tools.dftools.Thing', becomes: 'dftools.Thing' }]);
    await call('modelCheck.vendorApply', { templateFile: p.template, planId: plan.planId, image: STAND_IN_IMAGE });
    const redump = await call('modelCheck.redump', { templateFile: p.template, image: STAND_IN_IMAGE });
    expect(await jobEnd(redump.id)).toMatchObject({
      state: 'succeeded',
      result: { renamed: [{ from: 'tools.dftools.Thing', to: 'dftools.Thing' }] },
    });
    // the other way out, on the original pickle
    await fs.copyFile(path.join(p.dir, 'mlserver-model', 'model.bin.dism-studio.bak'), path.join(p.dir, 'mlserver-model', 'model.bin'));
    await call('modelCheck.addAliases', { templateFile: p.template });
    await call('jobs.list', { kind: 'model-check', scope: modelCheckScope(p.template, 'Toy') });
  }, 180_000);

  it('the engine: the project location check, copying a project, and the Podman service DISM Studio starts (lxplus)', async () => {
    const p = await makeToyProject();
    toyProjects.push(p.dir);
    await call('projects.open', { dir: p.dir });
    const location = await call('engine.checkProjectLocation', { projectDir: p.dir });
    expect(location.probe.outcome).toBe('sees-the-folder');
    const copy = await call('projects.copy', { projectDir: p.dir, to: path.join(tmp, 'toy-copy') });
    expect((await jobEnd(copy.id)).state).toBe('succeeded');

    // A second back end as on lxplus: DOCKER_HOST names a Podman socket nobody serves yet.
    const socket = path.join(tmp, 'podman-run', 'podman.sock');
    const lxplus = await createBackend({
      host: { kind: 'test' },
      userDataDir: path.join(tmp, 'user-lxplus'),
      env: { PATH: process.env.PATH, HOME: tmp, DOCKER_HOST: `unix://${socket}` },
      pollEngine: false,
    });
    lxplus.onEvent((event, payload) => seenEvents.push({ event, payload: json(payload) }));
    try {
      expect((await call('engine.status', { refresh: true }, lxplus)).podmanOffer?.socket).toBe(socket);
      const started = await call('engine.startPodmanService', {}, lxplus);
      expect(started).toMatchObject({ state: 'connected', kind: 'podman', address: `unix://${socket}` });
    } finally {
      await lxplus.dispose();
    }
  }, 120_000);

  it('DIALS against its API stand-in: sign-in, fetch, production flags, sign-out', async () => {
    const dials = await startDialsStandIn();
    try {
      const { project } = await call('demo.open', {});
      await call('dismcli.dials.set', { projectDir: project.dir, choice: 'custom', customUrl: dials.url });
      await call('dials.account', { projectDir: project.dir });
      const signIn = await call('dials.signIn', { projectDir: project.dir });
      let events = await call('dials.signInEvents', { jobId: signIn.id });
      for (let i = 0; i < 100 && !events.length; i++) {
        await new Promise((r) => setTimeout(r, 50));
        events = await call('dials.signInEvents', { jobId: signIn.id });
      }
      dials.auth.approve();
      expect((await jobEnd(signIn.id)).state).toBe('succeeded');
      await call('dials.templateMes', { projectDir: project.dir, template: 'template.yaml' });
      await call('dials.datasets', { projectDir: project.dir, query: 'Express' });
      const fetched = await call('dials.fetch', {
        projectDir: project.dir,
        template: 'template.yaml',
        dataset: '/StreamExpress/Run2025F-Express-v1/DQMIO',
        runs: { kind: 'list', runs: [398108] },
        ls: { last: 6 },
      });
      expect((await jobEnd(fetched.id)).state).toBe('succeeded');
      await call('dials.models', { projectDir: project.dir });
      await call('dials.flags', { projectDir: project.dir, modelId: 21 });
      await call('dials.projectData', { projectDir: project.dir });
      const run = await call('pipeline.run', { projectDir: project.dir, dataSource: 'dials' });
      expect(run.total).toBe(6);
      expect((await jobEnd(run.jobId)).state).toBe('succeeded');
      await call('pipeline.release', { sessionId: run.sessionId });
      await call('dials.signOut', { projectDir: project.dir });
    } finally {
      await dials.close();
    }
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
    expect([...new Set(finished.map((e) => e.payload.kind))].sort()).toEqual([
      'dials.fetch',
      'dials.sign-in',
      'export',
      'model-check',
      'model-redump',
      'model-server',
      'pipeline.run',
      'preview.report',
      'project.copy',
    ]);
    for (const { payload } of finished) expect(jobResultSchema(payload.kind).safeParse(payload.result).success, payload.kind).toBe(true);
    const chunkKinds = new Set(seenEvents.filter((e) => e.event === 'job.chunk').map((e) => (e.payload as { kind: string }).kind));
    expect([...chunkKinds].sort()).toEqual(['dials.fetch', 'dials.sign-in', 'model-server', 'pipeline.run']);
  });
});
