/**
 * Schema problems (zod issues) in plain words, the one way DISM Studio words them: for an API call
 * the UI got wrong, a preset.json with a wrong value, a job answer of the wrong shape. zod's own
 * texts ("Invalid input: expected number, received string", "Too big: expected number to be
 * <=65535") are for programmers; these say what the value must be.
 */
export interface IssueLike {
  code?: string;
  path: ReadonlyArray<PropertyKey>;
  message: string;
  expected?: unknown;
  maximum?: unknown;
  minimum?: unknown;
  inclusive?: boolean;
  origin?: string;
  format?: string;
  divisor?: unknown;
  keys?: readonly string[];
  values?: readonly unknown[];
}

const TYPE_WORDS: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'an object ({…})',
  array: 'a list ([…])',
  null: 'null',
  undefined: 'absent',
};

/** `thresholds[0].lossThreshold` */
export function issuePath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const s of path) out += typeof s === 'number' ? `[${s}]` : out ? `.${String(s)}` : String(s);
  return out;
}

function quantity(origin: string | undefined, n: unknown): string {
  if (origin === 'string') return `${String(n)} character${n === 1 ? '' : 's'}`;
  if (origin === 'array' || origin === 'set') return `${String(n)} entr${n === 1 ? 'y' : 'ies'}`;
  return String(n);
}

/** zod's own (English) messages start like this; a schema's author-written message does not and is kept. */
const ZOD_DEFAULT = /^(Invalid |Too big|Too small|Unrecognized key)/;

/** What is wrong with one value, e.g. "must be at most 65535". */
export function issueWords(i: IssueLike): string {
  if (!ZOD_DEFAULT.test(i.message)) return i.message;
  switch (i.code) {
    case 'invalid_type': {
      const want = TYPE_WORDS[String(i.expected)] ?? String(i.expected);
      return /received undefined/.test(i.message) ? `is missing (it must be ${want})` : `must be ${want}`;
    }
    case 'too_big':
      if (i.origin === 'string' || i.origin === 'array' || i.origin === 'set') return `must have at most ${quantity(i.origin, i.maximum)}`;
      return i.inclusive === false ? `must be less than ${String(i.maximum)}` : `must be at most ${String(i.maximum)}`;
    case 'too_small':
      if (i.origin === 'string') return i.minimum === 1 ? 'must not be empty' : `must have at least ${quantity(i.origin, i.minimum)}`;
      if (i.origin === 'array' || i.origin === 'set')
        return i.minimum === 1 ? 'must have at least one entry' : `must have at least ${quantity(i.origin, i.minimum)}`;
      return i.inclusive === false ? `must be more than ${String(i.minimum)}` : `must be at least ${String(i.minimum)}`;
    case 'invalid_format':
      return `must be a valid ${i.format ?? 'value'}`;
    case 'not_multiple_of':
      return `must be a multiple of ${String(i.divisor)}`;
    case 'unrecognized_keys':
      return `has ${i.keys && i.keys.length > 1 ? 'keys' : 'a key'} DISM Studio does not know: ${(i.keys ?? []).join(', ')} (check the spelling)`;
    case 'invalid_value': {
      const vs = (i.values ?? []).map((v) => JSON.stringify(v));
      return vs.length > 1 ? `must be one of ${vs.join(', ')}` : `must be ${vs[0] ?? 'another value'}`;
    }
    case 'invalid_union':
      return 'has a form that is not accepted here';
    default:
      return i.message;
  }
}

/** One issue with where it is: "port: must be at most 65535". */
export function issueText(i: IssueLike): string {
  const where = issuePath(i.path);
  const words = issueWords(i);
  if (!where) return words;
  // A schema's own message is a sentence of its own: after a colon.
  return words === i.message ? `${where}: ${words}` : `${where} ${words}`;
}

/** Several issues, the first `max` of them. */
export function issuesText(issues: ReadonlyArray<IssueLike>, max = 8): string {
  const shown = issues.slice(0, max).map(issueText);
  const more = issues.length - shown.length;
  return `${shown.join('; ')}${more > 0 ? `; and ${more} more` : ''}`;
}
