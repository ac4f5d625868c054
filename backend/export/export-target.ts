import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ExportFormat } from '@/shared/api/contract/export';
import { ApiError } from '@/shared/api/errors';
import { isInside, realPathAllowMissing } from '../fs/paths';
import { ARTIFACTS_DIR } from '../projects/project-folder';

/**
 * The one rule for where an export may be written (CLI `export --to … --overwrite` and the UI's
 * "Replace" both come here):
 * - never the project folder, a folder inside it (its `.dism-artifacts` included), nor a folder
 *   that contains it — replacing such a target would delete the project. Links are followed: a
 *   name that leads into the project through a link is refused like the project itself;
 * - an existing target is replaced only when the caller says so (overwrite), and only if it is
 *   something an export produced: an archive file of the same kind, or a folder holding a DISM
 *   Studio manifest (or an empty folder, used without asking). Any other folder is never replaced;
 * - the replacement itself (export-artifacts.ts) writes the new export completely first, then
 *   moves the old one aside and deletes it.
 */

export const EXPORT_MANIFEST_FORMAT = 'dism-studio-export/1';

export interface ExistingTarget {
  target: string;
  kind: 'folder' | 'archive';
  /** Files listed by the earlier export's manifest (folders only). */
  files?: number;
  createdAt?: string;
}

export interface TargetCheck {
  /** The target exists and will be replaced (overwrite was given). */
  replaces: boolean;
}

const invalid = (message: string, details: Record<string, unknown>) =>
  new ApiError('INVALID_TARGET', message, details, 'InvalidTargetError');

async function readManifest(dir: string): Promise<{ files?: unknown[]; createdAt?: unknown; format?: unknown } | null> {
  try {
    return JSON.parse(await fs.readFile(path.join(dir, 'manifest.json'), 'utf8')) as {
      files?: unknown[];
      createdAt?: unknown;
      format?: unknown;
    };
  } catch {
    return null;
  }
}

/** Refuse a target that is, lies inside, or contains the project (lexically or through links). */
export async function refuseTargetOverlappingProject(projectDir: string, target: string): Promise<void> {
  const project = path.resolve(projectDir);
  const projectReal = await realPathAllowMissing(project);
  const targetReal = await realPathAllowMissing(target);
  const pairs: Array<[string, string]> = [
    [project, target],
    [projectReal, targetReal],
  ];
  const via = targetReal !== target ? ` (through a link it is ${targetReal})` : '';
  for (const [p, t] of pairs) {
    if (p === t) {
      throw invalid(`Cannot export to ${target}: that is the project folder itself${via}. Choose a folder outside ${project}.`, {
        target,
        projectDir: project,
      });
    }
    if (isInside(p, t)) {
      const inArtifacts = isInside(path.join(p, ARTIFACTS_DIR), t);
      throw invalid(
        `Cannot export to ${target}: it is inside the project folder ${project}${inArtifacts ? `, in the ${ARTIFACTS_DIR} folder being exported` : ''}${via}. An export must not be written into the project it comes from; choose a folder outside it.`,
        { target, projectDir: project },
      );
    }
    if (isInside(t, p)) {
      throw invalid(
        `Cannot export to ${target}: it contains the project folder ${project}${via}, and replacing it would delete the project. Choose a new name, e.g. ${path.join(path.dirname(project), `${path.basename(project)}-dism-artifacts`)}.`,
        { target, projectDir: project },
      );
    }
  }
}

/**
 * Check an export target before anything is written. Throws INVALID_TARGET (never allowed) or
 * TARGET_EXISTS (allowed after confirmation: details say what would be replaced).
 */
export async function checkExportTarget(
  projectDir: string,
  target: string,
  format: ExportFormat,
  overwrite: boolean,
): Promise<TargetCheck> {
  await refuseTargetOverlappingProject(projectDir, target);
  const existing = await fs.lstat(target).catch(() => null);
  if (!existing) return { replaces: false };
  if (existing.isSymbolicLink()) throw invalid(`${target} is a link; an export does not replace links. Choose another name.`, { target });
  if (format === 'folder') {
    if (!existing.isDirectory()) throw invalid(`${target} exists and is a file, not an export folder; choose another name.`, { target });
    const entries = await fs.readdir(target);
    if (entries.length === 0) return { replaces: false };
    const manifest = await readManifest(target);
    if (manifest?.format !== EXPORT_MANIFEST_FORMAT) {
      throw invalid(
        `${target} is a folder that is not a DISM Studio export (it has no manifest.json of an earlier export), so it is never replaced. Choose another name, or an empty folder.`,
        { target },
      );
    }
    const found: ExistingTarget = {
      target,
      kind: 'folder',
      ...(Array.isArray(manifest.files) ? { files: manifest.files.length } : {}),
      ...(typeof manifest.createdAt === 'string' ? { createdAt: manifest.createdAt } : {}),
    };
    if (!overwrite) throw exists(found);
    return { replaces: true };
  }
  if (existing.isDirectory())
    throw invalid(`${target} exists and is a folder, not a ${format === 'zip' ? '.zip' : '.tar.gz'} archive; choose another name.`, {
      target,
    });
  const found: ExistingTarget = { target, kind: 'archive', createdAt: existing.mtime.toISOString() };
  if (!overwrite) throw exists(found);
  return { replaces: true };
}

function exists(found: ExistingTarget): ApiError {
  const what =
    found.kind === 'folder' ? `an earlier export folder${found.files !== undefined ? ` with ${found.files} files` : ''}` : 'an archive';
  return new ApiError(
    'TARGET_EXISTS',
    `${found.target} already exists (${what}). Confirm to replace it, or choose another name.`,
    found,
    'TargetExistsError',
  );
}
