/**
 * TEST STAND-IN: DIALS's cursor pagination, reproduced from its source (cms-DQM/dials v1.12.0,
 * backend/utils/pagination.py: Django REST framework 3.15 CursorPagination with query parameter
 * `next_token`, `page_size` (default 10, max 500) and a multi-field position), so that `next` and
 * `previous` look and behave exactly as the real API's: absolute URLs whose other query parameters are
 * sorted and re-encoded the Python way, `next_token` = base64 of `p=<json list of strings>`
 * (+ `o=<offset>`, `r=1` for reverse cursors).
 */

export class InvalidCursor extends Error {}

export interface Cursor {
  offset: number;
  reverse: boolean;
  /** JSON text of a list of strings (DIALS writes json.dumps([...str(field)])), or null. */
  position: string | null;
}

/** Python's urllib.parse.quote_plus (safe: letters, digits, `_.-~`; space → `+`). */
export function quotePlus(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const ch = String.fromCharCode(byte);
    if (/[A-Za-z0-9_.\-~]/.test(ch)) out += ch;
    else if (byte === 0x20) out += '+';
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Python's urllib.parse.parse_qs(query, keep_blank_values=True), as [key, value] pairs in order. */
export function parseQs(query: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const part of query.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const [k, v] = eq < 0 ? [part, ''] : [part.slice(0, eq), part.slice(eq + 1)];
    const dec = (x: string) => {
      try {
        return decodeURIComponent(x.replace(/\+/g, ' '));
      } catch {
        return x;
      }
    };
    pairs.push([dec(k), dec(v)]);
  }
  return pairs;
}

/** DRF's replace_query_param: set `key`, keep the other parameters, sort by key, urlencode(doseq=True). */
export function replaceQueryParam(absoluteUrl: string, key: string, value: string): string {
  const q = absoluteUrl.indexOf('?');
  const base = q < 0 ? absoluteUrl : absoluteUrl.slice(0, q);
  const byKey = new Map<string, string[]>();
  for (const [k, v] of parseQs(q < 0 ? '' : absoluteUrl.slice(q + 1))) byKey.set(k, [...(byKey.get(k) ?? []), v]);
  byKey.set(key, [value]);
  const keys = [...byKey.keys()].sort();
  const query = keys.flatMap((k) => byKey.get(k)!.map((v) => `${quotePlus(k)}=${quotePlus(v)}`)).join('&');
  return `${base}?${query}`;
}

/** json.dumps(list_of_str) with Python's default separators. */
export function pythonJsonList(values: Array<string | number>): string {
  return `[${values.map((v) => JSON.stringify(String(v))).join(', ')}]`;
}

export function encodeCursor(c: Cursor): string {
  const tokens: string[] = [];
  if (c.offset !== 0) tokens.push(`o=${quotePlus(String(c.offset))}`);
  if (c.reverse) tokens.push('r=1');
  if (c.position !== null) tokens.push(`p=${quotePlus(c.position)}`);
  return Buffer.from(tokens.join('&'), 'ascii').toString('base64');
}

/** DRF decode_cursor: anything undecodable is "Invalid cursor" (404); offsets are capped at 1000. */
export function decodeCursor(encoded: string): Cursor {
  const ascii = (x: string) => [...x].every((c) => c.charCodeAt(0) < 0x80);
  if (!ascii(encoded)) throw new InvalidCursor();
  // Python's b64decode (non-strict) drops characters outside the alphabet, then insists on padding.
  const clean = encoded.replace(/[^A-Za-z0-9+/=]/g, '');
  if (clean.length % 4 !== 0 || /=[^=]/.test(clean)) throw new InvalidCursor();
  const text = Buffer.from(clean, 'base64').toString('latin1');
  if (!ascii(text)) throw new InvalidCursor();
  const tokens = new Map<string, string>();
  for (const [k, v] of parseQs(text)) if (!tokens.has(k)) tokens.set(k, v);
  const o = tokens.get('o') ?? '0';
  const r = tokens.get('r') ?? '0';
  if (!/^\s*[+-]?\d+\s*$/.test(o) || !/^\s*[+-]?\d+\s*$/.test(r)) throw new InvalidCursor();
  const offset = Number.parseInt(o, 10);
  if (offset < 0) throw new InvalidCursor();
  return { offset: Math.min(offset, 1000), reverse: Number.parseInt(r, 10) !== 0, position: tokens.get('p') ?? null };
}

/** A row of an ordered table: `key` holds the values of the ordering fields. */
export interface KeyedRow {
  key: number[];
}

/** Thrown for a position that DIALS's database query would choke on (not JSON, not numbers): a 500. */
export class BadPosition extends Error {}

/** The position filter of DIALS's paginator: json.loads(position), one number per ordering field (prefix allowed). */
export function parsePosition(position: string): number[] {
  let list: unknown;
  try {
    list = JSON.parse(position);
  } catch {
    throw new BadPosition(`position ${position} is not JSON`);
  }
  if (!Array.isArray(list)) throw new BadPosition(`position ${position} is not a list`);
  return list.map((v) => {
    const n = typeof v === 'number' ? v : Number(String(v).trim());
    if (typeof v === 'boolean' || v === null || String(v).trim() === '' || !Number.isFinite(n))
      throw new BadPosition(`position value ${JSON.stringify(v)} is not a number`);
    return n;
  });
}

export interface PageOf<R extends KeyedRow> {
  page: R[];
  next: string | null;
  previous: string | null;
}

/**
 * One page, exactly as DIALS's DynamicMultiOrderingCursorPagination computes it. `rows(position,
 * reverse)` must yield rows strictly after `position` in the table's order (strictly before, in
 * reverse order, when `reverse`), every row when `position` is null; comparing only the first
 * `position.length` key fields. `baseUrl` is the request's absolute URL.
 */
export function paginate<R extends KeyedRow>(
  rows: (position: number[] | null, reverse: boolean) => Iterable<R>,
  cursor: Cursor | null,
  pageSize: number,
  baseUrl: string,
): PageOf<R> {
  const { offset, reverse, position: currentPosition } = cursor ?? { offset: 0, reverse: false, position: null };
  const positionOf = (r: R) => pythonJsonList(r.key);
  const results: R[] = [];
  let skipped = 0;
  for (const r of rows(currentPosition === null ? null : parsePosition(currentPosition), reverse)) {
    if (skipped < offset) {
      skipped++;
      continue;
    }
    results.push(r);
    if (results.length > pageSize) break;
  }
  let page = results.slice(0, pageSize);
  const hasFollowing = results.length > page.length;
  const followingPosition = hasFollowing ? positionOf(results[results.length - 1]) : null;
  if (reverse) page = page.reverse();
  let hasNext: boolean, hasPrevious: boolean;
  let nextPosition: string | null = null;
  let previousPosition: string | null = null;
  if (reverse) {
    hasNext = currentPosition !== null || offset > 0;
    hasPrevious = hasFollowing;
    if (hasNext) nextPosition = currentPosition;
    if (hasPrevious) previousPosition = followingPosition;
  } else {
    hasNext = hasFollowing;
    hasPrevious = currentPosition !== null || offset > 0;
    if (hasNext) nextPosition = followingPosition;
    if (hasPrevious) previousPosition = currentPosition;
  }
  const link = (c: Cursor) => replaceQueryParam(baseUrl, 'next_token', encodeCursor(c));

  let next: string | null = null;
  if (hasNext) {
    let compare = cursor && cursor.reverse && cursor.offset !== 0 ? positionOf(page[page.length - 1]) : nextPosition;
    let off = 0;
    let pos: string | null = null;
    let unique = false;
    for (let i = page.length - 1; i >= 0; i--) {
      pos = positionOf(page[i]);
      if (pos !== compare) {
        unique = true;
        break;
      }
      compare = pos;
      off++;
    }
    if (!unique) {
      if (!hasPrevious) [off, pos] = [pageSize, null];
      else if (cursor!.reverse) [off, pos] = [0, previousPosition];
      else [off, pos] = [cursor!.offset + pageSize, previousPosition];
    }
    next = link({ offset: off, reverse: false, position: pos });
  }

  let previous: string | null = null;
  if (hasPrevious) {
    let compare = cursor && !cursor.reverse && cursor.offset !== 0 ? positionOf(page[0]) : previousPosition;
    let off = 0;
    let pos: string | null = null;
    let unique = false;
    for (const r of page) {
      pos = positionOf(r);
      if (pos !== compare) {
        unique = true;
        break;
      }
      compare = pos;
      off++;
    }
    if (!unique) {
      if (!hasNext) [off, pos] = [pageSize, null];
      else if (cursor!.reverse) [off, pos] = [cursor!.offset + pageSize, nextPosition];
      else [off, pos] = [0, nextPosition];
    }
    previous = link({ offset: off, reverse: true, position: pos });
  }
  return { page, next, previous };
}

/** Compare a key with a position over the position's length (lexicographic, numeric). */
export function comparePrefix(key: number[], position: number[]): number {
  const n = Math.min(key.length, position.length);
  for (let i = 0; i < n; i++) if (key[i] !== position[i]) return key[i] < position[i] ? -1 : 1;
  return 0;
}

/**
 * Walk a key space given as nested sorted levels (level i lists the values of key field i under a
 * prefix), from just after (or, reversed, just before) a position. Cheap seeking: subtrees before the
 * position are skipped without being listed below their first level.
 */
export function* walkLevels(
  levels: Array<(prefix: number[]) => number[]>,
  fullPosition: number[] | null,
  reverse: boolean,
): Generator<number[]> {
  // DIALS zips the ordering with the position: extra position values are ignored.
  const position = fullPosition ? fullPosition.slice(0, levels.length) : null;
  function* rec(i: number, prefix: number[], bound: boolean): Generator<number[]> {
    if (bound && position && i >= position.length) return; // equal to the position on all its fields: not after it
    if (i === levels.length) {
      yield prefix;
      return;
    }
    const values = levels[i](prefix);
    const n = values.length;
    for (let j = 0; j < n; j++) {
      const v = values[reverse ? n - 1 - j : j];
      let stillBound = false;
      if (bound && position && i < position.length) {
        if (reverse ? v > position[i] : v < position[i]) continue;
        stillBound = v === position[i];
      }
      yield* rec(i + 1, [...prefix, v], stillBound);
    }
  }
  yield* rec(0, [], position !== null);
}

/** The same walk over a sorted array of rows. */
export function* walkSorted<R extends KeyedRow>(sorted: R[], position: number[] | null, reverse: boolean): Generator<R> {
  const n = sorted.length;
  for (let j = 0; j < n; j++) {
    const r = sorted[reverse ? n - 1 - j : j];
    if (position && (reverse ? comparePrefix(r.key, position) >= 0 : comparePrefix(r.key, position) <= 0)) continue;
    yield r;
  }
}
