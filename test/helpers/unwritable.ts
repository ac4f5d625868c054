import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * A folder nobody running the tests can create files in. A 0555 folder stops an ordinary user;
 * root ignores permission bits, so for root the sysfs root (/sys) is used, which refuses new files
 * for everyone on Linux.
 */
export async function unwritableDir(): Promise<string> {
  if (process.getuid?.() === 0) return '/sys';
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dism-readonly-'));
  await fs.chmod(dir, 0o555);
  return dir;
}
