import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Document, visit } from 'yaml';
import { parseTemplate } from './document';
import { deleteAt, insertItem, moveItem, setValue } from './edit';
import type { PathSegment } from './problems';

/**
 * Property-based round-trip: random templates rendered with random quoting, comments and blank
 * lines; random form edits must (1) produce exactly the intended data and (2) keep every comment
 * outside the edited node.
 */
type Value = string | number | boolean | null | Value[] | { [k: string]: Value };

const KEYS = ['Name', 'Value', 'Dims', 'DataType', 'a', 'b', 'MinRunNumber', 'x y', 'Type'];
const RISKY = [
  'yes',
  'no',
  'True',
  '12',
  '3.5',
  '2025-03-31',
  'a: b',
  'x # y',
  '- z',
  '',
  'TYPE_FP32',
  "O'Neil",
  'say "hi"',
  'null',
  '~',
  '@at',
  '*star',
  '[x]',
  '{y}',
  'HLT_ZeroBias_v\\d+',
];

const scalarArb: fc.Arbitrary<Value> = fc.oneof(
  fc.constantFrom(...RISKY),
  fc.string({ maxLength: 10, unit: fc.constantFrom(...'abcXYZ019 -_.:#\'"/\\[]{},!&*?|>%@`'.split('')) }),
  fc.integer({ min: -100000, max: 100000 }),
  fc.constantFrom(0.5, 3.5, -1.25, 6500.75),
  fc.boolean(),
  fc.constant(null),
);

const { tree } = fc.letrec<{ tree: Value; node: Value }>((tie) => ({
  tree: fc.dictionary(fc.constantFrom(...KEYS), tie('node'), { minKeys: 1, maxKeys: 4 }) as fc.Arbitrary<Value>,
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalarArb,
    fc.array(tie('node'), { minLength: 1, maxLength: 3 }),
    fc.dictionary(fc.constantFrom(...KEYS), tie('node'), { minKeys: 1, maxKeys: 3 }),
  ) as fc.Arbitrary<Value>,
}));

/** Render with random string styles, comment lines and blank lines. */
function render(value: Value, seed: number[]): string {
  const doc = new Document(value, { version: '1.1' });
  let i = 0;
  visit(doc, {
    Scalar(_, node) {
      if (typeof node.value === 'string' && !node.value.includes('\n')) {
        const r = seed[i++ % seed.length] % 3;
        node.type = r === 0 ? 'QUOTE_DOUBLE' : r === 1 ? 'QUOTE_SINGLE' : undefined;
      }
    },
  });
  const lines = doc.toString({ lineWidth: 0 }).replace(/\n$/, '').split('\n');
  const out: string[] = [];
  lines.forEach((line, n) => {
    const r = seed[(n + 7) % seed.length];
    const indent = /^ */.exec(line)![0];
    if (r % 4 === 0) out.push(`${indent}# c${n}`);
    if (r % 7 === 0 && n > 0) out.push('');
    out.push(line);
  });
  const text = `${out.join('\n')}\n`;
  // Some documents use Windows line endings: edits must keep them.
  return seed[0] % 3 === 0 ? text.replace(/\n/g, '\r\n') : text;
}

const keepsLineEndings = (before: string, after: string) => {
  if (before.includes('\r\n')) expect(/[^\r]\n|^\n/.test(after)).toBe(false);
};

interface Location {
  path: PathSegment[];
  value: Value;
}

function locations(v: Value, path: PathSegment[] = []): Location[] {
  const here = { path, value: v };
  if (Array.isArray(v)) return [here, ...v.flatMap((x, i) => locations(x, [...path, i]))];
  if (v && typeof v === 'object') return [here, ...Object.entries(v).flatMap(([k, x]) => locations(x, [...path, k]))];
  return [here];
}

function setIn(v: Value, path: PathSegment[], next: Value | undefined): Value {
  if (path.length === 0) return next as Value;
  const [h, ...t] = path;
  if (Array.isArray(v)) {
    const c = [...v];
    if (next === undefined && t.length === 0) c.splice(h as number, 1);
    else c[h as number] = setIn(c[h as number], t, next);
    return c;
  }
  const o = { ...(v as Record<string, Value>) };
  if (next === undefined && t.length === 0) delete o[h as string];
  else o[h as string] = setIn(o[h as string], t, next);
  return o;
}

const commentLines = (t: string) =>
  t
    .split(/\r?\n/)
    .filter((l) => /^\s*# c\d+$/.test(l))
    .map((l) => l.trim());
const dataOf = (t: string) => {
  const p = parseTemplate(t);
  expect(p.doc.errors.map((e) => e.message)).toEqual([]);
  return JSON.parse(JSON.stringify(p.doc.toJS()));
};
const plain = (v: Value) => JSON.parse(JSON.stringify(v));

describe('lossless round-trip (fast-check)', () => {
  it('rendered documents parse to their data, and re-setting unchanged values keeps every byte', () => {
    fc.assert(
      fc.property(tree, fc.array(fc.nat(100), { minLength: 3, maxLength: 12 }), (value, seed) => {
        const text = render(value, seed);
        expect(dataOf(text)).toEqual(plain(value));
        // Re-setting every leaf to its own value must not change a byte (no re-quoting, no reflow).
        let same = text;
        for (const l of locations(value)) {
          if (l.path.length > 0 && (l.value === null || typeof l.value !== 'object')) same = setValue(same, l.path, l.value).text;
        }
        expect(same).toBe(text);
      }),
      { numRuns: 200 },
    );
  });

  it('setting a scalar changes exactly that value and keeps every comment', () => {
    fc.assert(
      fc.property(tree, fc.array(fc.nat(100), { minLength: 3, maxLength: 12 }), fc.nat(), scalarArb, (value, seed, pick, next) => {
        const text = render(value, seed);
        const leaves = locations(value).filter((l) => l.path.length > 0 && (l.value === null || typeof l.value !== 'object'));
        fc.pre(leaves.length > 0);
        const target = leaves[pick % leaves.length];
        const edited = setValue(text, target.path, next).text;
        expect(dataOf(edited)).toEqual(plain(setIn(value, target.path, next)));
        keepsLineEndings(text, edited);
        expect(commentLines(edited)).toEqual(commentLines(text));
        const untouched = setValue(text, target.path, target.value).text;
        expect(dataOf(untouched)).toEqual(plain(value));
      }),
      { numRuns: Number(process.env.FC_RUNS ?? 300) },
    );
  });

  it('adding keys, inserting, moving and deleting list items produce the intended data', () => {
    fc.assert(
      fc.property(
        tree,
        fc.array(fc.nat(100), { minLength: 3, maxLength: 12 }),
        fc.nat(),
        fc.nat(),
        fc.nat(),
        scalarArb,
        (value, seed, pick, a, b, next) => {
          const text = render(value, seed);
          const all = locations(value);
          const lists = all.filter((l) => Array.isArray(l.value)) as Array<{ path: PathSegment[]; value: Value[] }>;
          const maps = all.filter((l) => l.value && typeof l.value === 'object' && !Array.isArray(l.value)) as Array<{
            path: PathSegment[];
            value: Record<string, Value>;
          }>;
          const op = pick % 4;
          if (op === 0) {
            const m = maps[a % maps.length];
            const key = ['NewKey', 'Tags', 'Value', 'zz'].find((k) => !(k in m.value))!;
            const edited = setValue(text, [...m.path, key], next).text;
            expect(dataOf(edited)).toEqual(plain(setIn(value, [...m.path, key], next)));
            keepsLineEndings(text, edited);
            expect(commentLines(edited)).toEqual(commentLines(text));
          } else if (lists.length > 0) {
            const l = lists[a % lists.length];
            const n = l.value.length;
            if (op === 1) {
              const at = b % (n + 1);
              const edited = insertItem(text, l.path, at, next).text;
              keepsLineEndings(text, edited);
              const expected = [...l.value];
              expected.splice(at, 0, next);
              expect(dataOf(edited)).toEqual(plain(setIn(value, l.path, expected)));
              expect(commentLines(edited)).toEqual(commentLines(text));
            } else if (op === 2) {
              const from = a % n;
              const to = b % n;
              const edited = moveItem(text, l.path, from, to).text;
              const expected = [...l.value];
              const [it] = expected.splice(from, 1);
              expected.splice(to, 0, it);
              expect(dataOf(edited)).toEqual(plain(setIn(value, l.path, expected)));
              expect(commentLines(edited).sort()).toEqual(commentLines(text).sort());
            } else {
              const at = b % n;
              const edited = deleteAt(text, [...l.path, at]).text;
              keepsLineEndings(text, edited);
              const expected = [...l.value];
              expected.splice(at, 1);
              expect(dataOf(edited)).toEqual(plain(setIn(value, l.path, expected)));
            }
          }
        },
      ),
      { numRuns: Number(process.env.FC_RUNS ?? 300) },
    );
  });
});
