import { promises as fs, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackend, type Backend } from '@/backend/api/create-backend';
import { WRITES } from '@/backend/api/write-targets';
import { methods } from '@/shared/api/contract';
import { pixelBarrelPreset } from '@/shared/preset/pixel-barrel';
import { usePackagedProject } from '../helpers/packaged-project';

/**
 * The API writes only inside folders the user opened (whoever holds the token can do no more than
 * the UI lets the user do): one check in the dispatcher, for every transport.
 */
let root: string;
let userData: string;
let backend: Backend;

async function call(method: string, input: unknown) {
  return backend.dispatch(method, input);
}

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'dism-write-scope-'));
  userData = path.join(root, 'user-data');
  backend = await createBackend({ host: { kind: 'test' }, userDataDir: userData, pollEngine: false });
});
afterAll(async () => {
  await backend.dispose();
  await fs.rm(root, { recursive: true, force: true });
});

function folder(name: string): string {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

const preset = pixelBarrelPreset();

describe('API writes only inside opened folders', () => {
  it('every method says what it writes', () => {
    expect(Object.keys(WRITES).sort()).toEqual(Object.keys(methods).sort());
  });

  it('refuses a template save in a folder never opened, with the reason and the way out; allows it once opened', async () => {
    const project = folder('never-opened');
    writeFileSync(path.join(project, 'template.yaml'), 'a: 1\n');
    const refused = await call('template.save', {
      projectDir: project,
      path: 'template.yaml',
      text: 'a: 2\n',
      baseHash: null,
      force: true,
    });
    expect(refused).toMatchObject({
      ok: false,
      error: {
        name: 'OutsideOpenedFoldersError',
        code: 'OUTSIDE_OPENED_FOLDERS',
        message: `DISM Studio writes only inside folders you opened as projects: the template would go to ${path.join(project, 'template.yaml')}, which is outside every open project. Open its folder as a project first (Model step → Open project folder…).`,
      },
    });
    expect(readFileSync(path.join(project, 'template.yaml'), 'utf8')).toBe('a: 1\n');
    expect(await call('projects.open', { dir: project })).toMatchObject({ ok: true });
    expect(
      await call('template.save', { projectDir: project, path: 'template.yaml', text: 'a: 2\n', baseHash: null, force: true }),
    ).toMatchObject({ ok: true });
    expect(readFileSync(path.join(project, 'template.yaml'), 'utf8')).toBe('a: 2\n');
  });

  it('refuses preset files anywhere else, such as a shell start-up file', async () => {
    const home = folder('someones-home');
    const target = path.join(home, '.bashrc');
    writeFileSync(target, 'echo hi\n');
    expect(await call('preset.save', { file: target, preset })).toMatchObject({ ok: false, error: { code: 'OUTSIDE_OPENED_FOLDERS' } });
    expect(readFileSync(target, 'utf8')).toBe('echo hi\n');
    expect(existsSync(`${target}.bak`)).toBe(false);
  });

  it('follows symbolic links: a link inside an opened project does not lead writes out of it', async () => {
    const project = folder('linked-project');
    const outside = folder('outside-target');
    symlinkSync(outside, path.join(project, 'link'));
    await call('projects.open', { dir: project });
    const refused = await call('preset.save', { file: path.join(project, 'link', 'preset.json'), preset });
    expect(refused).toMatchObject({
      ok: false,
      error: { code: 'OUTSIDE_OPENED_FOLDERS', message: expect.stringContaining(`(really ${path.join(outside, 'preset.json')})`) },
    });
    expect(existsSync(path.join(outside, 'preset.json'))).toBe(false);
    expect(await call('preset.save', { file: path.join(project, 'preset.json'), preset })).toMatchObject({ ok: true });
  });

  it('forgetting a project takes it out again; the recent list keeps it across restarts', async () => {
    const project = folder('remembered');
    await call('projects.open', { dir: project });
    const again = await createBackend({ host: { kind: 'test' }, userDataDir: userData, pollEngine: false });
    try {
      expect(await again.dispatch('preset.save', { file: path.join(project, 'preset.json'), preset })).toMatchObject({ ok: true });
      await again.dispatch('projects.forget', { dir: project });
      expect(await again.dispatch('preset.save', { file: path.join(project, 'preset.json'), preset })).toMatchObject({
        ok: false,
        error: { code: 'OUTSIDE_OPENED_FOLDERS' },
      });
    } finally {
      await again.dispose();
    }
  });

  it('cannot open the file-system root, the home folder or its own settings folder as a project', async () => {
    for (const [dir, why] of [
      ['/', 'is the root of the file system'],
      [os.homedir(), 'is your home folder'],
      [userData, "holds DISM Studio's own settings"],
      [root, "holds DISM Studio's own settings"],
    ] as const) {
      expect(await call('projects.open', { dir }), dir).toMatchObject({
        ok: false,
        error: { code: 'NOT_A_PROJECT_FOLDER', message: expect.stringContaining(why) },
      });
    }
    expect(await call('demo.open', {})).toMatchObject({ ok: true }); // the demo lives in the settings folder and is fine
  });

  it("a preview session's preset is saved only inside an opened folder", async () => {
    const demo = await call('demo.open', {});
    expect(demo.ok).toBe(true);
    const demoDir = (demo as { result: { project: { dir: string } } }).result.project.dir;
    const run = await call('pipeline.run', { projectDir: demoDir, chunkSize: 4 });
    expect(run.ok).toBe(true);
    const { sessionId, jobId } = (run as { result: { sessionId: string; jobId: string } }).result;
    await call('jobs.cancel', { id: jobId });
    const escape = path.relative(demoDir, path.join(folder('not-a-project'), 'preset.json'));
    expect(await call('pipeline.savePreset', { sessionId, preset, file: escape })).toMatchObject({
      ok: false,
      error: { code: 'OUTSIDE_OPENED_FOLDERS' },
    });
    expect(await call('pipeline.savePreset', { sessionId, preset, file: 'edited-preset.json' })).toMatchObject({ ok: true });
  });
});

describe('export destinations', () => {
  const fx = usePackagedProject('dism-write-scope-export-');

  it('creates the destination the user picked, and replaces only an earlier export, never a folder of the user', async () => {
    const mine = path.join(fx.tmp, 'my-thesis');
    mkdirSync(mine);
    writeFileSync(path.join(mine, 'chapter1.tex'), 'precious');
    const refused = await fx.backend.dispatch('export.run', { projectDir: fx.project, to: mine, overwrite: true });
    expect(refused).toMatchObject({
      ok: false,
      error: { code: 'INVALID_TARGET', message: expect.stringContaining(`${mine} is a folder that is not a DISM Studio export`) },
    });
    expect(readFileSync(path.join(mine, 'chapter1.tex'), 'utf8')).toBe('precious');

    const fresh = path.join(fx.tmp, 'exports', 'pixel-v1');
    mkdirSync(path.dirname(fresh));
    const started = await fx.backend.dispatch('export.run', { projectDir: fx.project, to: fresh });
    expect(started).toMatchObject({ ok: true });
    const jobId = (started as { result: { id: string } }).result.id;
    for (let i = 0; i < 200; i++) {
      const job = await fx.backend.dispatch('jobs.get', { id: jobId });
      if ((job as { result: { state: string } }).result.state !== 'running') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(existsSync(path.join(fresh, 'manifest.json'))).toBe(true);
    expect(await fx.backend.dispatch('export.run', { projectDir: fx.project, to: fresh, overwrite: true })).toMatchObject({ ok: true });
  });
});
