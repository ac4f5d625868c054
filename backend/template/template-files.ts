import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { OpenedTemplate, TemplateDiskState } from '@/shared/api/contract/template';
import { ApiError } from '@/shared/api/errors';
import { removeStaleTemps, resolveWriteTarget, writeFileAtomic } from '../fs/atomic-write';
import { isInside, realPathAllowMissing } from '../fs/paths';
import type { TemplateDrafts } from './drafts';
import { readTemplateText } from './read-template-text';

export { isInside };

export interface TemplateLocation {
  /** Absolute path of the template file. */
  file: string;
  projectDir: string;
  relPath: string;
}

/** Resolve a template path given relative to the project folder (or absolute inside it). */
export function locateTemplate(projectDir: string, p: string): TemplateLocation {
  const dir = path.resolve(projectDir);
  const file = path.resolve(dir, p);
  if (!isInside(dir, file) || file === dir) {
    throw new ApiError(
      'OUTSIDE_PROJECT',
      `The template ${file} is not inside the project folder ${dir}. Open the folder that contains it as the project.`,
      { file, projectDir: dir },
      'OutsideProjectError',
    );
  }
  return { file, projectDir: dir, relPath: path.relative(dir, file) };
}

/**
 * Where a save of the template really lands (a link is followed to its file) — refused when that is
 * outside the project, e.g. through a linked folder: the project folder is the only place the
 * Template step writes.
 */
async function realWriteTarget(loc: TemplateLocation): Promise<string> {
  const target = await realPathAllowMissing(await resolveWriteTarget(loc.file));
  const projectReal = await realPathAllowMissing(loc.projectDir);
  if (!isInside(projectReal, target)) {
    throw new ApiError(
      'OUTSIDE_PROJECT',
      `${loc.relPath} leads outside the project folder: saving it would write ${target} (through a link). DISM Studio writes only inside ${loc.projectDir}; copy the file into the project instead of linking to it.`,
      { file: loc.file, target, projectDir: loc.projectDir },
      'OutsideProjectError',
    );
  }
  return target;
}

function hashText(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Last seen disk states, so polling for changes reads the file only when mtime or size moved. */
const seen = new Map<string, TemplateDiskState>();

async function readWithState(file: string): Promise<{ text: string; disk: TemplateDiskState }> {
  const bytes = await fs.readFile(file);
  const st = await fs.stat(file);
  const disk = { mtimeMs: st.mtimeMs, size: st.size, hash: hashText(bytes) };
  seen.set(file, disk);
  return { text: bytes.toString('utf8'), disk };
}

function notFound(loc: TemplateLocation): ApiError {
  return new ApiError('NOT_FOUND', `Template not found: ${loc.relPath} (in ${loc.projectDir}).`, { file: loc.file }, 'NotFoundError');
}

export async function openTemplate(projectDir: string, p: string, drafts: TemplateDrafts): Promise<OpenedTemplate> {
  const loc = locateTemplate(projectDir, p);
  // Temp files of a save that crashed half-way are useless: clean them now (never blocks opening).
  await removeStaleTemps(await resolveWriteTarget(loc.file).catch(() => loc.file));
  let read;
  try {
    read = await readWithState(loc.file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(loc);
    await readTemplateText(loc.file); // throws the plain message (a folder, permission denied, …)
    throw err;
  }
  const draft = await drafts.read(loc.file);
  return {
    path: loc.file,
    projectDir: loc.projectDir,
    relPath: loc.relPath,
    text: read.text,
    disk: read.disk,
    draft: draft && draft.text !== read.text ? draft : null,
  };
}

/**
 * Save atomically (temp file + rename, mode kept, links written through) keeping the previous
 * version as `<file>.dism-studio.bak`. Refuses when the file changed on disk since the editor loaded
 * it — or exists although the caller believed it did not (baseHash null) — so another program's
 * edits are never lost silently; the UI then offers reload or keep (force).
 */
export async function saveTemplate(
  projectDir: string,
  p: string,
  text: string,
  baseHash: string | null,
  force: boolean,
  drafts: TemplateDrafts,
): Promise<{ disk: TemplateDiskState; backupPath: string | null }> {
  const loc = locateTemplate(projectDir, p);
  await realWriteTarget(loc);
  let current: TemplateDiskState | null = null;
  try {
    current = (await readWithState(loc.file)).disk;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (!force && current && current.hash !== baseHash) {
    throw new ApiError(
      'TEMPLATE_CHANGED_ON_DISK',
      `${loc.relPath} ${baseHash === null ? 'exists on disk (another program created it) but your edits did not start from it' : 'was changed on disk by another program since you opened it'}. Reload it (your edits are discarded) or keep your version (overwrites the file; the disk version is kept as ${path.basename(loc.file)}.dism-studio.bak).`,
      { file: loc.file, disk: current },
      'TemplateChangedOnDiskError',
    );
  }
  const { backupPath } = await writeFileAtomic(loc.file, text, { backup: current !== null });
  const { disk } = await readWithState(loc.file);
  await drafts.discard(loc.file);
  return { disk, backupPath };
}

export async function createTemplate(projectDir: string, p: string, text: string, drafts: TemplateDrafts): Promise<OpenedTemplate> {
  const loc = locateTemplate(projectDir, p);
  await realWriteTarget(loc);
  const exists = await fs.lstat(loc.file).then(
    () => true,
    () => false,
  );
  if (exists)
    throw new ApiError(
      'ALREADY_EXISTS',
      `${loc.relPath} already exists; choose another file name or open it.`,
      { file: loc.file },
      'AlreadyExistsError',
    );
  await writeFileAtomic(loc.file, text);
  return openTemplate(loc.projectDir, loc.relPath, drafts);
}

export async function templateDiskState(projectDir: string, p: string, knownHash: string | null) {
  const loc = locateTemplate(projectDir, p);
  let st;
  try {
    st = await fs.stat(loc.file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { changed: knownHash !== null, deleted: true, disk: null, text: null };
    throw err;
  }
  const last = seen.get(loc.file);
  if (last && last.mtimeMs === st.mtimeMs && last.size === st.size && last.hash === knownHash) {
    return { changed: false, deleted: false, disk: last, text: null };
  }
  const read = await readWithState(loc.file);
  const changed = read.disk.hash !== knownHash;
  return { changed, deleted: false, disk: read.disk, text: changed ? read.text : null };
}
