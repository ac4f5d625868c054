/**
 * Copying a project folder to a new place, e.g. off /eos (which container engines cannot mount)
 * to /afs or a local disk: the one-click fix of the project location check
 * (backend/engine/project-location.ts).
 *
 * The copy is made in a hidden folder next to the destination and renamed into place only when
 * complete, so a failed or cancelled copy leaves nothing half-made. The destination must not exist
 * (or be an empty folder), and may not be inside the project or contain it. Build outputs
 * (.dism-artifacts folders) are left out: a build makes them again. Files keep their modes and
 * times; symbolic links are copied as links.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ProjectCopyResult } from '@/shared/api/contract';
import { ApiError } from '@/shared/api/errors';
import { isInside, realPathAllowMissing } from '../fs/paths';
import { ARTIFACTS_DIR } from './project-folder';

export interface CopyProjectOptions {
  signal?: AbortSignal;
  onProgress?: (fraction: number, message: string) => void;
}

interface Entry {
  rel: string;
  kind: 'dir' | 'file' | 'link';
  size: number;
  mode: number;
  atime: Date;
  mtime: Date;
}

async function listProject(root: string, skipped: string[]): Promise<Entry[]> {
  const out: Entry[] = [];
  const walk = async (rel: string) => {
    const entries = await fs.readdir(path.join(root, rel), { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of entries) {
      const r = rel ? path.join(rel, e.name) : e.name;
      const st = await fs.lstat(path.join(root, r));
      if (st.isDirectory()) {
        if (e.name === ARTIFACTS_DIR) {
          skipped.push(r.split(path.sep).join('/'));
          continue;
        }
        out.push({ rel: r, kind: 'dir', size: 0, mode: st.mode & 0o7777, atime: st.atime, mtime: st.mtime });
        await walk(r);
      } else if (st.isSymbolicLink()) out.push({ rel: r, kind: 'link', size: 0, mode: 0, atime: st.atime, mtime: st.mtime });
      else if (st.isFile()) out.push({ rel: r, kind: 'file', size: st.size, mode: st.mode & 0o7777, atime: st.atime, mtime: st.mtime });
    }
  };
  await walk('');
  return out;
}

/** Why `to` cannot receive a copy of `from` (null when it can). */
async function refusal(from: string, to: string): Promise<string | null> {
  if (isInside(from, to)) return `${to} is inside the project folder ${from}; choose a folder outside it.`;
  if (isInside(to, from)) return `${to} contains the project folder ${from}; choose a new folder for the copy.`;
  const st = await fs.lstat(to).catch(() => null);
  if (st && !st.isDirectory()) return `${to} already exists (a file); choose a new folder for the copy.`;
  if (st && (await fs.readdir(to)).length) return `${to} already exists and is not empty; choose a new folder for the copy.`;
  return null;
}

export async function copyProject(projectDir: string, toIn: string, opts: CopyProjectOptions = {}): Promise<ProjectCopyResult> {
  const from = await fs.realpath(path.resolve(projectDir));
  const to = await realPathAllowMissing(path.resolve(toIn));
  const why = await refusal(from, to);
  if (why) throw new ApiError('TARGET_EXISTS', why, { from, to }, 'TargetExistsError');
  await fs.mkdir(path.dirname(to), { recursive: true });
  const skipped: string[] = [];
  const entries = await listProject(from, skipped);
  const total = entries.reduce((a, e) => a + e.size, 0) || 1;
  const count = entries.filter((e) => e.kind === 'file').length;
  const staging = path.join(path.dirname(to), `.${path.basename(to)}.dism-copy-${process.pid}-${randomBytes(4).toString('hex')}`);
  await fs.mkdir(staging, { mode: 0o700 });
  let bytes = 0;
  let files = 0;
  try {
    for (const e of entries) {
      opts.signal?.throwIfAborted();
      const src = path.join(from, e.rel);
      const dst = path.join(staging, e.rel);
      if (e.kind === 'dir') await fs.mkdir(dst);
      else if (e.kind === 'link') await fs.symlink(await fs.readlink(src), dst);
      else {
        await fs.copyFile(src, dst);
        await fs.chmod(dst, e.mode);
        await fs.utimes(dst, e.atime, e.mtime);
        bytes += e.size;
        files++;
        opts.onProgress?.(
          bytes / total,
          `Copied ${files} of ${count} files (${(bytes / 1e6).toFixed(1)} of ${(total / 1e6).toFixed(1)} MB)`,
        );
      }
    }
    // Folders last: their modes may forbid writing into them, and writing changes their times.
    for (const e of [...entries].reverse()) {
      if (e.kind !== 'dir') continue;
      await fs.chmod(path.join(staging, e.rel), e.mode);
      await fs.utimes(path.join(staging, e.rel), e.atime, e.mtime);
    }
    const rootStat = await fs.stat(from);
    await fs.chmod(staging, rootStat.mode & 0o7777);
    opts.signal?.throwIfAborted();
    // An empty destination folder is replaced (it was checked empty; rmdir fails if that changed).
    await fs.rmdir(to).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    await fs.rename(staging, to);
  } catch (err) {
    await fs.rm(staging, { recursive: true, force: true }).catch(() => undefined);
    throw err;
  }
  return { from, to, files, bytes, skipped };
}
