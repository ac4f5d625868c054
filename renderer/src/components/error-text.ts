/** Names that say nothing more than "an error" (the message says what is wrong). */
const GENERIC_NAMES = new Set(['Error', 'ApiError']);

/** An error's own name when it tells the reader something (NotFoundError, PortError, …), else null. */
export function errorName(err: unknown): string | null {
  const name = (err as { name?: unknown } | null)?.name;
  return typeof name === 'string' && name && !GENERIC_NAMES.has(name) ? name : null;
}

/** What went wrong in one line, as every step shows an error from the back end: "NotFoundError: Folder not found: /x". */
export function errorText(err: unknown): string {
  const e = err as { message?: unknown } | null;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  const name = errorName(err);
  return name ? `${name}: ${message}` : message;
}
