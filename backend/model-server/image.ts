import type Docker from 'dockerode';
import { ApiError } from '@/shared/api/errors';
import { imageExists, pullImage, PullError, type PullProgress } from '../engine/images';
import { parseImageRef, type ImageRef } from './image-ref';
import type { LocalImage } from '@/shared/api/contract/model-server';

/** Local images, optionally only those whose last name component matches (e.g. every `…/mlserver:*`). */
export async function listLocalImages(docker: Docker, baseName?: string): Promise<LocalImage[]> {
  const out: LocalImage[] = [];
  for (const img of await docker.listImages()) {
    for (const ref of img.RepoTags ?? []) {
      if (ref === '<none>:<none>') continue;
      const name = ref.slice(0, ref.lastIndexOf(':'));
      if (baseName && name.split('/').pop() !== baseName) continue;
      out.push({ ref, id: img.Id, sizeBytes: img.Size, created: new Date(img.Created * 1000).toISOString() });
    }
  }
  return out.sort((a, b) => a.ref.localeCompare(b.ref));
}

/** Give a local image the name the template expects (`docker tag source target`). */
export async function tagLocalImage(docker: Docker, source: string, target: string): Promise<void> {
  const t = parseImageRef(target);
  if (!(await imageExists(docker, source)))
    throw new ApiError('IMAGE_NOT_FOUND', `There is no local image ${source} to tag.`, { image: source }, 'ImageNotFoundError');
  const repo = `${t.registry ? `${t.registry}/` : ''}${t.repository}`;
  await docker.getImage(source).tag({ repo, tag: t.tag ?? 'latest' });
}

export function explainPullFailure(ref: ImageRef, reason: string, candidates: LocalImage[]): ApiError {
  const offline =
    /no such host|dial tcp|i\/o timeout|connection refused|network is unreachable|TLS handshake|server misbehaving|EAI_AGAIN/i.test(reason);
  const denied = /denied|unauthorized|authentication required/i.test(reason);
  const notFound = /not found|manifest unknown|name unknown|does not exist/i.test(reason) && !denied;
  const why = offline
    ? `the registry ${ref.registryHost} cannot be reached from this machine (offline, firewall, or a registry you can only reach from another network)`
    : denied
      ? `${ref.registryHost} refused access (log in with \`docker login ${ref.registryHost}\` if the image is private)`
      : notFound
        ? `${ref.registryHost} has no image ${ref.repository}${ref.tag ? ` with tag ${ref.tag}` : ''} (check the spelling and tag)`
        : 'the engine reported an error';
  const options = [
    candidates.length
      ? `Use a local image instead: ${candidates
          .slice(0, 5)
          .map((c) => c.ref)
          .join(', ')} — choose it, or tag it with \`docker tag ${candidates[0].ref} ${ref.full}\`.`
      : `If you have this image under another name${ref.registryHost === 'docker.io' ? ` (e.g. from a mirror such as registry.cern.ch/docker.io/${ref.repository}:${ref.tag ?? 'latest'})` : ''}, tag it: \`docker tag <local image> ${ref.full}\`.`,
    `Or load it from a file saved elsewhere: \`docker save ${ref.full} -o image.tar\` there, then \`docker load -i image.tar\` here.`,
    'Or set Properties.Image in the template to an image your registry mirror serves.',
  ];
  return new ApiError(
    'IMAGE_NOT_AVAILABLE',
    `The image ${ref.full} is not on this machine and could not be pulled: ${why}.\nEngine said: ${reason}\n${options.map((o) => `• ${o}`).join('\n')}`,
    { image: ref.full, registry: ref.registryHost, reason, localCandidates: candidates },
    'ImageNotAvailableError',
  );
}

/** Make sure `image` exists locally, pulling it (with per-layer progress, cancellable) when absent. */
export async function ensureImage(
  docker: Docker,
  image: string,
  opts: { signal?: AbortSignal; onProgress?: (p: PullProgress) => void; onPullStart?: () => void } = {},
): Promise<{ pulled: boolean }> {
  const ref = parseImageRef(image);
  if (await imageExists(docker, ref.full)) return { pulled: false };
  opts.onPullStart?.();
  try {
    await pullImage(docker, ref.full, { signal: opts.signal, onProgress: opts.onProgress });
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    if (err instanceof PullError) throw explainPullFailure(ref, err.reason, await listLocalImages(docker, ref.baseName));
    throw err;
  }
  return { pulled: true };
}
