import { promises as fs } from 'node:fs';
import path from 'node:path';

export interface FolderFile {
  rel: string;
  abs: string;
  size: number;
  mtimeMs: number;
  mode: number;
  /** Set for a symbolic link: its target, as written (links are listed, not followed). */
  link?: string;
}

/** Every file and symlink under a folder, sorted, POSIX-relative. */
export async function listFolder(root: string): Promise<FolderFile[]> {
  const out: FolderFile[] = [];
  const walk = async (dir: string, prefix: string) => {
    const entries = await fs.readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of entries) {
      const abs = path.join(dir, e.name);
      const rel = prefix ? `${prefix}/${e.name}` : e.name;
      const st = await fs.lstat(abs);
      if (st.isDirectory()) await walk(abs, rel);
      else if (st.isSymbolicLink())
        out.push({ rel, abs, size: 0, mtimeMs: Math.floor(st.mtimeMs), mode: st.mode, link: await fs.readlink(abs) });
      else if (st.isFile()) out.push({ rel, abs, size: st.size, mtimeMs: Math.floor(st.mtimeMs), mode: st.mode });
    }
  };
  await walk(root, '');
  return out;
}
