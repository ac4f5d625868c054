import { promises as fs } from 'node:fs';
import path from 'node:path';

/** True when child is root itself or inside it (lexically; see realPathAllowMissing for links). */
export function isInside(root: string, child: string): boolean {
  const back = path.relative(path.resolve(root), path.resolve(child));
  return back === '' || (back !== '..' && !back.startsWith(`..${path.sep}`) && !path.isAbsolute(back));
}

/**
 * The real path of p with every symbolic link resolved, also when p (or its last parts) does not
 * exist yet: the nearest existing ancestor is resolved and the rest appended. This is where a write
 * to p would really land, so "inside the project" checks use it.
 */
export async function realPathAllowMissing(p: string): Promise<string> {
  const abs = path.resolve(p);
  const rest: string[] = [];
  let cur = abs;
  for (;;) {
    try {
      const real = await fs.realpath(cur);
      return rest.length ? path.join(real, ...rest.reverse()) : real;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
      const parent = path.dirname(cur);
      if (parent === cur) return abs;
      rest.push(path.basename(cur));
      cur = parent;
    }
  }
}
