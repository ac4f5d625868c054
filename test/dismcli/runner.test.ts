import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { discoverEngine } from '@/backend/engine/discovery';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DismcliEvent } from '@/shared/api/contract/dismcli';
import { findStudioContainers, PROJECT_LABEL } from '@/backend/engine/labels';
import { loadRecipe, saveRecipe } from '@/backend/dismcli/recipe';
import { ensureRunnerImage, runnerInfo } from '@/backend/dismcli/runner-image';
import { runDismcli } from '@/backend/dismcli/run-dismcli';

/**
 * Real engine, real image build: recipe "pyinstaller" with the dismcli STAND-IN folder on top of
 * dism-test/debian-base:bookworm (standing in for ubuntu:24.04).
 */
const BASE = 'dism-test/debian-base:bookworm';
const STANDIN = path.resolve(__dirname, '../stand-ins/dismcli/dismcli');
const USER = { uid: 4242, gid: 4343 };
// The client the app itself gets from discovery (long silent steps must not be cut).
const docker = (await discoverEngine()).docker ?? new Docker({ socketPath: '/var/run/docker.sock' });
const haveBase = await docker
  .getImage(BASE)
  .inspect()
  .then(
    () => true,
    () => false,
  );

let tmp: string;
let project: string;
const built = new Set<string>();

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'dism-runner-'));
  project = path.join(tmp, 'pixel project'); // a space, as users' folders have
  await fs.mkdir(path.join(project, 'model'), { recursive: true });
  await fs.copyFile(
    path.join(__dirname, '../fixtures/templates/pixel-barrel-nmf.template.yaml'),
    path.join(project, 'model', 'template.yaml'),
  );
  await fs.chmod(tmp, 0o755);
  // The project belongs to the user dismcli runs as, as on a laptop.
  await fs.chown(project, USER.uid, USER.gid);
  await fs.chown(path.join(project, 'model'), USER.uid, USER.gid);
});

afterAll(async () => {
  for (const tag of built)
    await docker
      .getImage(tag)
      .remove({ force: true })
      .catch(() => undefined);
  // Anything else built for this test's projects (also images a cancelled or repeated build left untagged).
  for (const img of await docker.listImages({ filters: { label: ['dism.role=dismcli-runner'] } })) {
    if ((img.Labels?.['dism.project'] ?? '').startsWith(tmp))
      await docker
        .getImage(img.Id)
        .remove({ force: true })
        .catch(() => undefined);
  }
  await fs.rm(tmp, { recursive: true, force: true });
});

async function owner(rel: string) {
  const st = await fs.stat(path.join(project, rel));
  return { uid: st.uid, gid: st.gid };
}

describe.skipIf(!haveBase)('dismcli runner (real engine, stand-in dismcli)', () => {
  it('builds recipe (b) once and rebuilds only when the recipe changes', async () => {
    await saveRecipe(project, { kind: 'pyinstaller', baseImage: BASE, dismcliFolder: STANDIN });
    const progress: Array<number | null> = [];
    const first = await ensureRunnerImage(docker, project, { progress: (f) => progress.push(f) });
    built.add(first.imageTag);
    expect(first.built).toBe(true);
    expect(progress.some((p) => p !== null && p > 0.5 && p < 1)).toBe(true); // Step n/m seen
    const img = await docker.getImage(first.imageTag).inspect();
    expect(img.Config.Labels['dism.recipe-hash']).toBe(first.recipeHash);
    expect(img.Config.Env).toContain('LD_LIBRARY_PATH=/app/dismcli/_internal');

    const again = await ensureRunnerImage(docker, project);
    expect(again).toEqual({ ...first, built: false });

    const recipe = await loadRecipe(project);
    const edited = `${recipe.customDockerfile ?? (await runnerInfo(project, null)).dockerfile}LABEL edited.by=user\n`;
    await saveRecipe(project, { ...recipe, customDockerfile: edited });
    expect((await runnerInfo(project, docker)).imageState).toBe('stale');
    const rebuilt = await ensureRunnerImage(docker, project);
    built.add(rebuilt.imageTag);
    expect(rebuilt.built).toBe(true);
    expect(rebuilt.recipeHash).not.toBe(first.recipeHash);
    expect(await fs.readFile(path.join(project, '.dism-studio/dismcli-runner/Dockerfile'), 'utf8')).toContain('LABEL edited.by=user');
    expect((await loadRecipe(project)).customDockerfile).toContain('LABEL edited.by=user');
    // the superseded image of this project is gone
    await expect(docker.getImage(first.imageTag).inspect()).rejects.toMatchObject({ statusCode: 404 });
  }, 180_000);

  it('runs build then package in the template folder: login line, artifacts owned by the user, token cache kept', async () => {
    const { imageTag } = await ensureRunnerImage(docker, project);
    const events: DismcliEvent[] = [];
    const lines: string[] = [];
    const build = await runDismcli(docker, {
      projectDir: project,
      command: 'build',
      template: 'model/template.yaml',
      dialsUrl: 'https://dev-cmsdials-api.web.cern.ch',
      imageTag,
      user: USER,
      onEvent: (e) => events.push(e),
      onLine: (l) => lines.push(l),
    });
    expect(build.ok).toBe(true);
    expect(build.problems).toEqual([]);
    expect(events.find((e) => e.type === 'login')).toMatchObject({
      url: 'https://auth.cern.ch/auth/realms/cern/device?user_code=STAN-DIN0',
    });
    expect(events.some((e) => e.type === 'logged-in')).toBe(true);
    expect(build.artifacts).toEqual(['model/.dism-artifacts/build/standin-build.json', 'model/.dism-artifacts/build/template.yaml']);
    expect(await owner('model/.dism-artifacts/build/template.yaml')).toEqual(USER);
    expect(await owner('model/.cache-dev/standin-token.json')).toEqual(USER);
    expect(lines.some((l) => l.includes('Building resource (PixelNMF'))).toBe(true);

    const pkgEvents: DismcliEvent[] = [];
    const pkg = await runDismcli(docker, {
      projectDir: project,
      command: 'package',
      template: 'model/template.yaml',
      dialsUrl: 'https://dev-cmsdials-api.web.cern.ch',
      imageTag,
      user: USER,
      onEvent: (e) => pkgEvents.push(e),
    });
    expect(pkg.ok).toBe(true);
    expect(pkg.artifacts).toEqual(['model/.dism-artifacts/package/template.yaml']);
    expect(pkgEvents.some((e) => e.type === 'login')).toBe(false); // token cache reused
    expect(await owner('model/.dism-artifacts/package/template.yaml')).toEqual(USER);
  }, 120_000);

  it('a failing run reports the DIALS error readably', async () => {
    const { imageTag } = await ensureRunnerImage(docker, project);
    const shape = await runDismcli(docker, {
      projectDir: project,
      command: 'build',
      template: 'model/template.yaml',
      dialsUrl: 'https://standin-fail-shape.invalid',
      imageTag,
      user: USER,
    });
    expect(shape.ok).toBe(false);
    expect(shape.exitCode).toBe(1);
    expect(shape.problems.map((p) => p.kind)).toEqual(['shape-mismatch']);
    expect(shape.problems[0].message).toContain('expected [-1, 58, 72]');
    const crash = await runDismcli(docker, {
      projectDir: project,
      command: 'package',
      template: 'model/template.yaml',
      dialsUrl: 'https://standin-fail-traceback.invalid',
      imageTag,
      user: USER,
    });
    expect(crash.problems[0]).toMatchObject({ kind: 'traceback', title: 'dismcli crashed: RuntimeError' });
  }, 120_000);

  it('cancel during the login wait removes the container', async () => {
    const { imageTag } = await ensureRunnerImage(docker, project);
    await fs.rm(path.join(project, 'model', '.cache'), { recursive: true, force: true });
    const ac = new AbortController();
    const run = runDismcli(docker, {
      projectDir: project,
      command: 'build',
      template: 'model/template.yaml',
      dialsUrl: 'https://cmsdials-api.web.cern.ch',
      imageTag,
      user: USER,
      signal: ac.signal,
      onEvent: (e) => e.type === 'login' && ac.abort(new Error('Cancelled by user')),
    });
    await expect(run).rejects.toThrow();
    expect(await findStudioContainers(docker, { [PROJECT_LABEL]: project })).toEqual([]);
  }, 60_000);

  it('cancelling a build stops it: no image, no build container left', async () => {
    const cancelProject = path.join(tmp, 'cancel');
    await fs.mkdir(cancelProject);
    await saveRecipe(cancelProject, {
      kind: 'pyinstaller',
      baseImage: BASE,
      dismcliFolder: STANDIN,
      customDockerfile: `FROM ${BASE}\nRUN sleep 57\n`,
    });
    const ac = new AbortController();
    const info = await runnerInfo(cancelProject, docker);
    const build = ensureRunnerImage(docker, cancelProject, {
      signal: ac.signal,
      log: (l) => l.includes('RUN sleep 57') && setTimeout(() => ac.abort(new Error('Cancelled by user')), 500),
    });
    await expect(build).rejects.toThrow(/Cancelled/);
    await expect(docker.getImage(info.imageTag).inspect()).rejects.toMatchObject({ statusCode: 404 });
    const sleeping = async () => (await docker.listContainers()).filter((c) => c.Command.includes('sleep 57'));
    for (let i = 0; i < 100 && (await sleeping()).length; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await sleeping()).toEqual([]);
  }, 60_000);

  it('leaves no container behind', async () => {
    expect(await findStudioContainers(docker, { [PROJECT_LABEL]: project })).toEqual([]);
  });
});
