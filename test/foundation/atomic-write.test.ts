import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeStaleTemps, writeFileAtomic } from '@/backend/fs/atomic-write';
import { unwritableDir } from '../helpers/unwritable';

let dir: string;
const mode = async (f: string) => (await fs.stat(f)).mode & 0o777;

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dism-atomic-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** A pid that cannot belong to a running process (above Linux's pid_max limit of 2^22). */
const DEAD_PID = 2 ** 22 + 17;

describe('writeFileAtomic', () => {
  it('keeps the permission bits of the file it replaces (0600 stays 0600, 0755 stays 0755)', async () => {
    const f = path.join(dir, 'secret.yaml');
    await fs.writeFile(f, 'old');
    await fs.chmod(f, 0o600);
    await writeFileAtomic(f, 'new');
    expect(await fs.readFile(f, 'utf8')).toBe('new');
    expect(await mode(f)).toBe(0o600);
    await fs.chmod(f, 0o755);
    await writeFileAtomic(f, 'newer');
    expect(await mode(f)).toBe(0o755);
  });

  it('a new file gets the requested mode', async () => {
    const f = path.join(dir, 'new.json');
    await writeFileAtomic(f, '{}', { mode: 0o600 });
    expect(await mode(f)).toBe(0o600);
  });

  it('writing to a link updates the file it points to and leaves the link a link', async () => {
    await fs.mkdir(path.join(dir, 'real'));
    const real = path.join(dir, 'real', 'template.yaml');
    await fs.writeFile(real, 'old');
    await fs.chmod(real, 0o640);
    const link = path.join(dir, 'template.yaml');
    await fs.symlink('real/template.yaml', link);
    const r = await writeFileAtomic(link, 'new', { backup: true });
    expect((await fs.lstat(link)).isSymbolicLink()).toBe(true);
    expect(await fs.readlink(link)).toBe('real/template.yaml');
    expect(await fs.readFile(real, 'utf8')).toBe('new');
    expect(await mode(real)).toBe(0o640);
    expect(r).toEqual({ file: real, backupPath: `${real}.dism-studio.bak` });
    expect(await fs.readFile(`${real}.dism-studio.bak`, 'utf8')).toBe('old');
  });

  it('a dangling link gets its target created', async () => {
    const link = path.join(dir, 'out.json');
    await fs.symlink('made-later.json', link);
    await writeFileAtomic(link, 'x');
    expect(await fs.readFile(path.join(dir, 'made-later.json'), 'utf8')).toBe('x');
    expect((await fs.lstat(link)).isSymbolicLink()).toBe(true);
  });

  it('never touches a .bak the user made; our backup has its own name and never writes through a link', async () => {
    const f = path.join(dir, 'template.yaml');
    await fs.writeFile(f, 'v1');
    await fs.writeFile(`${f}.bak`, "the user's own backup");
    await writeFileAtomic(f, 'v2', { backup: true });
    expect(await fs.readFile(`${f}.bak`, 'utf8')).toBe("the user's own backup");
    expect(await fs.readFile(`${f}.dism-studio.bak`, 'utf8')).toBe('v1');
    // Someone points our backup name at another file: the backup replaces the link, the file is untouched.
    const precious = path.join(dir, 'precious.txt');
    await fs.writeFile(precious, 'precious');
    await fs.rm(`${f}.dism-studio.bak`);
    await fs.symlink(precious, `${f}.dism-studio.bak`);
    await writeFileAtomic(f, 'v3', { backup: true });
    expect(await fs.readFile(precious, 'utf8')).toBe('precious');
    expect((await fs.lstat(`${f}.dism-studio.bak`)).isSymbolicLink()).toBe(false);
    expect(await fs.readFile(`${f}.dism-studio.bak`, 'utf8')).toBe('v2');
  });

  it('removes temp files a crashed writer left, keeps those of a live process', async () => {
    const f = path.join(dir, 'template.yaml');
    await fs.writeFile(f, 'v1');
    const crashed = path.join(dir, `.template.yaml.dism-${DEAD_PID}-0123456789ab.tmp`);
    const legacy = path.join(dir, '.template.yaml.0123456789ab.tmp');
    const live = path.join(dir, `.template.yaml.dism-${process.ppid}-0123456789ab.tmp`);
    const other = path.join(dir, `.other.yaml.dism-${DEAD_PID}-0123456789ab.tmp`);
    for (const t of [crashed, legacy, live, other]) await fs.writeFile(t, 'partial');
    await writeFileAtomic(f, 'v2');
    const left = (await fs.readdir(dir)).sort();
    expect(left).toEqual([path.basename(other), path.basename(live), 'template.yaml'].sort());
    expect(await removeStaleTemps(path.join(dir, 'other.yaml'))).toEqual([other]);
  });

  it('a failed write names the file asked for, not the temp file, and leaves nothing behind', async () => {
    const ro = await unwritableDir();
    const err = (await writeFileAtomic(path.join(ro, 'out.json'), 'x').catch((e: unknown) => e)) as NodeJS.ErrnoException;
    expect(err.path).toBe(path.join(ro, 'out.json'));
    expect(err.message).not.toMatch(/\.tmp/);
  });
});
