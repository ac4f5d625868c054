import { spawn } from 'node:child_process';
import net from 'node:net';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLocal } from '@/backend/build-local/local-build';
import { studioLabels } from '@/backend/engine/labels';
import {
  cleanupProject,
  docker,
  ensureStandInImage,
  makeToyProject,
  newManager,
  STAND_IN_IMAGE,
  studioContainersFor,
  TOY_HANDLER,
} from './helpers';

// Real dockerd, real containers from the MLServer stand-in image.
describe('start-api against the real engine', () => {
  const dirs: string[] = [];
  beforeAll(() => ensureStandInImage(), 300_000);
  afterAll(async () => {
    for (const d of dirs) await cleanupProject(d);
  });

  it('starts, becomes ready, answers an inference, keeps logs, stops and removes the container', async () => {
    const p = await makeToyProject();
    dirs.push(p.dir);
    const { manager, jobs } = newManager();
    const run = await manager.start({ templateFile: p.template, image: STAND_IN_IMAGE, port: 18480 });
    expect(run.state).toBe('preparing');
    const ready = await manager.waitReady(run.id);
    expect(ready.state).toBe('ready');
    expect(ready.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(ready.readyMs).toBeGreaterThan(0);
    const containers = await studioContainersFor(p.dir);
    expect(containers).toHaveLength(1);
    expect(containers[0].Labels['dism.studio']).toBe('1');
    expect(containers[0].Ports.find((x) => x.PrivatePort === 8080)?.IP).toBe('127.0.0.1');
    const res = await fetch(`${ready.url}/v2/models/toy-model/infer`, {
      method: 'POST',
      body: JSON.stringify({ inputs: [{ name: 'A', shape: [2, 2, 2], datatype: 'INT32', data: [1, 2, 3, 4, 5, 6, 7, 8] }] }),
    });
    const body = (await res.json()) as { outputs: Array<{ name: string; data: unknown[] }> };
    expect(body.outputs.find((o) => o.name === 'Flag')?.data).toEqual([false, true]);
    // the handler's print() arrives demultiplexed as stdout
    const printed = () => jobs.logs(run.id).some((l) => l.stream === 'stdout' && l.text.includes('predict on 2 maps'));
    for (let i = 0; i < 50 && !printed(); i++) await new Promise((r) => setTimeout(r, 100));
    expect(printed()).toBe(true);
    const stopped = await manager.stop(run.id);
    expect(stopped.state).toBe('stopped');
    expect(await studioContainersFor(p.dir)).toHaveLength(0);
    const saved = await fs.readFile(path.join(stopped.runDir!, 'model-server.log'), 'utf8');
    expect(saved).toContain('predict on 2 maps');
    expect(JSON.parse(await fs.readFile(path.join(stopped.runDir!, 'run.json'), 'utf8')).state).toBe('stopped');
  });

  it('uses the next free port when the requested one is taken', async () => {
    const p = await makeToyProject();
    dirs.push(p.dir);
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(18490, '127.0.0.1', () => r()));
    try {
      const { manager } = newManager();
      const run = await manager.start({ templateFile: p.template, image: STAND_IN_IMAGE, port: 18490 });
      const ready = await manager.waitReady(run.id);
      expect(ready.hostPort).toBeGreaterThan(18490);
      expect(ready.portNote).toContain('Port 18490 is in use');
      await manager.stop(run.id);
    } finally {
      blocker.close();
    }
  });

  it('explains an image that is missing and cannot be pulled, and suggests local images', async () => {
    const p = await makeToyProject(TOY_HANDLER, { image: 'registry.invalid:5000/dism-test/mlserver:1.5.0' });
    dirs.push(p.dir);
    const { manager } = newManager();
    const run = await manager.start({ templateFile: p.template });
    const err = await manager.waitReady(run.id).then(
      () => null,
      (e: Error & { code?: string; details?: { localCandidates: Array<{ ref: string }> } }) => e,
    );
    expect(err?.code).toBe('IMAGE_NOT_AVAILABLE');
    expect(err?.message).toContain('registry.invalid:5000/dism-test/mlserver:1.5.0 is not on this machine and could not be pulled');
    expect(err?.message).toContain('docker tag');
    expect(err?.details?.localCandidates.map((c) => c.ref)).toContain(STAND_IN_IMAGE);
    expect((await manager.waitEnded(run.id)).state).toBe('failed');
  });

  it('shows the exit code and last log lines when the handler cannot be imported', async () => {
    const p = await makeToyProject(
      'import numpy as np\nfrom mlserver import MLModel\nimport no_such_module_xyz\n\nclass Handler(MLModel):\n    pass\n',
    );
    dirs.push(p.dir);
    const { manager } = newManager();
    const run = await manager.start({ templateFile: p.template, image: STAND_IN_IMAGE, port: 18500 });
    const err = await manager.waitReady(run.id).then(
      () => null,
      (e: Error & { code?: string }) => e,
    );
    expect(err?.code).toBe('CONTAINER_EXITED');
    expect(err?.message).toContain('exited with code 1 before it was ready');
    expect(err?.message).toContain("No module named 'no_such_module_xyz'");
    const ended = await manager.waitEnded(run.id);
    expect(ended.state).toBe('exited');
    expect(ended.exitCode).toBe(1);
    expect(await studioContainersFor(p.dir)).toHaveLength(0);
  });

  it('gives up with the last log lines when the model is not ready within the timeout', async () => {
    const slow = TOY_HANDLER.replace(
      '    async def load(self):\n',
      '    async def load(self):\n        import asyncio\n        print("loading slowly", flush=True)\n        await asyncio.sleep(600)\n',
    );
    const p = await makeToyProject(slow);
    dirs.push(p.dir);
    const { manager } = newManager();
    const run = await manager.start({ templateFile: p.template, image: STAND_IN_IMAGE, port: 18510, readyTimeoutS: 3 });
    const err = await manager.waitReady(run.id).then(
      () => null,
      (e: Error & { code?: string }) => e,
    );
    expect(err?.code).toBe('NOT_READY_TIMEOUT');
    expect(err?.message).toContain('did not become ready within 3 s');
    expect(err?.message).toContain('loading slowly');
    expect((await manager.waitEnded(run.id)).state).toBe('failed');
    expect(await studioContainersFor(p.dir)).toHaveLength(0);
  });

  it('reports an unreachable engine clearly', async () => {
    const p = await makeToyProject();
    dirs.push(p.dir);
    await buildLocal(p.template);
    const { manager } = newManager({ ...process.env, DOCKER_HOST: 'tcp://127.0.0.1:1' });
    const run = await manager.start({ templateFile: p.template, image: STAND_IN_IMAGE });
    const err = await manager.waitReady(run.id).then(
      () => null,
      (e: Error & { code?: string }) => e,
    );
    expect(err?.code).toBe('ENGINE_UNREACHABLE');
    expect(err?.message).toContain('DOCKER_HOST is set to tcp://127.0.0.1:1');
  });

  it('removes orphaned containers of the project at the next start', async () => {
    const p = await makeToyProject();
    dirs.push(p.dir);
    const orphan = await docker.createContainer({
      Image: STAND_IN_IMAGE,
      Cmd: ['sleep', '600'],
      // as left by a DISM Studio process that no longer exists
      Labels: {
        ...studioLabels({ project: p.dir, role: 'model-server' }),
        'dism.owner': '999999999@' + (await import('node:os')).hostname(),
      },
    });
    await orphan.start();
    const { manager, jobs } = newManager();
    const run = await manager.start({ templateFile: p.template, image: STAND_IN_IMAGE, port: 18520 });
    await manager.waitReady(run.id);
    const ids = (await studioContainersFor(p.dir)).map((c) => c.Id);
    expect(ids).not.toContain(orphan.id);
    expect(jobs.logs(run.id).some((l) => l.text.includes('Removed orphaned container'))).toBe(true);
    await manager.stop(run.id);
  });

  it('refuses a mount UID 1000 cannot read, and fixes it on request', async () => {
    const p = await makeToyProject();
    dirs.push(p.dir);
    await buildLocal(p.template);
    const secret = path.join(p.dir, '.dism-artifacts', 'build', 'Toy', 'app.py');
    await fs.chmod(secret, 0o600);
    await fs.chown(secret, 4242, 4242).catch(() => undefined);
    const { manager } = newManager();
    const run = await manager.start({ templateFile: p.template, image: STAND_IN_IMAGE, port: 18530, build: 'never' });
    const err = await manager.waitReady(run.id).then(
      () => null,
      (e: Error & { code?: string }) => e,
    );
    expect(err?.code).toBe('MOUNT_NOT_READABLE');
    expect(err?.message).toContain('app.py (file, mode 600');
    expect(err?.message).toContain('chmod -R a+rX');
    await manager.waitEnded(run.id);
    const fixed = await manager.start({
      templateFile: p.template,
      image: STAND_IN_IMAGE,
      port: 18530,
      build: 'never',
      fixPermissions: true,
    });
    expect((await manager.waitReady(fixed.id)).state).toBe('ready');
    await manager.stop(fixed.id);
  });

  it('CLI start-api: builds, waits until ready, prints the URL, keeps serving, stops and removes on Ctrl+C', async () => {
    const p = await makeToyProject();
    dirs.push(p.dir);
    const child = spawn(
      process.execPath,
      [path.resolve('dist/node/cli.mjs'), 'start-api', 'template.yaml', '--resource', 'Toy', '--image', STAND_IN_IMAGE, '--port', '18540'],
      { cwd: p.dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    for (let i = 0; i < 300 && !out.includes('Ready: '); i++) await new Promise((r) => setTimeout(r, 100));
    expect(out).toMatch(/Ready: http:\/\/127\.0\.0\.1:18540/);
    expect(out).toContain('local build — DIALS checks not run');
    // idle for longer than the engine probe's request timeout: the server must keep running
    await new Promise((r) => setTimeout(r, 4500));
    expect(child.exitCode).toBeNull();
    expect((await fetch('http://127.0.0.1:18540/v2/health/ready')).status).toBe(200);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toContain('Stopped and removed the container');
    expect(out).toContain('HTTP server running'); // container output is relayed live
    expect(await studioContainersFor(p.dir)).toHaveLength(0);
  });
});
