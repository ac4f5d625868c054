import { promises as fs } from 'node:fs';
import path from 'node:path';

export interface UnreadableEntry {
  path: string;
  mode: string;
  uid: number;
  gid: number;
  kind: 'file' | 'dir';
}

/**
 * Entries under `dir` that a process with `uid`/`gid` inside the container could not read (files)
 * or enter (folders), judged from the host's permission bits. The MLServer image runs as UID 1000,
 * group 0; a bind mount keeps the host's owners and modes.
 */
export async function unreadableBy(dir: string, uid = 1000, gid = 0, limit = 50): Promise<UnreadableEntry[]> {
  const out: UnreadableEntry[] = [];
  const check = async (p: string): Promise<void> => {
    if (out.length >= limit) return;
    const st = await fs.stat(p);
    const isDir = st.isDirectory();
    const [r, x] = st.uid === uid ? [0o400, 0o100] : st.gid === gid ? [0o040, 0o010] : [0o004, 0o001];
    const ok = (st.mode & r) !== 0 && (!isDir || (st.mode & x) !== 0);
    if (!ok)
      out.push({ path: p, mode: (st.mode & 0o777).toString(8).padStart(3, '0'), uid: st.uid, gid: st.gid, kind: isDir ? 'dir' : 'file' });
    if (isDir && ok) for (const e of await fs.readdir(p)) await check(path.join(p, e));
  };
  await check(dir);
  return out;
}

/** Make a build folder readable for everyone (what `chmod -R a+rX` does). */
export async function makeWorldReadable(dir: string): Promise<void> {
  const st = await fs.stat(dir);
  await fs.chmod(dir, (st.mode & 0o7777) | (st.isDirectory() ? 0o555 : st.mode & 0o111 ? 0o555 : 0o444));
  if (st.isDirectory()) for (const e of await fs.readdir(dir)) await makeWorldReadable(path.join(dir, e));
}
