/**
 * Images in the container engine: whether one exists, pulling one (per-layer progress, cancel),
 * and building one from a build context (streamed build output, cancel). Every function takes an
 * already-connected dockerode instance (EngineService.client(), which has no idle request timeout,
 * so long pulls and builds are not cut).
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type Docker from 'dockerode';
import tar from 'tar-stream';
import { listFolder } from '../fs/list-folder';
import { failureOf, trackFailure } from '../fs/stream-failure';
import { builtImageName, localImageName, pullImageName } from './engine-client';
import { STUDIO_LABEL } from './labels';
import { readJsonLines } from './streams';

/** Whether the engine has the image locally (on Podman also under localhost/… or docker.io/…, see engine-client.ts). */
export async function imageExists(docker: Docker, ref: string): Promise<boolean> {
  return (await localImageName(docker, ref)) !== null;
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
  constructor(
    readonly image: string,
    readonly reason: string,
  ) {
    super(`Could not pull ${image}: ${reason}`);
  }
}

/**
 * Pull an image, reporting per-layer progress. Abort the signal to cancel the download. On Podman a
 * short name is pulled as docker.io/… and says so (the first status line), never silently.
 */
export async function pullImage(
  docker: Docker,
  ref: string,
  opts: { signal?: AbortSignal; onProgress?: (p: PullProgress) => void; authconfig?: Docker.AuthConfig } = {},
): Promise<void> {
  const name = pullImageName(docker, ref);
  let stream: Readable;
  try {
    if (name !== ref)
      opts.onProgress?.({
        layers: [],
        fraction: null,
        status: `${ref} has no registry in its name: Podman pulls it from Docker Hub as ${name}`,
      });
    stream = (await docker.pull(name, opts.authconfig ? { authconfig: opts.authconfig } : {})) as Readable;
  } catch (err) {
    const e = err as { json?: { message?: string }; message: string };
    throw new PullError(name, e.json?.message ?? e.message.replace(/^\(HTTP code \d+\)\s*[a-z ]*-\s*/i, ''));
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
  if (failure) throw new PullError(name, failure);
}

/** One part of a build context: a file made here, or a folder from disk placed at `name` ('' for the context's root). */
export type ContextPart = { name: string; text: string; mode?: number } | { name: string; folder: string };

/**
 * A build context as the engine takes it: a tar stream of the parts, in order. Folders are
 * streamed file by file, with symbolic links kept as links (as `docker build` sends them). A part
 * that cannot be read fails the stream; its error waits for the consumer (see trackFailure).
 */
export function buildContext(parts: ContextPart[]): Readable {
  const pack = trackFailure(tar.pack());
  const add = (header: Parameters<tar.Pack['entry']>[0], data?: Buffer) =>
    new Promise<void>((resolve, reject) => {
      if (data) pack.entry(header, data, (err) => (err ? reject(err) : resolve()));
      else pack.entry(header, (err) => (err ? reject(err) : resolve()));
    });
  void (async () => {
    for (const part of parts) {
      if ('text' in part) {
        await add({ name: part.name, mode: part.mode ?? 0o644 }, Buffer.from(part.text));
        continue;
      }
      const files = await listFolder(part.folder);
      const prefix = part.name ? `${part.name}/` : '';
      if (prefix) await add({ name: prefix, type: 'directory', mode: 0o755 });
      for (const f of files) {
        const name = `${prefix}${f.rel}`;
        if (f.link !== undefined) {
          await add({ name, type: 'symlink', linkname: f.link, mode: f.mode & 0o7777 });
          continue;
        }
        const entry = pack.entry({ name, size: f.size, mode: f.mode & 0o7777, mtime: new Date(f.mtimeMs) });
        await pipeline(createReadStream(f.abs), entry);
      }
    }
    pack.finalize();
  })().catch((err: Error) => pack.destroy(err));
  return pack as unknown as Readable;
}

export interface BuildImageOptions {
  tag: string;
  labels?: Record<string, string>;
  dockerfile?: string;
  signal?: AbortSignal;
  /** Each line of build output (step headers, RUN output) as the engine streams it. */
  onLine?: (text: string) => void;
}

/** Build an image from a tar context stream (see buildContext); resolves to the image id. */
export async function buildImage(docker: Docker, context: Readable, opts: BuildImageOptions): Promise<string> {
  // On Podman the image is named localhost/<tag>, as `podman build` names it (its Docker API would say docker.io/<tag>).
  const tag = builtImageName(docker, opts.tag);
  // A context that fails (a file vanished, unreadable) ends the build with its error, even when it
  // failed before the engine started reading it.
  const contextFailed = failureOf(context);
  const stream = (await Promise.race([
    docker.buildImage(context as unknown as NodeJS.ReadableStream, {
      t: tag,
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
  await Promise.race([
    readJsonLines(
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
    ),
    contextFailed,
  ]);
  if (failure) throw new Error(`Image build failed: ${failure}`);
  return imageId ?? (await docker.getImage(tag).inspect()).Id;
}
