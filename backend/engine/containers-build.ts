/**
 * One-shot containers with full create options (working dir, TTY, group, network…), on top of the
 * helpers in ./containers. Used by the dismcli runner and the joblib import.
 */
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { demuxDockerStream, LineSplitter, removeContainerQuietly, type OutputStream } from './containers';

/** Force-remove and wait until the engine has really let go of it (removal is asynchronous). */
export async function removeContainerAndWait(docker: Docker, id: string, timeoutMs = 15_000): Promise<void> {
  await removeContainerQuietly(docker, id);
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      await docker.getContainer(id).inspect();
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return;
      throw err;
    }
    await new Promise((r) => setTimeout(r, 100));
    await removeContainerQuietly(docker, id);
  }
}

/**
 * Create, attach, start and wait for a container, streaming its output as lines; it is removed
 * however the run ends. Aborting the signal kills it and rejects.
 */
export async function runOneShotContainer(
  docker: Docker,
  create: Docker.ContainerCreateOptions,
  opts: { onLine?: (stream: OutputStream, text: string) => void; signal?: AbortSignal } = {},
): Promise<{ exitCode: number }> {
  opts.signal?.throwIfAborted();
  const container = await docker.createContainer({ ...create, OpenStdin: false, AttachStdin: false });
  const onAbort = () => void removeContainerQuietly(docker, container.id);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const stream = (await container.attach({ stream: true, stdout: true, stderr: true })) as unknown as Readable;
    let output: Promise<void>;
    if (create.Tty) {
      // A TTY stream is raw text (no frame headers), stdout and stderr merged.
      const lines = new LineSplitter((s, t) => opts.onLine?.(s, t));
      output = new Promise<void>((resolve) => {
        stream.on('data', (d: Buffer) => lines.push('stdout', d));
        const end = () => {
          lines.flush();
          resolve();
        };
        stream.on('end', end);
        stream.on('close', end);
        stream.on('error', end);
      });
    } else {
      output = demuxDockerStream(stream, (s, t) => opts.onLine?.(s, t), opts.signal);
    }
    // Handled now: the stream may fail while we wait for start/wait below (awaited after those).
    output.catch(() => undefined);
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    // The attach stream ends with the container; do not hang if an engine keeps it open.
    await Promise.race([output, new Promise((r) => setTimeout(r, 3000))]);
    opts.signal?.throwIfAborted();
    return { exitCode: StatusCode };
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    await removeContainerAndWait(docker, container.id);
  }
}

/**
 * The UID:GID a container should run as so the files it writes into a bind mount belong to the
 * user. With Docker (and rootful Podman) that is the user's own IDs; with rootless Podman the
 * container's root *is* the user (user namespace), and any other ID maps to a subordinate one.
 */
export function containerUserFor(engine: { kind?: 'docker' | 'podman'; address?: string }): { uid: number; gid: number } {
  const rootlessPodman = engine.kind === 'podman' && /\/run\/user\/\d+\//.test(engine.address ?? '');
  if (rootlessPodman) return { uid: 0, gid: 0 };
  return { uid: process.getuid?.() ?? 1000, gid: process.getgid?.() ?? 1000 };
}
