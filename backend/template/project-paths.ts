import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { FsRule } from '@/shared/template/fs-rules';
import type { PathKind } from '@/shared/template/schema';
import { isInside } from '../fs/paths';

/**
 * The one rule for the files a template points at (CodeUri, ModelUri, SavedModelUri): what
 * `validate` reports and what `build-local` refuses, in the same words.
 *
 * - the path, resolved against the template's folder, must lie inside the project folder;
 * - it must exist and be of the right kind (file or folder);
 * - followed through links, it must still lie inside the project: dismcli packages only the
 *   project, and a link out of it would carry outside files into the build and the export;
 * - inside a folder (CodeUri, SavedModelUri), every link must lead inside the project too, and
 *   none may lead to a folder that contains it (a loop). Links that stay inside are fine: the build
 *   copies the files they point to, as dismcli's copy does.
 */

export type PathRule = Extract<FsRule, `path-${string}`>;

export type ResolvedPath = { ok: true; abs: string; real: string } | { ok: false; rule: PathRule; message: string };

export async function resolveProjectPath(opts: {
  templateDir: string;
  projectDir: string;
  field: string;
  value: string;
  kind: PathKind;
}): Promise<ResolvedPath> {
  const { field, value, kind } = opts;
  const projectDir = path.resolve(opts.projectDir);
  const abs = path.resolve(opts.templateDir, value);
  if (!isInside(projectDir, abs)) {
    return {
      ok: false,
      rule: 'path-outside-project',
      message: `${field} "${value}" resolves to ${abs}, outside the project folder ${projectDir}: dismcli packages only files inside the project. Move it into the project and use a path relative to the template's folder.`,
    };
  }
  const st = await fs.stat(abs).catch(() => null);
  if (!st) {
    return {
      ok: false,
      rule: 'path-missing',
      message: `${field}: ${kind === 'dir' ? 'folder' : 'file'} not found: ${value} (looked for ${abs}; paths are relative to the template's folder).`,
    };
  }
  const projectReal = await fs.realpath(projectDir).catch(() => projectDir);
  const real = await fs.realpath(abs).catch(() => abs);
  if (!isInside(projectReal, real)) {
    return {
      ok: false,
      rule: 'path-outside-project',
      message: `${field} "${value}" is a link to ${real}, outside the project folder: dismcli packages only files inside the project.`,
    };
  }
  const actual: PathKind = st.isDirectory() ? 'dir' : 'file';
  if (actual !== kind) {
    return {
      ok: false,
      rule: 'path-kind',
      message: `${field} must be a ${kind === 'dir' ? 'folder' : 'file'}, but ${value} is a ${actual === 'dir' ? 'folder' : 'file'}.`,
    };
  }
  return { ok: true, abs, real };
}

export interface FolderLinkProblem {
  rule: PathRule;
  message: string;
}

/**
 * Links inside `dir` that lead out of the project or into a loop. `shownFrom` is the folder paths
 * in messages are relative to (the template's). Stops after `limit` entries (validate keeps
 * answering fast on a huge folder; the build walks everything anyway when it copies).
 */
export async function folderLinkProblems(
  dir: string,
  opts: { projectDir: string; shownFrom: string; limit?: number },
): Promise<{ problems: FolderLinkProblem[]; truncated: boolean }> {
  const projectReal = await fs.realpath(opts.projectDir).catch(() => path.resolve(opts.projectDir));
  const problems: FolderLinkProblem[] = [];
  let seen = 0;
  let truncated = false;
  const limit = opts.limit ?? Infinity;
  const walk = async (d: string, ancestors: string[]): Promise<void> => {
    for (const e of await fs.readdir(d, { withFileTypes: true }).catch(() => [])) {
      if (++seen > limit) {
        truncated = true;
        return;
      }
      const abs = path.join(d, e.name);
      if (e.isDirectory()) {
        await walk(abs, [...ancestors, await fs.realpath(abs).catch(() => abs)]);
        continue;
      }
      if (!e.isSymbolicLink()) continue;
      const problem = await linkProblem(abs, { projectReal, ancestors, shownFrom: opts.shownFrom });
      if (problem) problems.push(problem);
      else {
        const st = await fs.stat(abs).catch(() => null);
        if (st?.isDirectory()) await walk(abs, [...ancestors, await fs.realpath(abs)]);
      }
    }
  };
  await walk(dir, [await fs.realpath(dir).catch(() => dir)]);
  return { problems, truncated };
}

/** What is wrong with one link found inside a packaged folder, or null when it is fine to follow. */
export async function linkProblem(
  link: string,
  ctx: { projectReal: string; ancestors: string[]; shownFrom: string },
): Promise<FolderLinkProblem | null> {
  const shown = path.relative(ctx.shownFrom, link).split(path.sep).join('/');
  const real = await fs.realpath(link).catch(() => null);
  if (!real) {
    const to = await fs.readlink(link).catch(() => '?');
    return { rule: 'path-missing', message: `${shown} is a link to ${to}, which does not exist; remove the link or restore its file.` };
  }
  if (!isInside(ctx.projectReal, real)) {
    return {
      rule: 'path-outside-project',
      message: `${shown} is a link to ${real}, outside the project folder: dismcli packages only files inside the project. Copy the file into the project instead of linking to it.`,
    };
  }
  if (ctx.ancestors.some((a) => isInside(real, a))) {
    return {
      rule: 'path-loop',
      message: `${shown} is a link to a folder that contains it (${real}), a loop: copying it would never end. Remove the link.`,
    };
  }
  return null;
}
