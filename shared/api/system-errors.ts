/**
 * Operating-system errors (Node's errno errors: ENOENT, EACCES, EISDIR, …) in plain words. The one
 * place that turns them into messages for people: the API's error envelope, job failures and the
 * CLI all go through here, and readers that embed a reason in their own message use
 * `systemErrorReason`. Pure: it only reads the error's code, path, dest and syscall.
 */

interface ErrnoLike {
  code?: unknown;
  path?: unknown;
  dest?: unknown;
  syscall?: unknown;
  message?: unknown;
}

/** What went wrong, as the end of a sentence ("…: it is a folder, not a file"). */
const REASONS: Record<string, string> = {
  ENOENT: 'it does not exist',
  EACCES: 'permission denied',
  EPERM: 'the operation is not permitted',
  EISDIR: 'it is a folder, not a file',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EEXIST: 'it already exists',
  ENOTEMPTY: 'the folder is not empty',
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is exceeded',
  EROFS: 'the file system is read-only',
  ELOOP: 'it is a loop of symbolic links',
  ENAMETOOLONG: 'the name is too long',
  EMFILE: 'too many files are open',
  ENFILE: 'too many files are open',
  EBUSY: 'it is in use by another program',
  ETXTBSY: 'it is in use by another program',
  EXDEV: 'it is on another file system',
  EIO: 'an input/output error occurred (disk or network file system problem)',
  EFBIG: 'the file is too large',
};

/** What to do about it, per code. */
const ADVICE: Record<string, string> = {
  ENOENT: 'Check the path.',
  EACCES: 'Check its permissions (ls -l) or choose another location.',
  EPERM: 'Check its permissions or choose another location.',
  EISDIR: 'Give a file, not a folder.',
  ENOTDIR: 'Check the path.',
  ENOSPC: 'Free some space and try again.',
  EDQUOT: 'Free some space and try again.',
  EROFS: 'Choose a location on a writable disk.',
  ELOOP: 'Fix or remove the link.',
  EMFILE: 'Close some programs and try again.',
  ENFILE: 'Close some programs and try again.',
  EBUSY: 'Close the program that uses it and try again.',
  ETXTBSY: 'Close the program that uses it and try again.',
};

/** The verb for what was being done, from the failing system call. */
const ACTIONS: Record<string, string> = {
  open: 'open',
  read: 'read',
  write: 'write',
  close: 'write',
  scandir: 'list the folder',
  opendir: 'list the folder',
  mkdir: 'create the folder',
  mkdtemp: 'create a temporary folder in',
  rmdir: 'remove the folder',
  rm: 'remove',
  unlink: 'delete',
  rename: 'move',
  copyfile: 'copy',
  cp: 'copy',
  stat: 'find',
  lstat: 'find',
  realpath: 'find',
  access: 'access',
  chmod: 'change the permissions of',
  chown: 'change the owner of',
  symlink: 'create the link',
  link: 'create the link',
  readlink: 'read the link',
  fsync: 'write',
  utime: 'set the time of',
  futime: 'set the time of',
};

function errnoCode(err: unknown): string | null {
  if (!err || typeof err !== 'object') return null;
  const code = (err as ErrnoLike).code;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) && code in REASONS ? code : null;
}

/** The reason alone ("permission denied"), for messages that already name the file. Falls back to the error's own message. */
export function systemErrorReason(err: unknown): string {
  const code = errnoCode(err);
  if (code) return REASONS[code];
  return err instanceof Error ? err.message : String(err);
}

/**
 * A whole sentence: "Cannot open /x/y: it is a folder, not a file. Give a file, not a folder."
 * null when err is not an operating-system error.
 */
export function describeSystemError(err: unknown): { code: string; message: string; path?: string } | null {
  const code = errnoCode(err);
  if (!code) return null;
  const e = err as ErrnoLike;
  const p = typeof e.path === 'string' ? e.path : undefined;
  const dest = typeof e.dest === 'string' ? e.dest : undefined;
  const syscall = typeof e.syscall === 'string' ? e.syscall : undefined;
  const action = (syscall && ACTIONS[syscall]) ?? 'use';
  const what = p
    ? `${p}${dest && syscall === 'rename' ? ` to ${dest}` : dest && (syscall === 'copyfile' || syscall === 'cp') ? ` to ${dest}` : ''}`
    : 'a file';
  const advice = ADVICE[code];
  return { code, message: `Cannot ${action} ${what}: ${REASONS[code]}.${advice ? ` ${advice}` : ''}`, ...(p ? { path: p } : {}) };
}
