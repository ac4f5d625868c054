/**
 * The process serving a local unix socket (Linux), found through /proc: the socket's inode in
 * /proc/net/unix, then the process holding an fd on `socket:[inode]`. Used to read the resource
 * limits of a local Podman service: the containers it starts inherit *its* hard limits (Podman
 * lowers its own, e.g. nproc to 32768), so a container may not ask for more than those.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parseHardLimits } from './engine-client';

/** The inode of a listening unix socket at `socketPath`, from /proc/net/unix text. */
export function listeningSocketInode(procNetUnix: string, socketPath: string): number | undefined {
  for (const line of procNetUnix.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    // Num RefCount Protocol Flags Type St Inode Path; St 01 = listening (SS_UNCONNECTED with __SO_ACCEPTCON flag 00010000)
    if (f.length >= 8 && f.slice(7).join(' ') === socketPath && (parseInt(f[3], 16) & 0x10000) !== 0) return Number(f[6]);
  }
  return undefined;
}

/** PIDs (readable to us) holding an fd on the socket with this inode, with their command names. */
async function holders(inode: number): Promise<Array<{ pid: number; comm: string }>> {
  const want = `socket:[${inode}]`;
  const out: Array<{ pid: number; comm: string }> = [];
  for (const name of await fs.readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(name)) continue;
    const fds = await fs.readdir(path.join('/proc', name, 'fd')).catch(() => [] as string[]);
    for (const fd of fds) {
      if ((await fs.readlink(path.join('/proc', name, 'fd', fd)).catch(() => '')) !== want) continue;
      out.push({ pid: Number(name), comm: (await fs.readFile(path.join('/proc', name, 'comm'), 'utf8').catch(() => '')).trim() });
      break;
    }
  }
  return out;
}

/**
 * The hard nofile/nproc limits of the Podman process serving `socketPath`, or undefined when it
 * cannot be found (another user's process, not Linux). With socket activation systemd holds the
 * socket too; the podman process is preferred.
 */
export async function serviceLimits(socketPath: string): Promise<{ nofile?: number; nproc?: number } | undefined> {
  const table = await fs.readFile('/proc/net/unix', 'utf8').catch(() => '');
  const inode = listeningSocketInode(table, socketPath);
  if (inode === undefined) return undefined;
  const key = `${socketPath}:${inode}`;
  if (known.has(key)) return known.get(key);
  const found = await holders(inode);
  const pick = found.find((h) => h.comm === 'podman') ?? found.find((h) => h.comm !== 'systemd');
  const limits = pick ? await fs.readFile(`/proc/${pick.pid}/limits`, 'utf8').catch(() => '') : '';
  const result = limits ? parseHardLimits(limits) : undefined;
  // Discovery re-checks every 15 s; the same service (same socket inode) keeps its limits.
  if (result && pick?.comm === 'podman') known.set(key, result);
  return result;
}

const known = new Map<string, { nofile?: number; nproc?: number }>();
