/**
 * Where a container engine may be listening, in the order the docker CLI looks: `DOCKER_HOST`, then
 * the current docker context (`DOCKER_CONTEXT`, or `currentContext` in ~/.docker/config.json, whose
 * endpoint is in ~/.docker/contexts/meta/<sha256 of the name>/meta.json), then the sockets and pipes
 * the engines of this platform create (Docker Desktop, Colima, OrbStack, Rancher Desktop, Podman
 * machine, the Linux system and rootless sockets, Windows' named pipes).
 *
 * Everything read from the machine goes through a DiscoveryHost, so the resolution can be tested
 * with fake home folders, platforms and environments (realDiscoveryHost() is the real one).
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** What candidate resolution reads of the machine. */
export interface DiscoveryHost {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  home: string;
  uid: number;
  gid: number;
  /** The temporary folder ($TMPDIR on macOS: Podman machine puts its API socket under it). */
  tmpdir: string;
  /** A file's text, or undefined when it cannot be read. */
  readText(file: string): Promise<string | undefined>;
  /** A folder's entry names ([] when it cannot be read). */
  listDir(dir: string): Promise<string[]>;
  /** What is at a path (links followed). */
  pathKind(p: string): Promise<'socket' | 'dir' | 'file' | 'missing'>;
  /** The absolute path of an executable on PATH, or undefined. */
  which(bin: string): Promise<string | undefined>;
}

export function realDiscoveryHost(env: NodeJS.ProcessEnv = process.env, overrides: Partial<DiscoveryHost> = {}): DiscoveryHost {
  const platform = overrides.platform ?? process.platform;
  return {
    platform,
    env,
    home: os.homedir(),
    uid: process.getuid?.() ?? 1000,
    gid: process.getgid?.() ?? 1000,
    tmpdir: env.TMPDIR || os.tmpdir(),
    readText: (file) => fs.readFile(file, 'utf8').catch(() => undefined),
    listDir: (dir) => fs.readdir(dir).catch(() => []),
    async pathKind(p) {
      const st = await fs.stat(p).catch(() => null);
      return !st ? 'missing' : st.isSocket() ? 'socket' : st.isDirectory() ? 'dir' : 'file';
    },
    async which(bin) {
      const exts = platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
      for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
        for (const ext of exts) {
          const file = path.join(dir, bin + ext);
          try {
            await fs.access(file, fs.constants.X_OK);
            return file;
          } catch {
            /* keep looking */
          }
        }
      }
      return undefined;
    },
    ...overrides,
  };
}

export interface CandidateAddress {
  /** A socket path, `unix://…`, `npipe:////./pipe/…`, `tcp://…`, `ssh://…`; for an unresolved context, its meta.json. */
  address: string;
  /** Why this address is tried, in the user's words ("DOCKER_HOST", "Colima (profile default)", …). */
  source: string;
  /** Podman-specific advice applies ('machine': Podman's VM on macOS or Windows). */
  podman?: 'rootless' | 'rootful' | 'machine';
  /** An explicit DOCKER_HOST: nothing else is tried after it (as for the docker CLI). */
  authoritative?: boolean;
  /** A candidate that cannot even be tried (a context without its meta.json): why. */
  unresolved?: string;
  /** TLS files for a tcp:// endpoint (a context's tls folder, or DOCKER_CERT_PATH). */
  tls?: { ca?: string; cert?: string; key?: string; verify: boolean };
  /** How the user starts this engine, for the advice when it is there but does not answer. */
  startHint?: string;
  /** This candidate is the docker context the user chose (for the note when it does not answer). */
  context?: string;
  /** The socket DISM Studio starts its own Podman service on. */
  studioPodman?: boolean;
}

/** The file name of the Podman service DISM Studio starts (in the user's runtime folder). */
export const STUDIO_PODMAN_SOCKET_NAME = 'dism-studio-podman.sock';

/** The docker CLI's configuration folder: $DOCKER_CONFIG or ~/.docker. */
export function dockerConfigDir(host: DiscoveryHost): string {
  return host.env.DOCKER_CONFIG || path.join(host.home, '.docker');
}

/**
 * The user's runtime folder: $XDG_RUNTIME_DIR; without it /run/user/<uid> (as systemd and Podman
 * use) when it exists, else a private folder under the temporary folder (created when needed).
 */
export async function runtimeDir(host: DiscoveryHost): Promise<string> {
  if (host.env.XDG_RUNTIME_DIR) return host.env.XDG_RUNTIME_DIR;
  const systemd = `/run/user/${host.uid}`;
  if ((await host.pathKind(systemd)) === 'dir') return systemd;
  return path.join(host.tmpdir, `dism-studio-run-${host.uid}`);
}

/** The socket of the Podman service DISM Studio starts when no engine answers (see podman-service.ts). */
export async function studioPodmanSocket(host: DiscoveryHost): Promise<string> {
  return path.join(await runtimeDir(host), STUDIO_PODMAN_SOCKET_NAME);
}

/** Whether a systemd user manager runs for this user (then `systemctl --user` can start podman.socket). */
export async function hasSystemdUserSession(host: DiscoveryHost): Promise<boolean> {
  const dirs = new Set([host.env.XDG_RUNTIME_DIR, `/run/user/${host.uid}`].filter((d): d is string => Boolean(d)));
  for (const d of dirs) if ((await host.pathKind(path.join(d, 'systemd', 'private'))) === 'socket') return true;
  return false;
}

function tlsFromDir(dir: string, verify: boolean): CandidateAddress['tls'] {
  return { ca: path.join(dir, 'ca.pem'), cert: path.join(dir, 'cert.pem'), key: path.join(dir, 'key.pem'), verify };
}

/** DOCKER_HOST, as the docker CLI reads it (with DOCKER_TLS_VERIFY / DOCKER_CERT_PATH for tcp://). */
function fromDockerHost(host: DiscoveryHost): CandidateAddress | undefined {
  const address = host.env.DOCKER_HOST;
  if (!address) return undefined;
  const tcp = /^(tcp|https):\/\//.test(address);
  const verify = Boolean(host.env.DOCKER_TLS_VERIFY);
  return {
    address,
    source: 'DOCKER_HOST',
    authoritative: true,
    ...(tcp && (verify || host.env.DOCKER_CERT_PATH)
      ? { tls: tlsFromDir(host.env.DOCKER_CERT_PATH || dockerConfigDir(host), verify) }
      : {}),
  };
}

/** The current docker context (DOCKER_CONTEXT, else config.json's currentContext), unless it is "default". */
async function fromDockerContext(host: DiscoveryHost): Promise<CandidateAddress | undefined> {
  const configDir = dockerConfigDir(host);
  const configFile = path.join(configDir, 'config.json');
  let name = host.env.DOCKER_CONTEXT;
  let why = 'DOCKER_CONTEXT';
  if (!name) {
    const text = await host.readText(configFile);
    if (!text) return undefined;
    try {
      const config = JSON.parse(text) as { currentContext?: unknown };
      if (typeof config.currentContext === 'string') name = config.currentContext;
    } catch {
      return undefined; // the docker CLI also ignores an unreadable config here (it warns)
    }
    why = `currentContext in ${configFile}`;
  }
  if (!name || name === 'default') return undefined;
  const id = createHash('sha256').update(name).digest('hex');
  const metaFile = path.join(configDir, 'contexts', 'meta', id, 'meta.json');
  const source = `docker context "${name}" (${why})`;
  const text = await host.readText(metaFile);
  if (text === undefined)
    return {
      address: metaFile,
      source,
      context: name,
      unresolved: `there is no docker context named "${name}" (no ${metaFile}); see docker context ls`,
    };
  let endpoint: { Host?: unknown; SkipTLSVerify?: unknown } | undefined;
  try {
    endpoint = (JSON.parse(text) as { Endpoints?: { docker?: { Host?: unknown; SkipTLSVerify?: unknown } } }).Endpoints?.docker;
  } catch {
    return { address: metaFile, source, context: name, unresolved: `${metaFile} is not valid JSON` };
  }
  if (typeof endpoint?.Host !== 'string' || !endpoint.Host)
    return { address: metaFile, source, context: name, unresolved: `the context "${name}" has no docker endpoint (Endpoints.docker.Host)` };
  const tlsDir = path.join(configDir, 'contexts', 'tls', id, 'docker');
  const hasTls = /^(tcp|https):\/\//.test(endpoint.Host) && (await host.pathKind(tlsDir)) === 'dir';
  return {
    address: endpoint.Host,
    source,
    context: name,
    ...(hasTls ? { tls: tlsFromDir(tlsDir, endpoint.SkipTLSVerify !== true) } : {}),
    ...(/colima/.test(endpoint.Host) ? { startHint: 'colima start' } : {}),
  };
}

/** Colima's folder: $COLIMA_HOME or ~/.colima; each profile has its own folder with docker.sock. */
async function colimaSockets(host: DiscoveryHost): Promise<CandidateAddress[]> {
  const dir = host.env.COLIMA_HOME || path.join(host.home, '.colima');
  const profiles = (await host.listDir(dir)).filter((n) => !n.startsWith('_') && !n.startsWith('.'));
  const ordered = ['default', ...profiles.filter((p) => p !== 'default').sort()];
  const out: CandidateAddress[] = [];
  for (const profile of ordered) {
    if (profile !== 'default' && (await host.pathKind(path.join(dir, profile))) !== 'dir') continue;
    out.push({
      address: path.join(dir, profile, 'docker.sock'),
      source: `Colima (profile ${profile})`,
      startHint: profile === 'default' ? 'colima start' : `colima start --profile ${profile}`,
    });
  }
  // Colima before 0.4 kept one socket directly in its folder.
  if ((await host.pathKind(path.join(dir, 'docker.sock'))) !== 'missing')
    out.push({ address: path.join(dir, 'docker.sock'), source: 'Colima (before 0.4)', startHint: 'colima start' });
  return out;
}

/**
 * Podman machine's API sockets on macOS: $TMPDIR/podman/<machine>-api.sock (Podman 4.5 and later),
 * ~/.local/share/containers/podman/machine/<machine or provider>/podman.sock (earlier releases).
 */
async function podmanMachineSockets(host: DiscoveryHost): Promise<CandidateAddress[]> {
  const hint = 'podman machine start';
  const tmpDir = path.join(host.tmpdir, 'podman');
  const api = (await host.listDir(tmpDir)).filter((n) => n.endsWith('-api.sock')).sort();
  if (!api.includes('podman-machine-default-api.sock')) api.unshift('podman-machine-default-api.sock');
  const out: CandidateAddress[] = api.map((n) => ({
    address: path.join(tmpDir, n),
    source: `Podman machine ${n.slice(0, -'-api.sock'.length)}`,
    podman: 'machine',
    startHint: hint,
  }));
  const legacy = path.join(host.home, '.local/share/containers/podman/machine');
  for (const n of (await host.listDir(legacy)).sort()) {
    const sock = path.join(legacy, n, 'podman.sock');
    if ((await host.pathKind(sock)) !== 'missing')
      out.push({ address: sock, source: `Podman machine ${n} (Podman 4)`, podman: 'machine', startHint: hint });
  }
  return out;
}

/** The sockets and pipes the engines of this platform create, in the order they are tried. */
export async function platformSockets(host: DiscoveryHost): Promise<CandidateAddress[]> {
  const home = (p: string) => path.join(host.home, p);
  if (host.platform === 'win32') {
    return [
      { address: 'npipe:////./pipe/docker_engine', source: 'Docker Desktop (named pipe)', startHint: 'start Docker Desktop' },
      {
        address: 'npipe:////./pipe/podman-machine-default',
        source: 'Podman machine (named pipe)',
        podman: 'machine',
        startHint: 'podman machine start',
      },
      {
        address: 'npipe:////./pipe/dockerDesktopLinuxEngine',
        source: 'Docker Desktop Linux engine (named pipe)',
        startHint: 'start Docker Desktop',
      },
    ];
  }
  if (host.platform === 'darwin') {
    return [
      { address: home('.docker/run/docker.sock'), source: 'Docker Desktop', startHint: 'open Docker Desktop' },
      {
        address: '/var/run/docker.sock',
        source: 'default socket (Docker Desktop, podman-mac-helper)',
        startHint: 'open Docker Desktop',
      },
      ...(await colimaSockets(host)),
      { address: home('.orbstack/run/docker.sock'), source: 'OrbStack', startHint: 'open OrbStack (or: orb start)' },
      { address: home('.rd/docker.sock'), source: 'Rancher Desktop', startHint: 'open Rancher Desktop (with the dockerd/moby engine)' },
      ...(await podmanMachineSockets(host)),
    ];
  }
  const xdg = host.env.XDG_RUNTIME_DIR || `/run/user/${host.uid}`;
  return [
    { address: home('.docker/desktop/docker.sock'), source: 'Docker Desktop (Linux)', startHint: 'start Docker Desktop' },
    { address: '/var/run/docker.sock', source: 'Docker system socket' },
    { address: path.join(xdg, 'docker.sock'), source: 'rootless Docker socket', startHint: 'systemctl --user start docker' },
    { address: path.join(xdg, 'podman/podman.sock'), source: 'rootless Podman socket', podman: 'rootless' },
    { address: '/run/podman/podman.sock', source: 'rootful Podman socket', podman: 'rootful' },
    {
      address: await studioPodmanSocket(host),
      source: 'Podman service started by DISM Studio',
      podman: 'rootless',
      studioPodman: true,
    },
  ];
}

/** The socket path of a `unix://…` address or a bare path (undefined for tcp://, ssh://, npipe://). */
export function socketPathOf(address: string): string | undefined {
  if (address.startsWith('unix://')) return address.slice('unix://'.length);
  if (address.startsWith('/')) return address;
  return undefined;
}

/**
 * Where to look, in order. An explicit DOCKER_HOST is authoritative (as for the docker CLI): when it
 * is set nothing else is tried. The current docker context comes next; when it does not answer the
 * platform's sockets are still tried (and the panel says the context did not answer). The same
 * socket reached twice (a context pointing at /var/run/docker.sock) is tried once.
 */
export async function candidateAddresses(host: DiscoveryHost): Promise<CandidateAddress[]> {
  const explicit = fromDockerHost(host);
  if (explicit) return [explicit];
  const all = [await fromDockerContext(host), ...(await platformSockets(host))].filter((c): c is CandidateAddress => Boolean(c));
  const seen = new Set<string>();
  return all.filter((c) => {
    const key = socketPathOf(c.address) ?? c.address;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
