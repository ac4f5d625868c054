import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { RunnerRecipe } from '@/shared/api/contract/dismcli';
import { ApiError } from '@/shared/api/errors';
import { readJsonFile, writeFileAtomic } from '../fs/atomic-write';
import { listFolder } from '../fs/list-folder';
import { baseImageOf, generatedDockerfile } from '@/shared/dismcli/runner-dockerfile';

export { baseImageOf, generatedDockerfile };

/** Where the recipe lives in the project, so it travels with it and the user can read it. */
const RUNNER_DIR = path.join('.dism-studio', 'dismcli-runner');
const RECIPE_FILE = 'recipe.json';
const DOCKERFILE = 'Dockerfile';
export const IMAGE_REPO = 'dism-studio/dismcli-runner';
export const RECIPE_HASH_LABEL = 'dism.recipe-hash';

const DEFAULT_RECIPE: RunnerRecipe = { kind: 'pip' };

export function dockerfileOf(recipe: RunnerRecipe): string {
  return recipe.customDockerfile ?? generatedDockerfile(recipe);
}

/** Problems that stop a build, phrased as what to do. */
export async function recipeProblems(recipe: RunnerRecipe): Promise<string[]> {
  const problems: string[] = [];
  if (recipe.kind === 'pyinstaller') {
    const folder = recipe.dismcliFolder?.trim();
    if (!folder) problems.push('Choose the folder of your dismcli installation (it holds the dismcli executable and _internal/).');
    else if (!path.isAbsolute(folder)) problems.push(`The dismcli folder must be an absolute path, got "${folder}".`);
    else {
      const exe = await fs.stat(path.join(folder, 'dismcli')).catch(() => null);
      if (!exe?.isFile())
        problems.push(`No dismcli executable in ${folder}: choose the folder PyInstaller produced (it contains dismcli and _internal/).`);
      else if ((exe.mode & 0o111) === 0) problems.push(`${path.join(folder, 'dismcli')} is not executable: chmod +x it.`);
    }
  }
  if (!/^\s*FROM\s/im.test(dockerfileOf(recipe))) problems.push('The Dockerfile has no FROM line.');
  return problems;
}

/**
 * A fingerprint of everything that goes into the image: the Dockerfile, the build args and, for a
 * PyInstaller folder, every file's path, size and modification time (hashing hundreds of MB of
 * content on every look would be slow; a changed dismcli changes at least its mtime).
 */
export async function recipeHash(recipe: RunnerRecipe): Promise<string> {
  const h = createHash('sha256');
  h.update(dockerfileOf(recipe));
  h.update(`\0BASE_IMAGE=${baseImageOf(recipe)}\0`);
  if (recipe.kind === 'pyinstaller' && recipe.dismcliFolder) {
    for (const f of await listFolder(recipe.dismcliFolder).catch(() => [])) h.update(`${f.rel}\0${f.size}\0${f.mtimeMs}\0${f.mode}\n`);
  }
  return h.digest('hex').slice(0, 16);
}

export function imageTagFor(hash: string): string {
  return `${IMAGE_REPO}:${hash}`;
}

function runnerDir(projectDir: string): string {
  return path.join(path.resolve(projectDir), RUNNER_DIR);
}

export function dockerfilePath(projectDir: string): string {
  return path.join(runnerDir(projectDir), DOCKERFILE);
}

/**
 * The recipe stored in the project: recipe.json holds the choices; the Dockerfile next to it is
 * what gets built. A Dockerfile that differs from the generated one is the user's edit and wins.
 */
export async function loadRecipe(projectDir: string): Promise<RunnerRecipe> {
  const dir = runnerDir(projectDir);
  const raw = await readJsonFile<Partial<RunnerRecipe> | null>(path.join(dir, RECIPE_FILE), null).catch((err: Error) => {
    throw new ApiError(
      'RECIPE_INVALID',
      `${path.join(dir, RECIPE_FILE)} is not valid JSON (${err.message}); fix or delete it.`,
      undefined,
      'RecipeError',
    );
  });
  const recipe: RunnerRecipe = { ...DEFAULT_RECIPE, ...(raw ?? {}) };
  if (recipe.kind !== 'pip' && recipe.kind !== 'pyinstaller') recipe.kind = 'pip';
  delete recipe.customDockerfile;
  const onDisk = await fs.readFile(path.join(dir, DOCKERFILE), 'utf8').catch(() => null);
  if (onDisk !== null && onDisk !== generatedDockerfile(recipe)) recipe.customDockerfile = onDisk;
  return recipe;
}

export async function saveRecipe(projectDir: string, recipe: RunnerRecipe): Promise<RunnerRecipe> {
  const dir = runnerDir(projectDir);
  const { customDockerfile, ...choices } = recipe;
  const dockerfile = customDockerfile ?? generatedDockerfile(recipe);
  await writeFileAtomic(path.join(dir, RECIPE_FILE), `${JSON.stringify(choices, null, 2)}\n`);
  await writeFileAtomic(path.join(dir, DOCKERFILE), dockerfile, { backup: true });
  return loadRecipe(projectDir);
}
