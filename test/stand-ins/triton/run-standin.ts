/**
 * Starting the Triton stand-in image from tests: build it (idempotent build.sh), run
 * `tritonserver` with model repositories bind-mounted read-only and port 8000 published on a free
 * 127.0.0.1 port, read its log, stop it. Every container carries TEST_LABEL plus a per-process run
 * id, so `removeStandInContainers()` removes exactly what this test process started.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import Docker from 'dockerode';
import { tailContainerLogs } from '@/backend/engine/streams';

/** The Triton stand-in image (tests only; see test/stand-ins/triton/README.md). */
export const TRITON_STAND_IN_IMAGE = 'dism-test/tritonserver:23.05-py3';
export const TEST_LABEL = 'dism.test';
const RUN_ID = `triton-stand-in-${process.pid}-${Date.now()}`;

export const docker = new Docker({ socketPath: '/var/run/docker.sock' });

export function ensureTritonStandIn(): void {
  execFileSync('bash', [path.resolve('test/stand-ins/triton/build.sh'), TRITON_STAND_IN_IMAGE], { stdio: 'inherit' });
}

export interface StandIn {
  id: string;
  url: string;
  /** The whole log so far (stdout and stderr, in order per stream). */
  log(): Promise<string>;
  stderr(): Promise<string>;
  /** Resolves with the exit code once the container stops. */
  exited: Promise<number>;
  stop(): Promise<number>;
}

export async function startStandIn(opts: {
  repositories: Record<string, string>;
  args?: string[];
  user?: string;
  cmd?: string[];
}): Promise<StandIn> {
  const binds = Object.entries(opts.repositories).map(([inside, host]) => `${host}:${inside}:ro`);
  const cmd = opts.cmd ?? ['tritonserver', ...Object.keys(opts.repositories).map((r) => `--model-repository=${r}`), ...(opts.args ?? [])];
  const container = await docker.createContainer({
    Image: TRITON_STAND_IN_IMAGE,
    Cmd: cmd,
    Labels: { [TEST_LABEL]: RUN_ID },
    Env: ['PYTHONDONTWRITEBYTECODE=1'],
    ExposedPorts: { '8000/tcp': {} },
    ...(opts.user ? { User: opts.user } : {}),
    HostConfig: { Binds: binds, PortBindings: { '8000/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
  });
  // 'next-exit' so a wait placed before start() does not return at once for the created container
  const exited = container.wait({ condition: 'next-exit' }).then((r: { StatusCode: number }) => r.StatusCode);
  await container.start();
  const info = await container.inspect();
  const port = info.NetworkSettings.Ports['8000/tcp']?.[0]?.HostPort;
  const lines = async () => tailContainerLogs(container, 100_000);
  return {
    id: container.id,
    url: `http://127.0.0.1:${port}`,
    log: async () => (await lines()).map((l) => l.text).join('\n'),
    stderr: async () =>
      (await lines())
        .filter((l) => l.stream === 'stderr')
        .map((l) => l.text)
        .join('\n'),
    exited,
    async stop() {
      await container.stop({ t: 20 }).catch(() => undefined);
      return exited;
    },
  };
}

/** Polls /v2/health/live until the HTTP service answers (real Triton serves HTTP only after loading every model). */
export async function waitForHttp(s: StandIn, timeoutMs = 60_000): Promise<void> {
  let gone: number | undefined;
  void s.exited.then((c) => (gone = c));
  const t0 = Date.now();
  for (;;) {
    if (gone !== undefined) throw new Error(`the stand-in exited with code ${gone} before serving HTTP:\n${await s.log()}`);
    // a connection made while the server is still loading may hang in docker's port proxy: time it out
    const ok = await fetch(`${s.url}/v2/health/live`, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    if (Date.now() - t0 > timeoutMs) throw new Error(`the stand-in did not serve HTTP within ${timeoutMs / 1000} s:\n${await s.log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function status(url: string): Promise<number> {
  const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  await res.arrayBuffer();
  return res.status;
}

export async function infer(s: StandIn, model: string, body: unknown): Promise<{ status: number; json: Record<string, any> }> {
  const res = await fetch(`${s.url}/v2/models/${encodeURIComponent(model)}/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  return { status: res.status, json: (await res.json()) as Record<string, any> };
}

/** Removes every container this test process started (by its run label). */
export async function removeStandInContainers(): Promise<void> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${TEST_LABEL}=${RUN_ID}`] } });
  for (const c of list)
    await docker
      .getContainer(c.Id)
      .remove({ force: true, v: true })
      .catch(() => undefined);
}
