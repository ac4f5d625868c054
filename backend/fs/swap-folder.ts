import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';

/**
 * Put a finished folder (`ready`, a sibling of `target`) in place of `target`. An existing target is
 * moved aside first and removed only once the new one is in place (and put back if that fails), so
 * `target` is always the old folder or the new one, never a half-written one.
 */
export async function swapInFolder(ready: string, target: string): Promise<void> {
  const old = `${target}.old-${randomBytes(4).toString('hex')}`;
  const hadOld = await fs.rename(target, old).then(
    () => true,
    () => false,
  );
  try {
    await fs.rename(ready, target);
  } catch (err) {
    if (hadOld) await fs.rename(old, target).catch(() => undefined);
    throw err;
  }
  if (hadOld) await fs.rm(old, { recursive: true, force: true });
}
