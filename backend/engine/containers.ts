/**
 * Small, general helpers on top of dockerode, shared by everything that drives the container engine
 * (model server start-api, image builds for export, tests).
 *
 * Label conventions — every container and image DISM Studio creates carries:
 *   - `dism.studio=1`            (STUDIO_LABEL) so anything we made can be found and cleaned up;
 *   - `dism.project=<abs dir>`   (PROJECT_LABEL) the project folder it belongs to;
 *   - `dism.role=<role>`         (ROLE_LABEL) what it is, e.g. `model-server`, `image-build`;
 *   - `dism.owner=<pid@host>`    (OWNER_LABEL) the process that started it, so a later start can tell
 *                                an orphan (owner gone) from a container another live window runs.
 * Build them with `studioLabels()`, find them with `findStudioContainers()`.
 *
 * Helpers:
 *   - `imageExists`, `pullImage` (per-layer progress, cancel via AbortSignal, clear error text);
 *   - `tarDirectory` + `buildImage` (build from a tar context, streamed build output, cancel);
 *   - `demuxDockerStream` (stdout/stderr frames → whole lines), `followContainerLogs`,
 *     `tailContainerLogs` (last N lines of a stopped or running container);
 *   - `removeContainerQuietly`, `findStudioContainers`, `runContainerToCompletion`.
 * All of them take an already-connected dockerode instance (EngineService.client(), which has no
 * idle request timeout, so long waits, log streams, pulls and builds are not cut).
 */
import os from 'node:os';
import path from 'node:path';
import { promises as fs } from 'node:fs';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import tar from 'tar-stream';
import { failureOf, trackFailure } from '../fs/stream-failure';

export const STUDIO_LABEL = 'dism.studio';
export const PROJECT_LABEL = 'dism.project';
export const ROLE_LABEL = 'dism.role';
export const OWNER_LABEL = 'dism.owner';

/** Identifies this process in OWNER_LABEL. */
export function ownerId(): string {
  return `${process.pid}@${os.hostname()}`;
}

export function studioLabels(opts: { project?: string; role?: string; extra?: Record<string, string> } = {}): Record<string, string> {
  return {
    [STUDIO_LABEL]: '1',
    [OWNER_LABEL]: ownerId(),
    ...(opts.project ? { [PROJECT_LABEL]: opts.project } : {}),
    ...(opts.role ? { [ROLE_LABEL]: opts.role } : {}),
    ...(opts.extra ?? {}),
  };
}

/** True when the owner recorded in a label is a live process on this host. */
export function ownerIsAlive(owner: string | undefined): boolean {
  if (!owner) return false;
  const [pidText, host] = owner.split('@');
  if (host !== os.hostname()) return true; // another machine's engine client: not ours to judge
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function findStudioContainers(docker: Docker, labels: Record<string, string> = {}, all = true): Promise<Docker.ContainerInfo[]> {
  const filters = [`${STUDIO_LABEL}=1`, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)];
  return docker.listContainers({ all, filters: { label: filters } });
}

/** Force-remove a container; a container that is already gone is not an error. */
export async function removeContainerQuietly(docker: Docker, id: string): Promise<void> {
  try {
    await docker.getContainer(id).remove({ force: true, v: true });
  } catch (err) {
    const code = (err as { statusCode?: number }).statusCode;
    if (code !== 404 && code !== 409) throw err;
  }
}

export async function imageExists(docker: Docker, ref: string): Promise<boolean> {
  try {
    await docker.getImage(ref).inspect();
    return true;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return false;
    throw err;
  }
}

/** Reads a stream of JSON lines (pull/build progress) and calls onObject for each. */
async function readJsonLines(stream: Readable, onObject: (o: Record<string, unknown>) => void, signal?: AbortSignal): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    let buf = '';
    const onAbort = () => {
      stream.destroy();
      reject(signal?.reason instanceof Error ? signal.reason : new Error('Cancelled'));
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const done = (err?: Error) => {
      signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve();
    };
    stream.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        if (!line) continue;
        try {
          onObject(JSON.parse(line) as Record<string, unknown>);
        } catch (err) {
          stream.destroy();
          return done(err as Error);
        }
      }
    });
    stream.on('error', (err) => done(err));
    stream.on('end', () => {
      if (buf.trim()) {
        try {
          onObject(JSON.parse(buf) as Record<string, unknown>);
        } catch {
          /* trailing garbage: ignore */
        }
      }
      done();
    });
  });
}

export interface LayerProgress {
  id: string;
  status: string;
  current?: number;
  total?: number;
}

export interface PullProgress {
  layers: LayerProgress[];
  /** 0..1 over all layers seen so far, or null before the first layer. */
  fraction: number | null;
  /** The latest non-layer status line, e.g. "Pulling from seldonio/mlserver". */
  status: string;
}

function layerFraction(l: LayerProgress): number {
  const s = l.status.toLowerCase();
  if (s.includes('complete') || s.includes('already exists')) return 1;
  const part = l.total ? Math.min(1, (l.current ?? 0) / l.total) : 0;
  if (s.startsWith('downloading')) return 0.7 * part;
  if (s.startsWith('verifying') || s.startsWith('download complete')) return 0.7;
  if (s.startsWith('extracting')) return 0.7 + 0.3 * part;
  return 0;
}

/** Thrown when the engine could not pull an image; `reason` is the engine's own words. */
export class PullError extends Error {
  override name = 'PullError';
  constructor(readonly image: string, readonly reason: string) {
    super(`Could not pull ${image}: ${reason}`);
  }
}

/** Pull an image, reporting per-layer progress. Abort the signal to cancel the download. */
export async function pullImage(
  docker: Docker,
  ref: string,
  opts: { signal?: AbortSignal; onProgress?: (p: PullProgress) => void; authconfig?: Docker.AuthConfig } = {},
): Promise<void> {
  let stream: Readable;
  try {
    stream = (await docker.pull(ref, opts.authconfig ? { authconfig: opts.authconfig } : {})) as Readable;
  } catch (err) {
    const e = err as { json?: { message?: string }; message: string };
    throw new PullError(ref, e.json?.message ?? e.message.replace(/^\(HTTP code \d+\)\s*[a-z ]*-\s*/i, ''));
  }
  const layers = new Map<string, LayerProgress>();
  let status = '';
  let failure: string | undefined;
  await readJsonLines(
    stream,
    (o) => {
      if (typeof o.error === 'string') failure = o.error;
      const s = typeof o.status === 'string' ? o.status : '';
      const id = typeof o.id === 'string' ? o.id : undefined;
      const detail = (o.progressDetail ?? {}) as { current?: number; total?: number };
      if (id && /^[0-9a-f]{12}$/.test(id)) layers.set(id, { id, status: s, current: detail.current, total: detail.total });
      else if (s) status = id ? `${s} ${id}` : s;
      const all = [...layers.values()];
      opts.onProgress?.({ layers: all, fraction: all.length ? all.reduce((a, l) => a + layerFraction(l), 0) / all.length : null, status });
    },
    opts.signal,
  );
  if (failure) throw new PullError(ref, failure);
}

/** Tar a folder (recursively) as a build context stream. */
export function tarDirectory(dir: string): Readable {
  const pack = trackFailure(tar.pack());
  void addTree(pack, dir, '').then(
    () => pack.finalize(),
    (err: Error) => pack.destroy(err),
  );
  return pack as unknown as Readable;
}

async function addTree(pack: tar.Pack, root: string, rel: string): Promise<void> {
  const entries = (await fs.readdir(path.join(root, rel), { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    const abs = path.join(root, r);
    const st = await fs.stat(abs);
    if (st.isDirectory()) {
      pack.entry({ name: `${r}/`, type: 'directory', mode: st.mode & 0o7777, mtime: st.mtime });
      await addTree(pack, root, r);
    } else if (st.isFile()) {
      const data = await fs.readFile(abs);
      await new Promise<void>((resolve, reject) => {
        pack.entry({ name: r, mode: st.mode & 0o7777, mtime: st.mtime, size: data.length }, data, (err) => (err ? reject(err) : resolve()));
      });
    }
  }
}

export interface BuildImageOptions {
  tag: string;
  labels?: Record<string, string>;
  dockerfile?: string;
  signal?: AbortSignal;
  /** Each line of build output (step headers, RUN output) as the engine streams it. */
  onLine?: (text: string) => void;
}

/** Build an image from a tar context stream; resolves to the image id. */
export async function buildImage(docker: Docker, context: Readable, opts: BuildImageOptions): Promise<string> {
  // A context that fails (a file vanished, unreadable) ends the build with its error, even when it
  // failed before the engine started reading it.
  const contextFailed = failureOf(context);
  const stream = (await Promise.race([
    docker.buildImage(context as unknown as NodeJS.ReadableStream, {
      t: opts.tag,
      labels: { [STUDIO_LABEL]: '1', ...(opts.labels ?? {}) },
      ...(opts.dockerfile ? { dockerfile: opts.dockerfile } : {}),
      rm: true,
      forcerm: true,
    }),
    contextFailed,
  ])) as Readable;
  contextFailed.catch(() => stream.destroy());
  let failure: string | undefined;
  let imageId: string | undefined;
  await Promise.race([readJsonLines(
    stream,
    (o) => {
      if (typeof o.stream === 'string') {
        for (const line of o.stream.split('\n')) if (line.trim()) opts.onLine?.(line.replace(/\r$/, ''));
      }
      if (typeof o.error === 'string') failure = o.error;
      const aux = o.aux as { ID?: string } | undefined;
      if (aux?.ID) imageId = aux.ID;
    },
    opts.signal,
  ), contextFailed]);
  if (failure) throw new Error(`Image build failed: ${failure}`);
  return imageId ?? (await docker.getImage(opts.tag).inspect()).Id;
}

export type OutputStream = 'stdout' | 'stderr';

/** Splits chunks into lines per stream, keeping partial lines until their newline arrives. */
export class LineSplitter {
  private readonly partial: Record<OutputStream, string> = { stdout: '', stderr: '' };
  constructor(private readonly onLine: (stream: OutputStream, text: string) => void) {}

  push(stream: OutputStream, chunk: Buffer | string): void {
    const text = this.partial[stream] + chunk.toString();
    const lines = text.split('\n');
    this.partial[stream] = lines.pop() ?? '';
    for (const l of lines) this.onLine(stream, l.replace(/\r$/, ''));
  }

  flush(): void {
    for (const s of ['stdout', 'stderr'] as const) {
      if (this.partial[s]) this.onLine(s, this.partial[s]);
      this.partial[s] = '';
    }
  }
}

/**
 * Demultiplex a non-TTY container stream (8-byte frame headers: type, 0, 0, 0, size BE32) into
 * whole lines. Resolves when the stream ends.
 */
export function demuxDockerStream(stream: Readable, onLine: (stream: OutputStream, text: string) => void, signal?: AbortSignal): Promise<void> {
  const lines = new LineSplitter(onLine);
  let buf: Buffer = Buffer.alloc(0);
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => stream.destroy();
    signal?.addEventListener('abort', onAbort, { once: true });
    const end = (err?: Error) => {
      signal?.removeEventListener('abort', onAbort);
      lines.flush();
      if (err && !signal?.aborted) reject(err);
      else resolve();
    };
    stream.on('data', (d: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      while (buf.length >= 8) {
        const type = buf[0];
        const size = buf.readUInt32BE(4);
        if (type > 2 || buf[1] !== 0 || buf[2] !== 0 || buf[3] !== 0) {
          // Not multiplexed (TTY container): everything is stdout.
          lines.push('stdout', buf);
          buf = Buffer.alloc(0);
          break;
        }
        if (buf.length < 8 + size) break;
        lines.push(type === 2 ? 'stderr' : 'stdout', buf.subarray(8, 8 + size));
        buf = buf.subarray(8 + size);
      }
    });
    stream.on('error', (err) => end(err));
    stream.on('end', () => end());
    stream.on('close', () => end());
  });
}

/** Follow a container's logs from its start (or `since`, epoch seconds) until it stops or the signal aborts. */
export async function followContainerLogs(
  container: Docker.Container,
  onLine: (stream: OutputStream, text: string) => void,
  opts: { signal?: AbortSignal; since?: number } = {},
): Promise<void> {
  const stream = (await container.logs({ follow: true, stdout: true, stderr: true, ...(opts.since ? { since: opts.since } : {}) })) as unknown as Readable;
  await demuxDockerStream(stream, onLine, opts.signal);
}

/** The last `n` lines of a container's output (works after it exited, until it is removed). */
export async function tailContainerLogs(container: Docker.Container, n = 40): Promise<Array<{ stream: OutputStream; text: string }>> {
  const raw = (await container.logs({ follow: false, stdout: true, stderr: true, tail: n })) as unknown as Buffer;
  const out: Array<{ stream: OutputStream; text: string }> = [];
  const lines = new LineSplitter((stream, text) => out.push({ stream, text }));
  let buf = Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw));
  while (buf.length >= 8 && buf[0] <= 2 && buf[1] === 0) {
    const size = buf.readUInt32BE(4);
    lines.push(buf[0] === 2 ? 'stderr' : 'stdout', buf.subarray(8, 8 + size));
    buf = buf.subarray(8 + size);
  }
  if (buf.length) lines.push('stdout', buf);
  lines.flush();
  return out.slice(-n);
}

/**
 * Run a one-off container to completion, streaming its output; removes it afterwards.
 * Aborting the signal kills and removes it.
 */
export async function runContainerToCompletion(
  docker: Docker,
  opts: {
    image: string;
    cmd: string[];
    binds?: string[];
    env?: string[];
    labels?: Record<string, string>;
    user?: string;
    onLine?: (stream: OutputStream, text: string) => void;
    signal?: AbortSignal;
  },
): Promise<{ exitCode: number }> {
  const container = await docker.createContainer({
    Image: opts.image,
    Cmd: opts.cmd,
    Env: opts.env,
    Labels: { ...studioLabels(), ...(opts.labels ?? {}) },
    ...(opts.user ? { User: opts.user } : {}),
    HostConfig: { Binds: opts.binds ?? [] },
  });
  const onAbort = () => void removeContainerQuietly(docker, container.id);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const stream = (await container.attach({ stream: true, stdout: true, stderr: true })) as unknown as Readable;
    const output = demuxDockerStream(stream, (s, t) => opts.onLine?.(s, t), opts.signal);
    // Handled now: the stream may fail while we wait for start/wait below (awaited after those).
    output.catch(() => undefined);
    await container.start();
    const res = (await container.wait()) as { StatusCode: number };
    await output;
    return { exitCode: res.StatusCode };
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    await removeContainerQuietly(docker, container.id);
  }
}
