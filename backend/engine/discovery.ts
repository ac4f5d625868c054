import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import type { EngineCandidate, EngineStatus } from '@/shared/api/contract';

export interface CandidateAddress {
  address: string;
  source: string;
  /** podman-specific advice applies when this candidate is a podman socket. */
  podman?: 'rootless' | 'rootful';
}

/**
 * Where to look, in order. An explicit DOCKER_HOST is authoritative (as for the docker CLI):
 * when it is set we do not silently fall back to another engine.
 */
export function candidateAddresses(
  env: NodeJS.ProcessEnv = process.env,
  home = os.homedir(),
  uid = process.getuid?.() ?? 1000,
): CandidateAddress[] {
  if (env.DOCKER_HOST) return [{ address: env.DOCKER_HOST, source: 'DOCKER_HOST' }];
  const runtimeDir = env.XDG_RUNTIME_DIR || `/run/user/${uid}`;
  return [
    { address: path.join(home, '.docker/run/docker.sock'), source: 'Docker Desktop socket' },
    { address: '/var/run/docker.sock', source: 'Docker system socket' },
    { address: path.join(runtimeDir, 'podman/podman.sock'), source: 'rootless Podman socket', podman: 'rootless' },
    { address: '/run/podman/podman.sock', source: 'rootful Podman socket', podman: 'rootful' },
  ];
}

/** dockerode options for an address such as `unix:///x.sock`, `/x.sock`, `tcp://h:2375`. */
export function dockerOptionsFor(address: string): Docker.DockerOptions {
  if (address.startsWith('unix://')) return { socketPath: address.slice('unix://'.length) };
  if (address.startsWith('/')) return { socketPath: address };
  if (/^(tcp|http|https):\/\//.test(address)) {
    const u = new URL(address.replace(/^tcp:/, 'http:'));
    return { host: u.hostname, port: Number(u.port || 2375), protocol: u.protocol === 'https:' ? 'https' : 'http' };
  }
  if (address.startsWith('npipe://')) return { socketPath: address.slice('npipe://'.length) };
  throw new Error(`Unsupported engine address: ${address}`);
}

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<T>((_, reject) => {
        timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${ms} ms`), { code: 'ETIMEDOUT' })), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export interface ProbeResult {
  candidate: EngineCandidate;
  docker?: Docker;
  kind?: 'docker' | 'podman';
  version?: string;
  apiVersion?: string;
}

async function probe(c: CandidateAddress, timeoutMs = 3000): Promise<ProbeResult> {
  const opts = dockerOptionsFor(c.address);
  if (opts.socketPath && !opts.socketPath.startsWith('//./pipe')) {
    try {
      await fs.stat(opts.socketPath);
    } catch {
      return { candidate: { address: c.address, source: c.source, outcome: 'missing', detail: 'no socket at this path' } };
    }
  }
  const docker = new Docker({ ...opts, timeout: timeoutMs });
  try {
    const pong = await withTimeout(docker.ping(), timeoutMs);
    if (!String(pong).includes('OK')) throw new Error(`unexpected /_ping answer: ${String(pong).slice(0, 60)}`);
    const v = await withTimeout(docker.version(), timeoutMs);
    const isPodman = (v.Components ?? []).some((comp) => /podman/i.test(comp.Name)) || /podman/i.test(JSON.stringify(v.Platform ?? ''));
    return {
      candidate: { address: c.address, source: c.source, outcome: 'ok' },
      // The probe's short socket timeout would cut builds, log follows and waits that are silent
      // for a while; the client handed out for real work has none.
      docker: new Docker(opts),
      kind: isPodman ? 'podman' : 'docker',
      version: v.Version,
      apiVersion: v.ApiVersion,
    };
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { statusCode?: number };
    const outcome: EngineCandidate['outcome'] =
      e.code === 'EACCES' || e.code === 'EPERM'
        ? 'permission-denied'
        : e.code === 'ECONNREFUSED' || e.code === 'ENOENT'
          ? 'refused'
          : e.code === 'ETIMEDOUT' || e.code === 'ESOCKETTIMEDOUT'
            ? 'timeout'
            : 'error';
    return { candidate: { address: c.address, source: c.source, outcome, detail: e.message } };
  }
}

export function adviceFor(tried: EngineCandidate[], candidates: CandidateAddress[], podmanInstalled = false): string[] {
  const advice: string[] = [];
  const byAddress = new Map(candidates.map((c) => [c.address, c]));
  for (const t of tried) {
    const c = byAddress.get(t.address);
    if (t.source === 'DOCKER_HOST' && t.outcome !== 'ok') {
      advice.push(
        `DOCKER_HOST is set to ${t.address}, which did not answer (${t.outcome}). Start the engine there, or unset DOCKER_HOST to use the local socket.`,
      );
    }
    if (t.outcome === 'permission-denied') {
      advice.push(
        c?.podman
          ? `Permission denied on ${t.address}. Use the rootless socket, or run with access to ${t.address}.`
          : `Permission denied on ${t.address}. Add your user to the docker group: sudo usermod -aG docker $USER, then log out and back in.`,
      );
    }
    if (c?.podman && (t.outcome === 'refused' || (t.outcome === 'missing' && podmanInstalled))) {
      advice.push(
        c.podman === 'rootless'
          ? 'The Podman socket is not active. Start it with: systemctl --user enable --now podman.socket'
          : 'The rootful Podman socket is not active. Start it with: sudo systemctl enable --now podman.socket',
      );
    }
    if (!c?.podman && t.outcome === 'refused') {
      advice.push(`Nothing listens on ${t.address}. Start the Docker daemon: sudo systemctl start docker (or start Docker Desktop).`);
    }
  }
  if (advice.length === 0) {
    advice.push(
      'No container engine found. Install and start Docker (sudo systemctl start docker, or Docker Desktop), or Podman with its API socket (systemctl --user enable --now podman.socket).',
    );
  }
  return [...new Set(advice)];
}

async function onPath(bin: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    try {
      await fs.access(path.join(dir, bin), fs.constants.X_OK);
      return true;
    } catch {
      /* keep looking */
    }
  }
  return false;
}

/** Try each candidate in order; the first that answers /_ping wins. */
export async function discoverEngine(env: NodeJS.ProcessEnv = process.env): Promise<{ status: EngineStatus; docker?: Docker }> {
  const candidates = candidateAddresses(env);
  const tried: EngineCandidate[] = [];
  for (const c of candidates) {
    const r = await probe(c);
    tried.push(r.candidate);
    if (r.docker) {
      return {
        docker: r.docker,
        status: {
          state: 'connected',
          kind: r.kind,
          version: r.version,
          apiVersion: r.apiVersion,
          address: c.address,
          tried,
          advice: [],
          checkedAt: new Date().toISOString(),
        },
      };
    }
  }
  return {
    status: {
      state: 'unreachable',
      tried,
      advice: adviceFor(tried, candidates, await onPath('podman', env)),
      checkedAt: new Date().toISOString(),
    },
  };
}
