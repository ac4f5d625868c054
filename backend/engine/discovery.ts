/**
 * Finding the container engine: each candidate (candidates.ts) is probed in order, the first that
 * answers /_ping wins, and every one tried is reported with its outcome. When none answers the
 * status says what to do, and on a Linux host with podman but no API socket and no systemd user
 * session (lxplus) it carries the offer to start a Podman service (podman-service.ts).
 */
import { readFileSync } from 'node:fs';
import Docker from 'dockerode';
import type { EngineCandidate, EngineStatus, PodmanServiceOffer } from '@/shared/api/contract';
import {
  candidateAddresses,
  hasSystemdUserSession,
  realDiscoveryHost,
  socketPathOf,
  studioPodmanSocket,
  type CandidateAddress,
  type DiscoveryHost,
} from './candidates';
import { EngineClient, parseHardLimits, type EngineProfile } from './engine-client';
import { serviceLimits } from './socket-owner';

export { candidateAddresses, realDiscoveryHost, type CandidateAddress, type DiscoveryHost } from './candidates';

/** dockerode options for an address such as `unix:///x.sock`, `/x.sock`, `tcp://h:2375`, `ssh://user@h`, `npipe:////./pipe/x`. */
export function dockerOptionsFor(address: string, tls?: CandidateAddress['tls']): Docker.DockerOptions {
  const socket = socketPathOf(address);
  if (socket) return { socketPath: socket };
  if (/^(tcp|http|https):\/\//.test(address)) {
    const u = new URL(address.replace(/^tcp:/, 'http:'));
    const secure = u.protocol === 'https:' || Boolean(tls);
    const read = (f?: string) => {
      try {
        return f ? readFileSync(f) : undefined;
      } catch {
        return undefined;
      }
    };
    return {
      host: u.hostname,
      port: Number(u.port || (secure ? 2376 : 2375)),
      protocol: secure ? 'https' : 'http',
      ...(tls ? { ca: read(tls.ca), cert: read(tls.cert), key: read(tls.key) } : {}),
    };
  }
  if (address.startsWith('ssh://')) {
    const u = new URL(address);
    return {
      protocol: 'ssh',
      host: u.hostname,
      port: Number(u.port || 22),
      ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
      ...(process.env.SSH_AUTH_SOCK ? { sshOptions: { agent: process.env.SSH_AUTH_SOCK } } : {}),
    };
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
  docker?: EngineClient;
  version?: string;
  apiVersion?: string;
}

/** Podman's own view of itself (libpod /info): whether it runs rootless and with SELinux. */
async function podmanSecurity(docker: Docker, apiVersion: string, timeoutMs: number): Promise<{ rootless?: boolean; selinux?: boolean }> {
  try {
    const info = await withTimeout(
      new Promise<{ host?: { security?: { rootless?: boolean; selinuxEnabled?: boolean } } }>((resolve, reject) =>
        docker.modem.dial({ path: `/v${apiVersion}/libpod/info`, method: 'GET', statusCodes: { 200: true }, options: {} }, (err, data) =>
          err ? reject(err) : resolve(data as never),
        ),
      ),
      timeoutMs,
    );
    return { rootless: info.host?.security?.rootless, selinux: info.host?.security?.selinuxEnabled };
  } catch {
    return {};
  }
}

export async function probe(c: CandidateAddress, host: DiscoveryHost, timeoutMs = 3000): Promise<ProbeResult> {
  const base = { address: c.address, source: c.source };
  if (c.unresolved) return { candidate: { ...base, outcome: 'missing', detail: c.unresolved } };
  let opts: Docker.DockerOptions;
  try {
    opts = dockerOptionsFor(c.address, c.tls);
  } catch (err) {
    return { candidate: { ...base, outcome: 'error', detail: (err as Error).message } };
  }
  const socket = socketPathOf(c.address);
  if (socket) {
    const kind = await host.pathKind(socket);
    if (kind === 'missing') return { candidate: { ...base, outcome: 'missing', detail: 'no socket at this path' } };
    if (kind !== 'socket')
      return { candidate: { ...base, outcome: 'error', detail: `this is a ${kind === 'dir' ? 'folder' : 'file'}, not a socket` } };
  }
  const probeClient = new Docker({ ...opts, timeout: timeoutMs });
  try {
    const pong = await withTimeout(probeClient.ping(), timeoutMs);
    if (!String(pong).includes('OK')) throw new Error(`unexpected /_ping answer: ${String(pong).slice(0, 60)}`);
    const v = await withTimeout(probeClient.version(), timeoutMs);
    const isPodman = (v.Components ?? []).some((comp) => /podman/i.test(comp.Name)) || /podman/i.test(JSON.stringify(v.Platform ?? ''));
    const info = (await withTimeout(probeClient.info(), timeoutMs).catch(() => ({}))) as { SecurityOptions?: string[] };
    const secOpts = info.SecurityOptions ?? [];
    // Podman's Docker API does not say whether it runs rootless; its own API (versioned like Podman) does.
    const details = (v.Components ?? []).find((comp) => /podman/i.test(comp.Name))?.Details as { APIVersion?: string } | undefined;
    const libpodVersion = details?.APIVersion ?? v.Version ?? '4.0.0';
    const podman = isPodman ? await podmanSecurity(probeClient, String(libpodVersion), timeoutMs) : {};
    const local = host.platform === 'linux' && Boolean(socket) && c.podman !== 'machine';
    const profile: EngineProfile = {
      kind: isPodman ? 'podman' : 'docker',
      address: c.address,
      rootless: podman.rootless ?? secOpts.some((o) => o.includes('name=rootless')),
      selinux: podman.selinux ?? secOpts.some((o) => o.includes('name=selinux')),
      // Podman asks runc for its own default nofile/nproc limits, which a host may refuse; the
      // containers may ask for at most the hard limits of the Podman process serving the socket
      // (it lowers its own, e.g. nproc to 32768). Docker inherits the daemon's limits: nothing asked.
      ...(isPodman && local
        ? { hostLimits: (await serviceLimits(socket!)) ?? parseHardLimits((await host.readText('/proc/self/limits')) ?? '') }
        : {}),
    };
    return {
      candidate: { ...base, outcome: 'ok' },
      // The probe's short socket timeout would cut builds, log follows and waits that are silent
      // for a while; the client handed out for real work has none.
      docker: new EngineClient(opts, profile),
      version: v.Version,
      apiVersion: v.ApiVersion,
    };
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { statusCode?: number };
    const outcome: EngineCandidate['outcome'] =
      e.code === 'EACCES' || e.code === 'EPERM'
        ? 'permission-denied'
        : e.code === 'ECONNREFUSED'
          ? 'refused'
          : e.code === 'ENOENT'
            ? 'missing'
            : e.code === 'ETIMEDOUT' || e.code === 'ESOCKETTIMEDOUT'
              ? 'timeout'
              : 'error';
    return { candidate: { ...base, outcome, detail: e.message } };
  }
}

/** What to tell the user when no engine answered, one suggestion per item. */
export function adviceFor(
  tried: EngineCandidate[],
  candidates: CandidateAddress[],
  opts: { podmanInstalled?: boolean; systemdUserSession?: boolean; platform?: NodeJS.Platform; offer?: PodmanServiceOffer } = {},
): string[] {
  const advice: string[] = [];
  const byAddress = new Map(candidates.map((c) => [c.address, c]));
  for (const t of tried) {
    const c = byAddress.get(t.address);
    if (t.outcome === 'ok' || c?.studioPodman) continue;
    if (t.source === 'DOCKER_HOST') {
      advice.push(
        `DOCKER_HOST is set to ${t.address}, which did not answer (${t.outcome}). Start the engine there, or unset DOCKER_HOST to use the local socket.`,
      );
      continue;
    }
    if (c?.context) {
      advice.push(
        c.unresolved
          ? `Your docker settings name the context "${c.context}", but ${c.unresolved}. Switch back with: docker context use default (or unset DOCKER_CONTEXT).`
          : `Your current docker context "${c.context}" points to ${t.address}, which did not answer (${t.outcome}).${c.startHint ? ` Start it (${c.startHint}),` : ' Start that engine,'} or switch back with: docker context use default.`,
      );
      continue;
    }
    if (t.outcome === 'permission-denied') {
      advice.push(
        c?.podman
          ? `Permission denied on ${t.address}. Use the rootless socket, or run with access to ${t.address}.`
          : `Permission denied on ${t.address}. Add your user to the docker group: sudo usermod -aG docker $USER, then log out and back in.`,
      );
      continue;
    }
    const absentButInstalled = t.outcome === 'missing' && opts.podmanInstalled;
    if (c?.podman === 'machine' && (t.outcome === 'refused' || absentButInstalled)) {
      advice.push(`The Podman machine is not running. Start it with: podman machine start`);
    } else if (c?.podman === 'rootless' && (t.outcome === 'refused' || absentButInstalled)) {
      advice.push(
        opts.systemdUserSession || !opts.offer
          ? 'The Podman socket is not active. Start it with: systemctl --user enable --now podman.socket'
          : 'The Podman API socket is not running, and there is no systemd user session to start it with systemctl. Let DISM Studio start the service, or run it yourself and keep it running: podman system service --time=0 &',
      );
    } else if (c?.podman === 'rootful' && t.outcome === 'refused') {
      advice.push('The rootful Podman socket is not active. Start it with: sudo systemctl enable --now podman.socket');
    } else if (t.outcome === 'refused') {
      advice.push(
        c?.startHint
          ? `Nothing answers on ${t.address} (${t.source}). Start it: ${c.startHint}.`
          : `Nothing listens on ${t.address}. Start the Docker daemon: sudo systemctl start docker (or start Docker Desktop).`,
      );
    }
  }
  if (advice.length === 0) {
    advice.push(
      opts.platform === 'darwin'
        ? 'No container engine found. Install and start one: Docker Desktop, Colima (brew install colima docker, then colima start), OrbStack, Rancher Desktop, or Podman (podman machine init, then podman machine start).'
        : opts.platform === 'win32'
          ? 'No container engine found. Install and start Docker Desktop, Rancher Desktop or Podman Desktop (podman machine start).'
          : 'No container engine found. Install and start Docker (sudo systemctl start docker, or Docker Desktop), or Podman with its API socket (systemctl --user enable --now podman.socket).',
    );
  }
  return [...new Set(advice)];
}

/**
 * The Podman service DISM Studio can start when nothing answers: podman on PATH, Linux, and either
 * DOCKER_HOST names a unix socket nobody serves (the service is started there), or there is no
 * systemd user session that could start podman.socket (the service goes to the user's runtime folder).
 */
export async function podmanServiceOffer(host: DiscoveryHost, tried: EngineCandidate[]): Promise<PodmanServiceOffer | undefined> {
  if (host.platform !== 'linux') return undefined;
  const podman = await host.which('podman');
  if (!podman) return undefined;
  let socket: string;
  let why: string;
  if (host.env.DOCKER_HOST) {
    const path = socketPathOf(host.env.DOCKER_HOST);
    const outcome = tried.find((t) => t.source === 'DOCKER_HOST')?.outcome;
    if (!path || (outcome !== 'missing' && outcome !== 'refused')) return undefined;
    socket = path;
    why = `DOCKER_HOST names ${host.env.DOCKER_HOST}, where nothing answers, and podman is installed (${podman}).`;
  } else {
    if (await hasSystemdUserSession(host)) return undefined;
    socket = await studioPodmanSocket(host);
    why = `podman is installed (${podman}), but no Podman API socket answers and there is no systemd user session to start one (as on lxplus).`;
  }
  return { command: `podman system service --time=0 unix://${socket}`, socket, why };
}

/** Try each candidate in order; the first that answers /_ping wins. */
export async function discoverEngine(
  host: DiscoveryHost = realDiscoveryHost(),
  /** Per call to each candidate (default: probe's 3 s). */
  probeTimeoutMs?: number,
): Promise<{ status: EngineStatus; docker?: EngineClient }> {
  const candidates = await candidateAddresses(host);
  const tried: EngineCandidate[] = [];
  for (const c of candidates) {
    const r = await probe(c, host, probeTimeoutMs);
    tried.push(r.candidate);
    if (r.docker) {
      const context = candidates.find((x) => x.context && x !== c);
      const contextTried = context && tried.find((t) => t.address === context.address);
      const notes =
        contextTried && contextTried.outcome !== 'ok'
          ? [
              `Your docker context "${context.context}" did not answer (${contextTried.outcome}); DISM Studio uses ${c.source} at ${c.address} instead. The docker command still uses the context, so images you build or tag with it are in the other engine.`,
            ]
          : [];
      return {
        docker: r.docker,
        status: {
          state: 'connected',
          kind: r.docker.profile.kind,
          version: r.version,
          apiVersion: r.apiVersion,
          address: c.address,
          rootless: r.docker.profile.rootless,
          selinux: r.docker.profile.selinux,
          tried,
          advice: [],
          ...(notes.length ? { notes } : {}),
          checkedAt: new Date().toISOString(),
        },
      };
    }
  }
  const offer = await podmanServiceOffer(host, tried);
  return {
    status: {
      state: 'unreachable',
      tried,
      advice: adviceFor(tried, candidates, {
        podmanInstalled: Boolean(await host.which('podman')),
        systemdUserSession: await hasSystemdUserSession(host),
        platform: host.platform,
        offer,
      }),
      ...(offer ? { podmanOffer: offer } : {}),
      checkedAt: new Date().toISOString(),
    },
  };
}
