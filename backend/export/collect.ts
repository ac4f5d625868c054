import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ArtifactPart } from '@/shared/api/contract/export';
import { ApiError } from '@/shared/api/errors';
import { ARTIFACTS_DIR } from '../projects/project-folder';
import { isInside, safeEntryName } from './safe-path';

export interface SourceFile {
  /** POSIX name inside the export, e.g. "build/PixelNMF/app.py". */
  name: string;
  abs: string;
  size: number;
  executable: boolean;
}

export function artifactsRoot(projectDir: string): string {
  return path.join(path.resolve(projectDir), ARTIFACTS_DIR);
}

async function isDirectory(p: string): Promise<boolean> {
  return fs.stat(p).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

export async function existingParts(projectDir: string): Promise<ArtifactPart[]> {
  const root = artifactsRoot(projectDir);
  const parts: ArtifactPart[] = [];
  for (const part of ['build', 'package'] as const) if (await isDirectory(path.join(root, part))) parts.push(part);
  return parts;
}

/**
 * Every regular file under .dism-artifacts/<part>/, sorted. A symlink is followed only when its
 * target stays inside that part (dismcli copies CodeUri as is); one pointing elsewhere is an error
 * rather than a silent copy of an unrelated file.
 */
export async function collectPart(projectDir: string, part: ArtifactPart): Promise<SourceFile[]> {
  const partRoot = path.join(artifactsRoot(projectDir), part);
  if (!(await isDirectory(partRoot))) {
    throw new ApiError(
      'NOT_FOUND',
      `No ${ARTIFACTS_DIR}/${part} in ${path.resolve(projectDir)}: run ${part === 'build' ? 'a build' : '`dismcli package`'} first.`,
      { part },
      'NotFoundError',
    );
  }
  const realRoot = await fs.realpath(partRoot);
  const out: SourceFile[] = [];
  const seenDirs = new Set<string>();
  const walk = async (dir: string, prefix: string): Promise<void> => {
    const real = await fs.realpath(dir);
    if (seenDirs.has(real))
      throw new ApiError(
        'UNSAFE_PATH',
        `${dir} links back to a folder already exported (a loop); remove that link.`,
        { dir },
        'UnsafePathError',
      );
    seenDirs.add(real);
    const entries = await fs.readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const abs = path.join(dir, e.name);
      const name = safeEntryName(`${prefix}/${e.name}`);
      let st = await fs.lstat(abs);
      if (st.isSymbolicLink()) {
        const target = await fs.realpath(abs).catch(() => null);
        if (!target || !isInside(realRoot, target)) {
          throw new ApiError(
            'UNSAFE_PATH',
            `${abs} is a link to ${target ?? 'a missing file'}, outside ${partRoot}; replace it with the file itself before exporting.`,
            { file: abs },
            'UnsafePathError',
          );
        }
        st = await fs.stat(abs);
      }
      if (st.isDirectory()) await walk(abs, name);
      else if (st.isFile()) out.push({ name, abs, size: st.size, executable: (st.mode & 0o111) !== 0 });
    }
  };
  await walk(partRoot, part);
  return out;
}
