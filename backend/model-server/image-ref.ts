import { ApiError } from '@/shared/api/errors';

/**
 * A container image reference, `[registry[:port]/]path[:tag][@digest]`, parsed with the docker
 * reference grammar: the first component is a registry only when it has a '.' or ':' or is
 * `localhost` (so `registry.cern.ch/docker.io/seldonio/mlserver:1.5.0` and `host:5000/name:tag`
 * work, while in `seldonio/mlserver` the first part is a Docker Hub user).
 */
export interface ImageRef {
  /** registry host[:port], or undefined for Docker Hub. */
  registry?: string;
  /** path without registry, e.g. `seldonio/mlserver` or `library/ubuntu`'s familiar `ubuntu`. */
  repository: string;
  tag?: string;
  digest?: string;
  /** As the user wrote it, with `:latest` added when neither tag nor digest was given. */
  full: string;
  /** Where a pull goes, for messages: the registry host or `docker.io`. */
  registryHost: string;
  /** Last path component, e.g. `mlserver`: used to suggest local images with the same name. */
  baseName: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,}$/;
const HOST = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::\d{1,5})?$/;

function invalid(ref: string, why: string): ApiError {
  return new ApiError(
    'IMAGE_NAME_INVALID',
    `"${ref}" is not a valid image name: ${why}. Expected [registry[:port]/]name[:tag], e.g. registry.cern.ch/docker.io/seldonio/mlserver:1.5.0.`,
    { image: ref },
    'ImageNameError',
  );
}

export function parseImageRef(input: string): ImageRef {
  const ref = input.trim();
  if (!ref) throw invalid(input, 'it is empty');
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw invalid(ref, `the digest "${digest}" is malformed`);
  }
  let tag: string | undefined;
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > rest.lastIndexOf('/')) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!TAG.test(tag)) throw invalid(ref, `the tag "${tag}" may only contain letters, digits, '_', '.' and '-' (at most 128)`);
  }
  const parts = rest.split('/');
  let registry: string | undefined;
  if (parts.length > 1 && (parts[0].includes('.') || parts[0].includes(':') || parts[0] === 'localhost')) {
    registry = parts.shift();
    if (!HOST.test(registry!)) throw invalid(ref, `the registry "${registry}" is not a host[:port]`);
  }
  if (!parts.length || parts.some((p) => !COMPONENT.test(p))) {
    const bad = parts.find((p) => !COMPONENT.test(p)) ?? '';
    throw invalid(ref, `the name part "${bad}" must be lowercase letters, digits and separators (., _, __, -)`);
  }
  const repository = parts.join('/');
  const full = `${registry ? `${registry}/` : ''}${repository}${tag ? `:${tag}` : ''}${digest ? `@${digest}` : ''}${!tag && !digest ? ':latest' : ''}`;
  return { registry, repository, tag, digest, full, registryHost: registry ?? 'docker.io', baseName: parts[parts.length - 1] };
}
