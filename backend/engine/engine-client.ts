/**
 * The engine client handed out for real work (EngineService.client(), discoverEngine()): dockerode
 * plus what discovery learnt about the engine (its EngineProfile). Every container DISM Studio
 * creates goes through its createContainer, which adapts the request to the engine in this one
 * place, so the model server, dismcli, the joblib import and the model check behave the same on
 * Docker and on Podman:
 *   - image names as Podman needs them (a short name is looked up as localhost/… and docker.io/…
 *     locally, so a local image is used rather than a silent pull from Docker Hub; see images.ts);
 *   - rootless Podman: `--userns=keep-id` (UsernsMode keep-id) when the container runs as the
 *     user, so files written in mounted folders belong to the user on the host;
 *   - SELinux: the user's folders bound with `:z` (relabelled) where the engine enforces SELinux;
 *   - no ulimit above what the host allows: Podman asks for nofile/nproc limits a host without
 *     CAP_SYS_RESOURCE refuses (runc: "error setting rlimit type 7: operation not permitted"), so
 *     on a local Podman they are capped to the limits this machine allows.
 */
import { promises as fs } from 'node:fs';
import Docker from 'dockerode';

export interface EngineProfile {
  kind: 'docker' | 'podman';
  address: string;
  /** Rootless Docker or Podman: container root is the user who runs the engine. */
  rootless: boolean;
  /** The engine labels containers with SELinux (its /info lists name=selinux). */
  selinux: boolean;
  /**
   * The hard limits of this machine's processes (from /proc/self/limits), set only for an engine
   * that runs here (a local Podman socket on Linux): containers ask for no more than these.
   */
  hostLimits?: { nofile?: number; nproc?: number };
}

export class EngineClient extends Docker {
  constructor(
    options: Docker.DockerOptions,
    readonly profile: EngineProfile,
  ) {
    super(options);
  }

  override createContainer(options: Docker.ContainerCreateOptions, callback: (err: unknown, c: Docker.Container) => void): void;
  override createContainer(options: Docker.ContainerCreateOptions): Promise<Docker.Container>;
  override createContainer(
    options: Docker.ContainerCreateOptions,
    callback?: (err: unknown, c: Docker.Container) => void,
  ): void | Promise<Docker.Container> {
    const created = adaptCreateOptions(this, options).then((adapted) => super.createContainer(adapted));
    if (!callback) return created;
    created.then(
      (c) => callback(null, c),
      (err: unknown) => callback(err, undefined as unknown as Docker.Container),
    );
  }
}

/** What discovery learnt about the engine behind a client (undefined for a plain dockerode client: Docker defaults). */
export function engineProfileOf(docker: Docker): EngineProfile | undefined {
  return docker instanceof EngineClient ? docker.profile : undefined;
}

/** The hard nofile/nproc limits in a /proc/<pid>/limits text ("unlimited" leaves a limit out). */
export function parseHardLimits(text: string): { nofile?: number; nproc?: number } {
  const out: { nofile?: number; nproc?: number } = {};
  for (const line of text.split('\n')) {
    const m = /^Max (open files|processes)\s+(\S+)\s+(\S+)/.exec(line);
    if (!m || m[3] === 'unlimited') continue;
    out[m[1] === 'open files' ? 'nofile' : 'nproc'] = Number(m[3]);
  }
  return out;
}

/** True for an image name without a registry host (`seldonio/mlserver:1.5.0`, `ubuntu`): Podman resolves those itself. */
export function isShortImageName(ref: string): boolean {
  const first = ref.split('/')[0];
  return !(ref.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')) && !/^sha256:/.test(ref);
}

/**
 * The names a short image name may have in Podman's local storage, most likely first: images built
 * or loaded by Podman are `localhost/<name>`, images pulled from Docker Hub `docker.io/<name>`
 * (`docker.io/library/<name>` for official images).
 */
export function podmanLocalNames(ref: string): string[] {
  if (!isShortImageName(ref)) return [ref];
  const names = [`localhost/${ref}`, `docker.io/${ref}`];
  if (!ref.includes('/')) names.push(`docker.io/library/${ref}`);
  return names;
}

/** A local image name without the registry Podman puts in front of it (`localhost/x:1` → `x:1`, `docker.io/library/ubuntu` → `ubuntu`). */
export function shortImageName(ref: string): string {
  return ref.replace(/^localhost\//, '').replace(/^docker\.io\/(library\/(?=[^/]+$))?/, '');
}

/** The name an image built by DISM Studio gets: Podman's own convention for local images (`localhost/…`). */
export function builtImageName(docker: Docker, tag: string): string {
  return engineProfileOf(docker)?.kind === 'podman' && isShortImageName(tag) ? `localhost/${tag}` : tag;
}

/** The name of a pull: on Podman a short name is spelled out as Docker Hub, so no pull goes to docker.io silently. */
export function pullImageName(docker: Docker, ref: string): string {
  if (engineProfileOf(docker)?.kind !== 'podman' || !isShortImageName(ref)) return ref;
  return ref.includes('/') ? `docker.io/${ref}` : `docker.io/library/${ref}`;
}

/**
 * The local name of an image as the engine stores it, or null when it has none. Docker: the name
 * as written. Podman: a short name is looked up under localhost/ and docker.io/ (the Docker API of
 * newer Podman releases reads a short name as docker.io/…, which misses images built with Podman).
 */
export async function localImageName(docker: Docker, ref: string): Promise<string | null> {
  const names = engineProfileOf(docker)?.kind === 'podman' ? [...podmanLocalNames(ref), ref] : [ref];
  for (const name of [...new Set(names)]) {
    try {
      await docker.getImage(name).inspect();
      return name;
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 404) throw err;
    }
  }
  return null;
}

/** `src:dst[:opts]` with `z` added to its options (unless it already has z or Z). */
export function relabelBind(bind: string): string {
  const parts = bind.split(':');
  if (parts.length < 2) return bind;
  if (parts.length === 2) return `${bind}:z`;
  const opts = parts[parts.length - 1].split(',');
  if (opts.includes('z') || opts.includes('Z')) return bind;
  return [...parts.slice(0, -1), [...opts, 'z'].join(',')].join(':');
}

/**
 * A container request adapted to the engine (see the top of this file). Pure except for the image
 * lookup and the check that a bind's source is a folder or file of the user (sockets are not relabelled).
 */
export async function adaptCreateOptions(docker: Docker, options: Docker.ContainerCreateOptions): Promise<Docker.ContainerCreateOptions> {
  const profile = engineProfileOf(docker);
  if (!profile) return options;
  const out: Docker.ContainerCreateOptions = { ...options, HostConfig: { ...(options.HostConfig ?? {}) } };
  const host = out.HostConfig!;
  if (profile.kind === 'podman' && options.Image) out.Image = (await localImageName(docker, options.Image)) ?? options.Image;
  if (profile.kind === 'podman' && profile.rootless && options.User && !host.UsernsMode) {
    // keep-id maps the user's UID to itself inside; other IDs would map to subordinate IDs on the host.
    const [uid] = options.User.split(':');
    if (uid !== '0' && uid !== 'root') host.UsernsMode = 'keep-id';
  }
  if (profile.selinux && host.Binds?.length) {
    host.Binds = await Promise.all(
      host.Binds.map(async (b) => {
        const st = await fs.stat(b.split(':')[0]).catch(() => null);
        return st && !st.isSocket() ? relabelBind(b) : b;
      }),
    );
  }
  if (profile.hostLimits) {
    const limits = profile.hostLimits;
    const asked = new Map((host.Ulimits ?? []).map((u) => [u.Name, u]));
    for (const name of ['nofile', 'nproc'] as const) {
      const max = limits[name];
      if (max === undefined) continue;
      const u = asked.get(name);
      asked.set(name, { Name: name, Soft: Math.min(u?.Soft ?? max, max), Hard: Math.min(u?.Hard ?? max, max) });
    }
    host.Ulimits = [...asked.values()];
  }
  return out;
}
