import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ArtifactPart, ExportFormat, ExportManifest, ExportResult, ManifestFile } from '@/shared/api/contract/export';
import { ApiError } from '@/shared/api/errors';
import { describeSystemError, systemErrorReason } from '@/shared/api/system-errors';
import { pidAlive } from '../fs/atomic-write';
import { artifactsRoot, collectPart, existingParts, type SourceFile } from './collect';
import { checkExportTarget, EXPORT_MANIFEST_FORMAT, refuseTargetOverlappingProject } from './export-target';
import { createWriter, type ExportWriter } from './writers';

export const MANIFEST_NAME = 'manifest.json';

export interface ExportOptions {
  projectDir: string;
  /** A folder to create, or a file ending .zip / .tar.gz / .tgz. Must be absolute. */
  to: string;
  /** Default: every part that exists. */
  parts?: ArtifactPart[];
  /** Replace an existing target; only after the user confirmed. */
  overwrite?: boolean;
  signal?: AbortSignal;
  onProgress?: (fraction: number, message: string) => void;
}

function formatFor(target: string): ExportFormat {
  const lower = target.toLowerCase();
  if (lower.endsWith('.zip')) return 'zip';
  if (lower.endsWith('.tar.gz') || lower.endsWith('.tgz')) return 'tar.gz';
  return 'folder';
}

export interface ExportPlan {
  projectDir: string;
  target: string;
  format: ExportFormat;
  parts: ArtifactPart[];
  /** The target exists and will be replaced (overwrite was given). */
  replaces: boolean;
}

/**
 * Everything that can be checked before writing: where (export-target.ts: never into, onto or
 * around the project), which format, which parts, and whether an existing target would be
 * replaced. Throws TARGET_EXISTS when it would and overwrite is not set, so the UI can ask and call
 * again.
 */
export async function planExport(opts: ExportOptions): Promise<ExportPlan> {
  const projectDir = path.resolve(opts.projectDir);
  if (!path.isAbsolute(opts.to))
    throw new ApiError('INVALID_TARGET', `Export target must be an absolute path, got "${opts.to}".`, undefined, 'InvalidTargetError');
  const target = path.resolve(opts.to);
  const format = formatFor(target);
  await refuseTargetOverlappingProject(projectDir, target);
  const parent = path.dirname(target);
  const parentStat = await fs.stat(parent).catch(() => null);
  if (!parentStat?.isDirectory())
    throw new ApiError(
      'NOT_FOUND',
      `The folder ${parent} does not exist; create it or choose another place to export to.`,
      { parent },
      'NotFoundError',
    );

  const available = await existingParts(projectDir);
  const parts = opts.parts?.length ? [...new Set(opts.parts)] : available;
  if (parts.length === 0)
    throw new ApiError(
      'NOT_FOUND',
      `Nothing to export: ${artifactsRoot(projectDir)} has neither build/ nor package/. Run a build first.`,
      undefined,
      'NotFoundError',
    );
  for (const p of parts) if (!available.includes(p)) await collectPart(projectDir, p); // throws the specific "run … first" error

  const { replaces } = await checkExportTarget(projectDir, target, format, Boolean(opts.overwrite));
  return { projectDir, target, format, parts, replaces };
}

/** Export .dism-artifacts/<parts> with a manifest; the target appears complete or not at all. */
export async function exportArtifacts(opts: ExportOptions): Promise<ExportResult> {
  // First, so an earlier export a crash left moved aside is back in place before the plan looks.
  if (path.isAbsolute(opts.to)) await removeStalePartials(path.resolve(opts.to));
  const plan = await planExport(opts);
  const files: SourceFile[] = [];
  for (const part of plan.parts) files.push(...(await collectPart(plan.projectDir, part)));
  const totalBytes = files.reduce((a, f) => a + f.size, 0);

  const dir = path.dirname(plan.target);
  const temp = path.join(dir, `.${path.basename(plan.target)}.dism-${process.pid}-${randomBytes(6).toString('hex')}.partial`);
  const manifestFiles: ManifestFile[] = [];
  let writer: ExportWriter | null = null;
  try {
    opts.signal?.throwIfAborted(); // before the temp target exists
    writer = createWriter(plan.format, temp);
    let done = 0;
    for (const f of files) {
      opts.signal?.throwIfAborted();
      const written = await writer.addFile(f.name, f.abs, f.executable);
      manifestFiles.push({ path: f.name, size: written.size, sha256: written.sha256 });
      done += written.size;
      opts.onProgress?.(totalBytes ? done / totalBytes : 1, f.name);
    }
    const manifest: ExportManifest = {
      format: EXPORT_MANIFEST_FORMAT,
      createdAt: new Date().toISOString(),
      project: path.basename(plan.projectDir),
      parts: plan.parts,
      files: manifestFiles,
      totalBytes: manifestFiles.reduce((a, f) => a + f.size, 0),
    };
    await writer.addBuffer(MANIFEST_NAME, Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`));
    await writer.finish();
    opts.signal?.throwIfAborted();
    await moveIntoPlace(temp, plan);
    return { target: plan.target, format: plan.format, manifest, replaced: plan.replaces };
  } catch (err) {
    await writer?.abort();
    await fs.rm(temp, { recursive: true, force: true });
    const plain = !opts.signal?.aborted && describeSystemError(err);
    if (plain) {
      // Told in terms of the export the user asked for, not our temporary name.
      throw new ApiError(
        'EXPORT_WRITE_FAILED',
        `Could not write the export ${plan.target}: ${systemErrorReason(err)}.${plan.replaces ? ' The earlier export there is unchanged.' : ''} Choose a folder you can write to (with enough free space).`,
        { target: plan.target, code: plain.code },
        'ExportError',
      );
    }
    throw err;
  }
}

/**
 * Leftovers of an export that crashed (its process no longer runs): a half-written
 * `.<name>.dism-<pid>-<hex>.partial` is removed; an earlier export moved aside as `….replaced` is
 * put back when nothing took its place, and removed when the new export did.
 */
async function removeStalePartials(target: string): Promise<void> {
  const dir = path.dirname(target);
  const base = path.basename(target).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`^\\.${base}\\.dism-(\\d+)-[0-9a-f]{12}\\.(partial|replaced)$`);
  for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
    const m = re.exec(name);
    if (!m || Number(m[1]) === process.pid || pidAlive(Number(m[1]))) continue;
    const abs = path.join(dir, name);
    if (
      m[2] === 'replaced' &&
      !(await fs.lstat(target).then(
        () => true,
        () => false,
      ))
    )
      await fs.rename(abs, target).catch(() => undefined);
    else await fs.rm(abs, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** Rename the finished temp into place; an existing target is moved aside first and removed only after. */
async function moveIntoPlace(temp: string, plan: ExportPlan): Promise<void> {
  if (plan.format === 'folder') {
    const current = await fs.lstat(plan.target).catch(() => null);
    if (current?.isDirectory() && !plan.replaces) await fs.rmdir(plan.target); // empty (checked in plan); rmdir refuses otherwise
  }
  if (!plan.replaces) {
    // A target created meanwhile must not be clobbered: link()/rename semantics differ, so check again.
    if (
      await fs.lstat(plan.target).then(
        () => true,
        () => false,
      )
    ) {
      throw new ApiError(
        'TARGET_EXISTS',
        `${plan.target} appeared while exporting; nothing was replaced.`,
        { target: plan.target },
        'TargetExistsError',
      );
    }
    await fs.rename(temp, plan.target);
    return;
  }
  if (plan.format !== 'folder') {
    await fs.rename(temp, plan.target); // atomic replace of a file
    return;
  }
  const aside = path.join(
    path.dirname(plan.target),
    `.${path.basename(plan.target)}.dism-${process.pid}-${randomBytes(6).toString('hex')}.replaced`,
  );
  await fs.rename(plan.target, aside);
  try {
    await fs.rename(temp, plan.target);
  } catch (err) {
    await fs.rename(aside, plan.target);
    throw err;
  }
  await fs.rm(aside, { recursive: true, force: true });
}
