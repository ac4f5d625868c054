/**
 * Running containers to completion (the dismcli runner, the joblib extraction) and removing them.
 * The model server, which keeps running, is started by model-server/manager.ts.
 */
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { studioLabels } from './labels';
import { demuxDockerStream, type OutputStream } from './streams';

/** Force-remove a container; a container that is already gone is not an error. */
export async function removeContainerQuietly(docker: Docker, id: string): Promise<void> {
  try {
    await docker.getContainer(id).remove({ force: true, v: true });
  } catch (err) {
    const code = (err as { statusCode?: number }).statusCode;
    if (code !== 404 && code !== 409) throw err;
  }
}

/** Force-remove and wait until the engine has really let go of it (removal is asynchronous). */
async function removeContainerAndWait(docker: Docker, id: string, timeoutMs = 15_000): Promise<void> {
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
 * however the run ends. It carries the studio labels (plus those in `create`). Stdin stays
 * closed, so a program that asks a question fails instead of hanging. Aborting the signal kills
 * it and rejects.
 */
export async function runOneShotContainer(
  docker: Docker,
  create: Docker.ContainerCreateOptions,
  opts: { onLine?: (stream: OutputStream, text: string) => void; signal?: AbortSignal } = {},
): Promise<{ exitCode: number }> {
  opts.signal?.throwIfAborted();
  const container = await docker.createContainer({
    ...create,
    Labels: { ...studioLabels(), ...(create.Labels ?? {}) },
    OpenStdin: false,
    AttachStdin: false,
  });
  const onAbort = () => void removeContainerQuietly(docker, container.id);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const stream = (await container.attach({ stream: true, stdout: true, stderr: true })) as unknown as Readable;
    // A TTY stream is raw text (no frame headers), stdout and stderr merged.
    const output = demuxDockerStream(stream, (s, t) => opts.onLine?.(s, t), opts.signal, { tty: Boolean(create.Tty) });
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
 * user. With Docker and Podman that is the user's own IDs (on rootless Podman the engine client adds
 * --userns=keep-id, which maps them to themselves: engine-client.ts); with rootless Docker the
 * container's root *is* the user (user namespace), and any other ID maps to a subordinate one.
 */
export function containerUserFor(engine: { kind?: 'docker' | 'podman'; rootless?: boolean }): { uid: number; gid: number } {
  if (engine.kind === 'docker' && engine.rootless) return { uid: 0, gid: 0 };
  return { uid: process.getuid?.() ?? 1000, gid: process.getgid?.() ?? 1000 };
}
