import path from 'node:path';
import { ApiError } from '@/shared/api/errors';

/**
 * Normalise an entry name of an export to a POSIX relative path and refuse anything that could land
 * outside the export root: absolute paths, drive letters, `..` segments, backslashes, NUL.
 */
export function safeEntryName(name: string): string {
  const bad = (why: string) => new ApiError('UNSAFE_PATH', `Refusing the export entry "${name}": ${why}.`, { name }, 'UnsafePathError');
  if (name.length === 0) throw bad('empty name');
  if (name.includes('\0')) throw bad('it contains a NUL character');
  if (name.includes('\\')) throw bad('it contains a backslash');
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) throw bad('it is an absolute path');
  const segments = name.split('/');
  if (segments.some((s) => s === '..')) throw bad('it climbs out of the export folder with ".."');
  const clean = segments.filter((s) => s !== '' && s !== '.');
  if (clean.length === 0) throw bad('it names the export folder itself');
  return clean.join('/');
}

/** Join an entry name under root, and check (after resolution) that the result is still inside root. */
export function safeJoin(root: string, name: string): string {
  const rel = safeEntryName(name);
  const absRoot = path.resolve(root);
  const dest = path.resolve(absRoot, ...rel.split('/'));
  const back = path.relative(absRoot, dest);
  if (back === '' || back.startsWith('..') || path.isAbsolute(back)) {
    throw new ApiError('UNSAFE_PATH', `Refusing the export entry "${name}": it resolves outside ${absRoot}.`, { name }, 'UnsafePathError');
  }
  return dest;
}

export { isInside } from '../fs/paths';
