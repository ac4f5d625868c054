import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { RunnerInfo, RunnerRecipe } from '@/shared/api/contract/dismcli';
import { ApiError } from '@/shared/api/errors';
import { describeSystemError } from '@/shared/api/system-errors';
import { localImageName, shortImageName } from '../engine/engine-client';
import { buildContext, buildImage, imageExists, pullImage } from '../engine/images';
import { PROJECT_LABEL, ROLE_LABEL, studioLabels } from '../engine/labels';
import {
  baseImageOf,
  dockerfileOf,
  dockerfilePath,
  generatedDockerfile,
  IMAGE_REPO,
  imageTagFor,
  loadRecipe,
  RECIPE_HASH_LABEL,
  recipeHash,
  recipeProblems,
} from './recipe';

const RUNNER_ROLE = 'dismcli-runner';

/** The recipe as the UI shows it, with the state of its image in the engine (when reachable). */
export async function runnerInfo(projectDir: string, docker: Docker | null, recipe?: RunnerRecipe): Promise<RunnerInfo> {
  const r = recipe ?? (await loadRecipe(projectDir));
  const hash = await recipeHash(r);
  const imageTag = imageTagFor(hash);
  let imageState: RunnerInfo['imageState'] = 'missing';
  if (docker) {
    if (await imageExists(docker, imageTag)) imageState = 'up-to-date';
    else {
      const older = await docker.listImages({ filters: { label: [`${ROLE_LABEL}=${RUNNER_ROLE}`, `${PROJECT_LABEL}=${projectDir}`] } });
      if (older.length) imageState = 'stale';
    }
  }
  return {
    recipe: r,
    dockerfile: dockerfileOf(r),
    generatedDockerfile: generatedDockerfile(r),
    dockerfilePath: dockerfilePath(projectDir),
    recipeHash: hash,
    imageTag,
    imageState,
    problems: await recipeProblems(r),
  };
}

/** Build context: the Dockerfile, and for the PyInstaller recipe the user's folder as dismcli/ (links kept as links). */
export function runnerContext(recipe: RunnerRecipe): Readable {
  return buildContext([
    { name: 'Dockerfile', text: dockerfileOf(recipe) },
    ...(recipe.kind === 'pyinstaller' && recipe.dismcliFolder ? [{ name: 'dismcli', folder: recipe.dismcliFolder }] : []),
  ]);
}

export interface EnsureRunnerOptions {
  force?: boolean;
  signal?: AbortSignal;
  log?: (line: string) => void;
  progress?: (fraction: number | null, message: string) => void;
}

/**
 * Make sure the runner image for the project's current recipe exists; build it only when the recipe
 * changed (the image tag carries the recipe hash) or when forced.
 */
export async function ensureRunnerImage(
  docker: Docker,
  projectDir: string,
  opts: EnsureRunnerOptions = {},
): Promise<{ imageTag: string; recipeHash: string; built: boolean }> {
  const info = await runnerInfo(projectDir, docker);
  if (info.problems.length)
    throw new ApiError(
      'RECIPE_INVALID',
      `The dismcli runner recipe cannot be built: ${info.problems.join(' ')}`,
      { problems: info.problems },
      'RecipeError',
    );
  if (info.imageState === 'up-to-date' && !opts.force) {
    opts.log?.(`Runner image ${info.imageTag} is up to date (recipe ${info.recipeHash}).`);
    return { imageTag: info.imageTag, recipeHash: info.recipeHash, built: false };
  }
  const base = baseImageOf(info.recipe);
  const usesBaseArg = /^\s*FROM\s+\$\{?BASE_IMAGE\}?/im.test(info.dockerfile);
  if (usesBaseArg && !(await imageExists(docker, base))) {
    opts.progress?.(null, `Pulling base image ${base}…`);
    opts.log?.(`Base image ${base} is not present; pulling it.`);
    try {
      await pullImage(docker, base, {
        signal: opts.signal,
        onProgress: (p) => opts.progress?.(p.fraction === null ? null : 0.5 * p.fraction, `Pulling ${base}: ${p.status}`),
      });
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      throw new ApiError(
        'IMAGE_UNAVAILABLE',
        `The base image ${base} is not available locally and could not be pulled (${(err as Error).message}). Set the recipe's base image to one you have or can reach (e.g. a mirror such as registry.cern.ch/docker.io/library/${base}), or load it with docker load.`,
        { image: base },
        'ImageUnavailableError',
      );
    }
  }
  // A forced rebuild moves the tag; the image it pointed to would be left dangling.
  const previousId = await docker
    .getImage((await localImageName(docker, info.imageTag)) ?? info.imageTag)
    .inspect()
    .then(
      (i) => i.Id,
      () => null,
    );
  opts.log?.(`Building ${info.imageTag} from ${info.dockerfilePath}…`);
  let step = 0;
  let steps = 0;
  try {
    await buildImage(docker, runnerContext(info.recipe), {
      tag: info.imageTag,
      labels: { ...studioLabels({ project: projectDir, role: RUNNER_ROLE }), [RECIPE_HASH_LABEL]: info.recipeHash },
      signal: opts.signal,
      onLine: (line) => {
        opts.log?.(line);
        const m = /^Step (\d+)\/(\d+)\s*:\s*(.*)$/.exec(line);
        if (m) {
          step = Number(m[1]);
          steps = Number(m[2]);
          opts.progress?.(0.5 + 0.5 * ((step - 1) / steps), `Step ${step}/${steps}: ${m[3].slice(0, 80)}`);
        }
      },
    });
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    const reason = describeSystemError(err)?.message.replace(/\.$/, '') ?? (err as Error).message.replace(/^Image build failed:\s*/, '');
    throw new ApiError(
      'IMAGE_BUILD_FAILED',
      `Building the dismcli runner failed${steps ? ` at step ${step}/${steps}` : ''}: ${reason}. The build log shows the output; edit the Dockerfile (${info.dockerfilePath}) and build again.`,
      undefined,
      'ImageBuildError',
    );
  }
  const newId = (await docker.getImage((await localImageName(docker, info.imageTag)) ?? info.imageTag).inspect()).Id;
  if (previousId && previousId !== newId)
    await docker
      .getImage(previousId)
      .remove()
      .catch(() => undefined);
  await removeOlderRunnerImages(docker, projectDir, info.imageTag);
  opts.progress?.(1, `Built ${info.imageTag}`);
  return { imageTag: info.imageTag, recipeHash: info.recipeHash, built: true };
}

/** Older runner images of this project are dead weight once the new one exists; ones in use stay. */
async function removeOlderRunnerImages(docker: Docker, projectDir: string, keep: string): Promise<void> {
  const images = await docker.listImages({ filters: { label: [`${ROLE_LABEL}=${RUNNER_ROLE}`, `${PROJECT_LABEL}=${projectDir}`] } });
  for (const img of images) {
    for (const tag of img.RepoTags ?? []) {
      if (shortImageName(tag) === keep || !shortImageName(tag).startsWith(`${IMAGE_REPO}:`)) continue;
      await docker
        .getImage(tag)
        .remove()
        .catch(() => undefined);
    }
  }
}
