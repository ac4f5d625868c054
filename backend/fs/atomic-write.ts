import { promises as fs } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { describeSystemError } from '@/shared/api/system-errors';

/**
 * The one way the back end writes a file the user may care about. Guarantees:
 * - readers see the old or the new content, never a torn file (temp file in the same folder,
 *   fsync, rename);
 * - an existing file keeps its permission bits (a 0600 file stays 0600) and, when we run as root,
 *   its owner;
 * - writing to a symbolic link updates the file it points to; the link stays a link;
 * - the previous version can be kept as `<file>.dism-studio.bak` (our own name: a `.bak` the user
 *   made is never touched);
 * - temp files are named `.<file>.dism-<pid>-<random>.tmp`; one left behind by a crashed process is
 *   removed the next time that file is written or opened (`removeStaleTemps`).
 */

/** Suffix of the previous version we keep. Distinct from a plain `.bak`, which may be the user's own. */
export const BACKUP_SUFFIX = '.dism-studio.bak';

function backupPathFor(file: string): string {
  return `${file}${BACKUP_SUFFIX}`;
}

export interface AtomicWriteOptions {
  /** Keep the current content as `<real file>.dism-studio.bak` before replacing it. */
  backup?: boolean;
  /** Permission bits for a new file (an existing file keeps its own). Default 0o666 minus the umask. */
  mode?: number;
}

/** Temp files this process is writing right now: never "stale", even though our pid is alive. */
const inFlight = new Set<string>();

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A temp file name next to `file`, recognised by removeStaleTemps; call releaseTemp when done with it. */
export function tempPathFor(file: string): string {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.dism-${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
  inFlight.add(tmp);
  return tmp;
}

export function releaseTemp(tmp: string): void {
  inFlight.delete(tmp);
}

/** Whether a process with this id runs (EPERM: it runs, as another user). */
export function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Remove temp files of `file` left by a process that no longer runs (a crash mid-write), and those
 * of earlier versions (`.<file>.<12 hex>.tmp`, which carried no pid). Never fails: cleaning is a
 * courtesy, not a precondition.
 */
export async function removeStaleTemps(file: string): Promise<string[]> {
  const dir = path.dirname(file);
  const base = escapeRe(path.basename(file));
  const ours = new RegExp(`^\\.${base}\\.dism-(\\d+)-[0-9a-f]{12}\\.tmp$`);
  const legacy = new RegExp(`^\\.${base}\\.[0-9a-f]{12}\\.tmp$`);
  const removed: string[] = [];
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const abs = path.join(dir, name);
    const m = ours.exec(name);
    const stale = m ? !inFlight.has(abs) && (Number(m[1]) !== process.pid ? !pidAlive(Number(m[1])) : true) : legacy.test(name);
    if (!stale) continue;
    const st = await fs.lstat(abs).catch(() => null);
    if (!st?.isFile()) continue;
    await fs.rm(abs, { force: true }).then(
      () => removed.push(abs),
      () => undefined,
    );
  }
  return removed;
}

/**
 * Where a write to `file` really lands: `file` itself, or the file a symbolic link (chain) points
 * to, even when that file does not exist yet.
 */
export async function resolveWriteTarget(file: string): Promise<string> {
  let current = path.resolve(file);
  for (let hops = 0; hops < 40; hops++) {
    const st = await fs.lstat(current).catch(() => null);
    if (!st?.isSymbolicLink()) return current;
    current = path.resolve(path.dirname(current), await fs.readlink(current));
  }
  throw Object.assign(new Error(`ELOOP: too many symbolic links, ${file}`), { code: 'ELOOP', syscall: 'open', path: file });
}

/** An operating-system error about a temp file, re-told in terms of the file the user named. */
function aboutTarget(err: unknown, tmp: string, file: string): unknown {
  const e = err as NodeJS.ErrnoException;
  if (!describeSystemError(err) || (e.path !== tmp && (e as { dest?: string }).dest !== tmp && e.path !== path.dirname(file))) return err;
  return Object.assign(new Error(`${e.code}: cannot write ${file}`), { code: e.code, syscall: 'write', path: file });
}

async function writeTemp(tmp: string, data: string | Uint8Array, mode: number, owner: { uid: number; gid: number } | null): Promise<void> {
  const handle = await fs.open(tmp, 'wx', mode);
  try {
    await handle.writeFile(data);
    // open() applied the umask; an existing file's exact bits are restored here.
    await handle.chmod(mode);
    if (owner) await handle.chown(owner.uid, owner.gid).catch(() => undefined);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function syncDir(dir: string): Promise<void> {
  const h = await fs.open(dir, 'r').catch(() => null);
  if (!h) return;
  await h.sync().catch(() => undefined);
  await h.close().catch(() => undefined);
}

/**
 * What every atomic write needs first: the real target (a link's target), its folder created, stale
 * temps of dead writers removed, and the mode and owner the new file keeps (an existing file's; a new
 * one gets `mode` less the umask).
 */
async function prepareTarget(file: string, newMode = 0o666) {
  const target = await resolveWriteTarget(file);
  const dir = path.dirname(target);
  await fs.mkdir(dir, { recursive: true });
  await removeStaleTemps(target);
  const current = await fs.stat(target).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
  const mode = current ? current.mode & 0o7777 : newMode & ~process.umask();
  // Only root can give a file away; doing so keeps a root-run save from stealing the user's file.
  const owner = current && process.getuid?.() === 0 && current.uid !== 0 ? { uid: current.uid, gid: current.gid } : null;
  return { target, dir, current, mode, owner };
}

/**
 * Write `data` to `file` atomically (see the module comment). Returns the file really written (the
 * link's target when `file` is a link) and the backup's path when one was made.
 */
export async function writeFileAtomic(
  file: string,
  data: string | Uint8Array,
  opts: AtomicWriteOptions = {},
): Promise<{ file: string; backupPath: string | null }> {
  const { target, dir, current, mode, owner } = await prepareTarget(file, opts.mode);
  let backupPath: string | null = null;
  const tmp = tempPathFor(target);
  try {
    await writeTemp(tmp, data, mode, owner);
    if (opts.backup && current?.isFile()) {
      backupPath = backupPathFor(target);
      await copyAtomic(target, backupPath, mode, owner);
    }
    await fs.rename(tmp, target);
    await syncDir(dir);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw aboutTarget(err, tmp, target);
  } finally {
    inFlight.delete(tmp);
  }
  return { file: target, backupPath };
}

/** A file being written as a stream (large outputs, e.g. the PDF report), with writeFileAtomic's guarantees. */
export interface AtomicStream {
  /** The file that will be written (a link's target when `file` is a link). */
  file: string;
  /** Write here; nothing is visible under `file` until commit(). */
  write(data: Uint8Array): Promise<void>;
  /** Sync and rename into place (an existing file keeps its permission bits). */
  commit(): Promise<void>;
  /** Remove what was written so far; `file` stays as it was. */
  abort(): Promise<void>;
}

/**
 * Write a file atomically as a stream: the bytes go to a temp file next to it, commit() syncs and
 * renames it into place, abort() removes it. write() waits while the disk is behind, so the caller
 * never holds more than one chunk.
 */
export async function openAtomicStream(file: string, opts: { mode?: number } = {}): Promise<AtomicStream> {
  const { target, dir, mode, owner } = await prepareTarget(file, opts.mode);
  const tmp = tempPathFor(target);
  let handle: Awaited<ReturnType<typeof fs.open>> | null;
  try {
    handle = await fs.open(tmp, 'wx', mode);
  } catch (err) {
    inFlight.delete(tmp);
    throw aboutTarget(err, tmp, target);
  }
  let done = false;
  const cleanup = async () => {
    await handle?.close().catch(() => undefined);
    handle = null;
    await fs.rm(tmp, { force: true });
    inFlight.delete(tmp);
  };
  return {
    file: target,
    async write(data) {
      try {
        let off = 0;
        while (off < data.length) off += (await handle!.write(data, off, data.length - off)).bytesWritten;
      } catch (err) {
        throw aboutTarget(err, tmp, target);
      }
    },
    async commit() {
      if (done) return;
      done = true;
      try {
        await handle!.chmod(mode);
        if (owner) await handle!.chown(owner.uid, owner.gid).catch(() => undefined);
        await handle!.sync();
        await handle!.close();
        handle = null;
        await fs.rename(tmp, target);
        await syncDir(dir);
        inFlight.delete(tmp);
      } catch (err) {
        await cleanup();
        throw aboutTarget(err, tmp, target);
      }
    },
    async abort() {
      if (done) return;
      done = true;
      await cleanup();
    },
  };
}

/** Copy `src` to `dest` through a temp file and rename: a link at `dest` is replaced, never written through. */
async function copyAtomic(src: string, dest: string, mode: number, owner: { uid: number; gid: number } | null): Promise<void> {
  await removeStaleTemps(dest);
  const tmp = tempPathFor(dest);
  try {
    await writeTemp(tmp, await fs.readFile(src), mode, owner);
    await fs.rename(tmp, dest);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw aboutTarget(err, tmp, dest);
  } finally {
    inFlight.delete(tmp);
  }
}

export async function readJsonFile<T>(file: string, fallback: T): Promise<T> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
    throw err;
  }
}
