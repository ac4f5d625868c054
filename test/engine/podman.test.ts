import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realDiscoveryHost, type DiscoveryHost } from '@/backend/engine/candidates';
import { discoverEngine } from '@/backend/engine/discovery';
import { EngineClient, localImageName } from '@/backend/engine/engine-client';
import { EngineService } from '@/backend/engine/engine-service';
import { buildContext, buildImage, imageExists, PullError, pullImage } from '@/backend/engine/images';
import { findStudioContainers } from '@/backend/engine/labels';
import { checkProjectLocation } from '@/backend/engine/project-location';
import { containerUserFor, runOneShotContainer } from '@/backend/engine/run-container';
import { saveRecipe } from '@/backend/dismcli/recipe';
import { ensureRunnerImage } from '@/backend/dismcli/runner-image';
import { runDismcli } from '@/backend/dismcli/run-dismcli';
import { JobManager } from '@/backend/jobs/job-manager';
import { ModelServerManager } from '@/backend/model-server/manager';
import type { EngineStatus } from '@/shared/api/contract';
import { callOnce, startServeProcess } from '../helpers/serve-process';
import { ensureStandInImage, makeToyProject, STAND_IN_IMAGE } from '../model-server/helpers';
import {
  asUser,
  BUSYBOX_DOCKERFILE,
  busyboxContextFolder,
  copyImagesToPodman,
  HAVE_BUSYBOX,
  HAVE_PODMAN,
  hostRefusesPodmanDefaultLimits,
  rootlessUser,
  startPodmanServiceProcess,
  stopRootlessPause,
} from './podman-helpers';

/**
 * Real Podman (Debian's podman 4.3) through its Docker-compatible API, driven by the project's own
 * engine layer. The rootful service is the one DISM Studio starts itself on an lxplus-like host
 * (podman on PATH, no API socket, no systemd user session); the Docker engine this machine also
 * runs is hidden from that discovery, so it is what DISM Studio would see on lxplus. Containers do
 * start here: runc refuses Podman's *default* rlimits on this host (no CAP_SYS_RESOURCE, hard nofile
 * limit below Podman's 1048576), and the engine client asks for the host's limits instead.
 */

const BASE = 'dism-test/debian-base:bookworm';
const DISMCLI_STANDIN = path.resolve(__dirname, '../stand-ins/dismcli/dismcli');
const BUSYBOX_IMAGE = `dism-test/podman-busybox:${process.pid}`;

let tmp: string;
const statuses: EngineStatus[] = [];

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'dism-podman-'));
  await fs.chmod(tmp, 0o755);
});
afterAll(async () => {
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

/** This machine as lxplus looks: the Docker engine's sockets are not there. */
function withoutDocker(real: DiscoveryHost): Partial<DiscoveryHost> {
  return {
    home: path.join(tmp, 'home'), // no ~/.docker of the machine's user
    pathKind: (p) => (/docker\.sock$/.test(p) ? Promise.resolve('missing') : real.pathKind(p)),
  };
}

describe.skipIf(!HAVE_PODMAN || !HAVE_BUSYBOX)('rootful Podman started by DISM Studio (lxplus flow)', () => {
  let engine: EngineService;
  let docker: Docker;
  let runDir: string;
  const env = () => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: path.join(tmp, 'home'), XDG_RUNTIME_DIR: runDir });

  beforeAll(async () => {
    runDir = path.join(tmp, 'run');
    await fs.mkdir(runDir, { mode: 0o700 });
    await fs.mkdir(path.join(tmp, 'home'));
    engine = new EngineService((s) => statuses.push(s), env(), withoutDocker(realDiscoveryHost(env())));
  }, 60_000);

  afterAll(async () => {
    await engine?.dispose();
    // The service is gone by now (the last test stops it): the image goes through the podman command.
    spawnSync('podman', ['rmi', '-f', `localhost/${BUSYBOX_IMAGE}`], { stdio: 'ignore' });
  }, 60_000);

  it('with podman on PATH, no API socket and no systemd user session, offers `podman system service`, starts it as its child and connects', async () => {
    const before = await engine.refresh();
    expect(before.state).toBe('unreachable');
    const socket = path.join(runDir, 'dism-studio-podman.sock');
    expect(before.podmanOffer).toMatchObject({ command: `podman system service --time=0 unix://${socket}`, socket });
    expect(before.advice.join('\n')).toContain('Let DISM Studio start the service');

    const after = await engine.startPodmanService();
    expect(after).toMatchObject({ state: 'connected', kind: 'podman', address: socket, rootless: false });
    expect(after.podmanService).toMatchObject({ command: `podman system service --time=0 unix://${socket}`, socket });
    expect(after.tried.at(-1)).toEqual({ address: socket, source: 'Podman service started by DISM Studio', outcome: 'ok' });
    expect(statuses.at(-1)?.podmanService?.pid).toBe(after.podmanService!.pid);
    docker = await engine.client();
    expect(docker).toBeInstanceOf(EngineClient);
    // A local Podman: containers ask for no more than this machine's hard limits.
    expect((docker as EngineClient).profile.hostLimits?.nofile).toBeGreaterThan(0);
  }, 60_000);

  it('builds an image through the engine layer, named localhost/… as Podman names local images, and finds it by its short name', async () => {
    const ctx = busyboxContextFolder(path.join(tmp, 'busybox-ctx'));
    await buildImage(
      docker,
      buildContext([
        { name: 'Dockerfile', text: BUSYBOX_DOCKERFILE },
        { name: '', folder: ctx },
      ]),
      { tag: BUSYBOX_IMAGE },
    );
    const tags = (await docker.listImages()).flatMap((i) => i.RepoTags ?? []);
    expect(tags).toContain(`localhost/${BUSYBOX_IMAGE}`);
    expect(tags).not.toContain(`docker.io/${BUSYBOX_IMAGE}`);
    expect(await imageExists(docker, BUSYBOX_IMAGE)).toBe(true);
    expect(await localImageName(docker, BUSYBOX_IMAGE)).toBe(`localhost/${BUSYBOX_IMAGE}`);
  }, 120_000);

  it('creates, starts and removes a one-shot container (rlimits capped to the host’s); what it writes in the mounted folder belongs to the user', async () => {
    const work = path.join(tmp, 'work');
    await fs.mkdir(work);
    const user = containerUserFor(engine.current());
    const lines: string[] = [];
    const { exitCode } = await runOneShotContainer(
      docker,
      {
        Image: BUSYBOX_IMAGE,
        Cmd: [
          '/bin/busybox',
          'sh',
          '-c',
          'echo "uid=$(/bin/busybox id -u)"; echo "nofile=$(ulimit -n)"; /bin/busybox touch /work/written.txt',
        ],
        User: `${user.uid}:${user.gid}`,
        Labels: { 'dism.project': work },
        HostConfig: { Binds: [`${work}:/work`] },
      },
      { onLine: (_s, t) => lines.push(t) },
    );
    expect(exitCode).toBe(0);
    expect(lines).toContain(`uid=${user.uid}`);
    expect(lines).toContain(`nofile=${(docker as EngineClient).profile.hostLimits!.nofile}`);
    const st = await fs.stat(path.join(work, 'written.txt'));
    expect({ uid: st.uid, gid: st.gid }).toEqual(user);
    expect(await findStudioContainers(docker, { 'dism.project': work })).toEqual([]);
  }, 120_000);

  it.runIf(hostRefusesPodmanDefaultLimits())(
    'a plain Docker-API client (no ulimit cap) cannot start a container on this host: runc refuses Podman’s default rlimits',
    async () => {
      const plain = new Docker({ socketPath: engine.current().address });
      const c = await plain.createContainer({ Image: `localhost/${BUSYBOX_IMAGE}`, Cmd: ['/bin/busybox', 'true'] });
      try {
        await expect(c.start()).rejects.toThrow(/rlimit/);
      } finally {
        await c.remove({ force: true });
      }
    },
    60_000,
  );

  it('a short image name that is not local is pulled from Docker Hub under its full name, and says so', async () => {
    const said: string[] = [];
    const err = await pullImage(docker, 'dism-test/not-on-this-machine:1', { onProgress: (p) => said.push(p.status) }).catch(
      (e: unknown) => e,
    );
    expect(said[0]).toBe(
      'dism-test/not-on-this-machine:1 has no registry in its name: Podman pulls it from Docker Hub as docker.io/dism-test/not-on-this-machine:1',
    );
    // No registry is reachable here: the pull fails, naming what it tried.
    expect(err).toBeInstanceOf(PullError);
    expect((err as PullError).image).toBe('docker.io/dism-test/not-on-this-machine:1');
  }, 120_000);

  it('the probe mount sees a project folder through Podman', async () => {
    const project = path.join(tmp, 'probe-project');
    await fs.mkdir(project);
    await fs.writeFile(path.join(project, 'template.yaml'), 'TemplateFormatVersion: "2025-03-31"\n');
    const loc = await checkProjectLocation(project, docker);
    expect(loc.probe).toEqual({ outcome: 'sees-the-folder', detail: 'the engine sees template.yaml in the mounted folder' });
    expect(loc.problems).toEqual([]);
    expect(await findStudioContainers(docker, { 'dism.role': 'mount-probe' })).toEqual([]);
  }, 60_000);

  describe('the app’s own work through Podman (stand-in images copied from Docker into Podman as localhost/…)', () => {
    beforeAll(() => {
      ensureStandInImage();
      copyImagesToPodman([STAND_IN_IMAGE, BASE]);
    }, 600_000);

    it('start-api: the model server (MLServer stand-in, template image by its short name) starts without a pull, answers an inference, stops', async () => {
      const p = await makeToyProject();
      try {
        const jobs = new JobManager({ update: () => undefined, log: () => undefined, chunk: () => undefined });
        const manager = new ModelServerManager({ jobs, engine });
        const run = await manager.start({ templateFile: p.template, image: STAND_IN_IMAGE, port: 18680 });
        const ready = await manager.waitReady(run.id);
        expect(ready.state).toBe('ready');
        expect(jobs.logs(run.id).some((l) => /pulling/i.test(l.text))).toBe(false);
        const res = await fetch(`${ready.url}/v2/models/toy-model/infer`, {
          method: 'POST',
          body: JSON.stringify({ inputs: [{ name: 'A', shape: [2, 2, 2], datatype: 'INT32', data: [1, 2, 3, 4, 5, 6, 7, 8] }] }),
        });
        const body = (await res.json()) as { outputs: Array<{ name: string; data: unknown[] }> };
        expect(body.outputs.find((o) => o.name === 'Flag')?.data).toEqual([false, true]);
        expect((await manager.stop(run.id)).state).toBe('stopped');
        expect(await findStudioContainers(docker, { 'dism.project': p.dir })).toEqual([]);
      } finally {
        await fs.rm(p.dir, { recursive: true, force: true });
      }
    }, 300_000);

    it('dismcli: the runner image is built on Podman as localhost/…, dismcli build runs and its .dism-artifacts belong to the user', async () => {
      const project = path.join(tmp, 'dismcli project');
      await fs.mkdir(path.join(project, 'model'), { recursive: true });
      await fs.copyFile(
        path.resolve(__dirname, '../fixtures/templates/pixel-barrel-nmf.template.yaml'),
        path.join(project, 'model', 'template.yaml'),
      );
      await saveRecipe(project, { kind: 'pyinstaller', baseImage: BASE, dismcliFolder: DISMCLI_STANDIN });
      const { imageTag } = await ensureRunnerImage(docker, project);
      try {
        expect(await localImageName(docker, imageTag)).toBe(`localhost/${imageTag}`);
        const user = containerUserFor(engine.current());
        const r = await runDismcli(docker, {
          projectDir: project,
          command: 'build',
          template: 'model/template.yaml',
          dialsUrl: 'https://dials.example',
          imageTag,
          user,
        });
        expect(r.ok).toBe(true);
        const st = await fs.stat(path.join(project, 'model', '.dism-artifacts', 'build'));
        expect({ uid: st.uid, gid: st.gid }).toEqual(user);
      } finally {
        await docker
          .getImage(`localhost/${imageTag}`)
          .remove({ force: true })
          .catch(() => undefined);
      }
    }, 300_000);
  });

  it('stops the Podman service with the app: the process and its socket are gone', async () => {
    const started = engine.current().podmanService!;
    await engine.dispose();
    await expect(fs.stat(started.socket)).rejects.toThrow();
    expect(() => process.kill(started.pid, 0)).toThrow();
    expect((await engine.refresh()).state).toBe('unreachable');
  }, 60_000);
});

const rootless = HAVE_PODMAN && HAVE_BUSYBOX ? rootlessUser() : undefined;

describe.skipIf(!rootless)('rootless Podman (as on lxplus): --userns=keep-id', () => {
  let service: Awaited<ReturnType<typeof startPodmanServiceProcess>> | undefined;
  let docker: EngineClient;
  let runDir: string;
  let socket: string;
  let status: EngineStatus;
  const u = rootless!;

  beforeAll(async () => {
    runDir = path.join(tmp, `rootless-run-${u.uid}`);
    await fs.mkdir(runDir, { mode: 0o700 });
    await fs.chown(runDir, u.uid, u.gid);
    socket = path.join(runDir, 'podman.sock');
    // Storage, run state and libpod's tmp folder (where its pause process is recorded) all in the
    // test's folder: nothing stays in the user's home, and nothing of an earlier run is reused.
    const state = (d: string) => path.join(runDir, d);
    const podmanArgs = ['--root', state('storage'), '--runroot', state('runroot'), '--tmpdir', state('libpod-tmp')];
    const { cmd, args } = asUser(u, ['podman', ...podmanArgs, 'system', 'service', '--time=0', `unix://${socket}`], {
      HOME: u.home,
      XDG_RUNTIME_DIR: runDir,
      PATH: process.env.PATH ?? '/usr/bin:/bin',
    });
    service = await startPodmanServiceProcess(cmd, args, socket);
    const found = await discoverEngine(realDiscoveryHost({ DOCKER_HOST: `unix://${socket}` }));
    status = found.status;
    docker = found.docker!;
  }, 120_000);

  afterAll(async () => {
    await docker
      ?.getImage(`localhost/${BUSYBOX_IMAGE}`)
      .remove({ force: true })
      .catch(() => undefined);
    await service?.stop();
    stopRootlessPause(path.join(runDir, 'libpod-tmp'));
  }, 60_000);

  it('discovery reports a rootless Podman', () => {
    expect(status).toMatchObject({ state: 'connected', kind: 'podman', rootless: true });
    expect(docker.profile.rootless).toBe(true);
  });

  it('a container run as the user writes files the user owns on the host (keep-id), and sees itself as that user', async () => {
    const ctx = busyboxContextFolder(path.join(tmp, 'busybox-ctx-rootless'));
    await buildImage(
      docker,
      buildContext([
        { name: 'Dockerfile', text: BUSYBOX_DOCKERFILE },
        { name: '', folder: ctx },
      ]),
      { tag: BUSYBOX_IMAGE },
    );
    const work = path.join(tmp, 'rootless-work');
    await fs.mkdir(work, { mode: 0o700 });
    await fs.chown(work, u.uid, u.gid);
    const lines: string[] = [];
    const { exitCode } = await runOneShotContainer(
      docker,
      {
        Image: BUSYBOX_IMAGE,
        Cmd: ['/bin/busybox', 'sh', '-c', 'echo "uid=$(/bin/busybox id -u)"; /bin/busybox touch /work/written.txt'],
        // The user who runs Podman is "the user" here (DISM Studio runs as that user on lxplus).
        User: `${u.uid}:${u.gid}`,
        HostConfig: { Binds: [`${work}:/work`] },
      },
      { onLine: (_s, t) => lines.push(t) },
    );
    expect(exitCode).toBe(0);
    expect(lines).toContain(`uid=${u.uid}`);
    const st = await fs.stat(path.join(work, 'written.txt'));
    // Without keep-id the file would belong to a subordinate ID (e.g. 165536 + uid − 1).
    expect({ uid: st.uid, gid: st.gid }).toEqual({ uid: u.uid, gid: u.gid });
  }, 180_000);
});

describe.skipIf(!HAVE_PODMAN)('the Podman service DISM Studio starts is a child of the app', () => {
  it('ends when the app is killed (SIGKILL): its watchdog sees DISM Studio’s pipe close and stops podman', async () => {
    const socket = path.join(tmp, 'killed-app', 'podman.sock');
    const server = await startServeProcess({ env: { DOCKER_HOST: `unix://${socket}` } });
    let pid = 0;
    try {
      const reply = await callOnce(server.port, server.token, 'engine.startPodmanService', {});
      expect(reply.ok, JSON.stringify(reply.error)).toBe(true);
      pid = (reply.result as EngineStatus).podmanService!.pid;
      expect(() => process.kill(pid, 0)).not.toThrow();
      server.child.kill('SIGKILL');
      for (let i = 0; i < 300 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
      expect(alive(pid)).toBe(false);
    } finally {
      if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
      await server.stop();
    }
  }, 120_000);
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
