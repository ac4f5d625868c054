import { Document, isCollection, isMap, isScalar, isSeq, Scalar, type Node, type Pair, type YAMLMap, type YAMLSeq } from 'yaml';
import { findPair, isNullNode, nodeAtPath, parseTemplate, type ParsedTemplate, type YNode } from './document';
import type { PathSegment } from './problems';
import { COMMON_PROPERTY_KEYS, CONDITION_FIELDS, KNOWN_KEYS } from './schema';

/**
 * Lossless edits: each operation splices the YAML text at the affected node only, using the ranges
 * of the parsed yaml Document, so comments, key order, quoting and blank lines elsewhere stay
 * byte-identical. Operations return the new text plus the change, which the editor applies as one
 * transaction (so undo/redo covers form edits too).
 */
export interface TextChange {
  from: number;
  to: number;
  insert: string;
}

export interface EditResult {
  text: string;
  change: TextChange;
}

type Parsed = ParsedTemplate | string;
const asParsed = (p: Parsed): ParsedTemplate => (typeof p === 'string' ? parseTemplate(p) : p);

class EditError extends Error {
  override name = 'EditError';
}

function splice(text: string, from: number, to: number, insert: string): EditResult {
  // Files written on Windows keep their CRLF line endings in the lines we add.
  const eol = text.includes('\r\n') ? insert.replace(/\r?\n/g, '\r\n') : insert;
  return { text: text.slice(0, from) + eol + text.slice(to), change: { from, to, insert: eol } };
}

/** Smallest single change turning `a` into `b` (common prefix and suffix kept). */
export function diffText(a: string, b: string): TextChange {
  let start = 0;
  const max = Math.min(a.length, b.length);
  while (start < max && a.charCodeAt(start) === b.charCodeAt(start)) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a.charCodeAt(endA - 1) === b.charCodeAt(endB - 1)) {
    endA--;
    endB--;
  }
  return { from: start, to: endA, insert: b.slice(start, endB) };
}

// ---------- text geometry ----------

const lineStart = (text: string, pos: number) => text.lastIndexOf('\n', pos - 1) + 1;
/** End of the line's content: before `\n`, or before `\r\n` in CRLF files. */
const lineEnd = (text: string, pos: number) => {
  const i = text.indexOf('\n', pos);
  if (i === -1) return text.length;
  return i > 0 && text[i - 1] === '\r' ? i - 1 : i;
};
/** Start of the next line (after the line break), or the end of the text. */
const nextLineStart = (text: string, pos: number) => {
  const i = text.indexOf('\n', pos);
  return i === -1 ? text.length : i + 1;
};
const columnOf = (text: string, pos: number) => pos - lineStart(text, pos);
const firstOnLine = (text: string, pos: number) => text.slice(lineStart(text, pos), pos).trim() === '';

/** End of a node's own content: before trailing comments, blank lines and the newline. */
function contentEnd(text: string, node: Node): number {
  const [start, valueEnd] = node.range!;
  let end = valueEnd;
  while (end > start && /\s/.test(text[end - 1])) end--;
  return end;
}

function pairEnd(text: string, pair: Pair): number {
  const v = pair.value as Node | null;
  if (v && v.range) return Math.max(contentEnd(text, v), (pair.key as Node).range![1]);
  return (pair.key as Node).range![1];
}

/** Start of the `- ` indicator of a block sequence item. */
function dashOf(text: string, item: Node): number {
  let i = item.range![0] - 1;
  while (i >= 0 && text[i] !== '-') i--;
  return i;
}

/** Whether block sequences are indented under their key in this file (yaml's indentSeq). */
function detectIndentSeq(parsed: ParsedTemplate): boolean {
  const m = /^( *)[^\s#-][^\n]*:[ \t]*\n( *)- /m.exec(parsed.text);
  return m ? m[2].length > m[1].length : true;
}

// ---------- formatting new values ----------

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isBlockValue = (v: unknown) => (Array.isArray(v) && v.length > 0) || (isPlainObject(v) && Object.keys(v).length > 0);

export function formatScalar(value: unknown, style?: Scalar.Type, inFlow = false): string {
  if (Array.isArray(value)) return flowText(value);
  if (isPlainObject(value)) return flowText(value);
  const doc = new Document(value ?? null, { version: '1.1' });
  if (typeof value === 'string' && isScalar(doc.contents)) {
    const multiline = value.includes('\n');
    const keep = style === 'QUOTE_DOUBLE' || style === 'QUOTE_SINGLE' || style === 'PLAIN' ? style : undefined;
    (doc.contents as Scalar).type = multiline ? 'QUOTE_DOUBLE' : keep;
  }
  let out = doc.toString({ lineWidth: 0 }).replace(/\n$/, '');
  if (inFlow && typeof value === 'string' && /[,[\]{}]/.test(out) && !/^["']/.test(out)) out = JSON.stringify(value);
  return out;
}

function flowText(value: unknown): string {
  const doc = new Document(value, { version: '1.1' });
  if (isCollection(doc.contents)) doc.contents.flow = true;
  return doc.toString({ lineWidth: 0 }).replace(/\n$/, '');
}

/** A block collection rendered at `indent` spaces (every line, including the first). */
function blockText(value: unknown, indent: number, indentSeq: boolean): string {
  const text = new Document(value, { version: '1.1' }).toString({ lineWidth: 0, indentSeq }).replace(/\n$/, '');
  const pad = ' '.repeat(indent);
  return text
    .split('\n')
    .map((l) => (l ? pad + l : l))
    .join('\n');
}

function formatKey(key: string): string {
  return formatScalar(key);
}

// ---------- canonical key order for inserted keys ----------

function canonicalOrder(path: readonly PathSegment[]): readonly string[] | undefined {
  const n = path.length;
  if (n === 0) return KNOWN_KEYS.top;
  if (n === 2 && path[0] === 'Resources') return KNOWN_KEYS.resource;
  if (n === 3 && path[2] === 'Properties') return COMMON_PROPERTY_KEYS;
  const last = path[n - 1];
  if (last === 'InferenceOnConditions') return CONDITION_FIELDS.map((f) => f.key);
  if (typeof last === 'number') {
    const list = path[n - 2];
    if (list === 'InputSignature') return KNOWN_KEYS.inputSignature;
    if (list === 'OutputSignature' || list === 'Attributes') return KNOWN_KEYS.outputSignature;
    if (list === 'InputMetadata') return KNOWN_KEYS.metadata;
    if (list === 'Filter') return KNOWN_KEYS.filter;
    if (list === 'Tags') return KNOWN_KEYS.tag;
  }
  if (last === 'Requests' || last === 'Limits') return KNOWN_KEYS.resourceSpec;
  if (last === 'Resources' && n === 4) return KNOWN_KEYS.computeResources;
  return undefined;
}

// ---------- operations ----------

function buildNested(rest: readonly PathSegment[], value: unknown): unknown {
  let v = value;
  for (let i = rest.length - 1; i >= 0; i--) {
    const s = rest[i];
    v = typeof s === 'number' ? [v] : { [s]: v };
  }
  return v;
}

function setInPlain(base: unknown, rest: readonly PathSegment[], value: unknown): unknown {
  if (rest.length === 0) return value;
  const [head, ...tail] = rest;
  if (typeof head === 'number') {
    const arr = Array.isArray(base) ? [...base] : [];
    arr[head] = setInPlain(arr[head], tail, value);
    return arr;
  }
  const obj = isPlainObject(base) ? { ...base } : {};
  obj[head] = setInPlain(obj[head], tail, value);
  return obj;
}

/** Set the value at `path`, creating missing maps/list items; `undefined` deletes. */
export function setValue(input: Parsed, path: readonly PathSegment[], value: unknown): EditResult {
  const parsed = asParsed(input);
  if (value === undefined) return deleteAt(parsed, path);
  const { doc, text } = parsed;
  let depth = 0;
  let node: YNode = doc.contents as YNode;
  while (depth < path.length) {
    const seg = path[depth];
    const child =
      typeof seg === 'number'
        ? isSeq(node)
          ? (node.items[seg] as YNode)
          : undefined
        : isMap(node)
          ? findPair(node, seg)?.value
          : undefined;
    const exists = typeof seg === 'number' ? isSeq(node) && seg < node.items.length : isMap(node) && !!findPair(node, seg);
    if (!exists) break;
    node = child;
    depth++;
  }
  if (depth === path.length) {
    // Setting a scalar to the value it already has is no edit: its bytes (and style) stay as written.
    if (isScalar(node) && node.value === value) return { text, change: { from: 0, to: 0, insert: '' } };
    return replaceAt(parsed, path, value);
  }
  const parentPath = path.slice(0, depth);
  const rest = path.slice(depth);
  const parent = depth === 0 ? (doc.contents as YNode) : node;
  if (isMap(parent) && !parent.flow && parent.items.length > 0 && typeof rest[0] === 'string') {
    return insertPair(parsed, parentPath, parent, rest[0], buildNested(rest.slice(1), value));
  }
  if (isSeq(parent) && !parent.flow && parent.items.length > 0 && rest[0] === parent.items.length) {
    return insertItem(parsed, parentPath, parent.items.length, buildNested(rest.slice(1), value));
  }
  // Empty, scalar or flow parent: rewrite just that node with the merged value.
  const merged = setInPlain(parent && isCollection(parent) ? parent.toJSON() : undefined, rest, value);
  if (depth === 0 && isNullNode(parent)) {
    const body = isBlockValue(merged) ? blockText(merged, 0, detectIndentSeq(parsed)) : formatScalar(merged);
    return splice(text, 0, text.length, `${text.trim() ? `${text.replace(/\s*$/, '\n')}` : ''}${body}\n`);
  }
  return replaceAt(parsed, parentPath, merged);
}

/** Replace the node at an existing `path` with `value`. */
function replaceAt(parsed: ParsedTemplate, path: readonly PathSegment[], value: unknown): EditResult {
  const { text, doc } = parsed;
  if (path.length === 0) {
    const body = isBlockValue(value) ? blockText(value, 0, detectIndentSeq(parsed)) : formatScalar(value);
    return splice(text, 0, text.length, `${body}\n`);
  }
  const parent = nodeAtPath(doc, path.slice(0, -1));
  const last = path[path.length - 1];
  const target = nodeAtPath(doc, path);
  const inFlow = isCollection(parent) && !!parent.flow;
  // A flow collection stays a flow collection (e.g. `Dims: [-1, 58, 72]`).
  if (isCollection(target) && target.flow && (Array.isArray(value) || isPlainObject(value)) && target.range) {
    return splice(text, target.range[0], contentEnd(text, target), flowText(value));
  }
  // Scalar → scalar keeps the node's quoting style.
  if ((target === null || target === undefined || isScalar(target)) && !isBlockValue(value)) {
    const scalar = target as Scalar | null | undefined;
    const style = scalar && typeof scalar.value === 'string' && typeof value === 'string' ? scalar.type : undefined;
    const formatted = formatScalar(value, style, inFlow);
    if (scalar?.range) {
      const [a, b] = scalar.range;
      const needsSpace = a === b && text[a - 1] === ':';
      return splice(text, a, b, needsSpace ? ` ${formatted}` : formatted);
    }
    const pair = typeof last === 'string' && isMap(parent) ? findPair(parent, last) : undefined;
    if (pair) {
      const colon = text.indexOf(':', (pair.key as Node).range![1]);
      return splice(text, colon + 1, colon + 1, ` ${formatted}`);
    }
  }
  if (inFlow) {
    const grand = path.slice(0, -1);
    return replaceAt(parsed, grand, setInPlain((parent as YAMLMap | YAMLSeq).toJSON(), [last], value));
  }
  const indentSeq = detectIndentSeq(parsed);
  if (typeof last === 'string' && isMap(parent)) {
    const pair = findPair(parent, last)!;
    const keyNode = pair.key as Node;
    const colon = text.indexOf(':', keyNode.range![1]);
    const end = target && (target as Node).range ? contentEnd(text, target as Node) : colon + 1;
    const keyCol = columnOf(text, keyNode.range![0]);
    if (!isBlockValue(value)) return splice(text, colon + 1, Math.max(end, colon + 1), ` ${formatScalar(value)}`);
    const childIndent = Array.isArray(value) && !indentSeq ? keyCol : keyCol + 2;
    return splice(text, colon + 1, Math.max(end, colon + 1), `\n${blockText(value, childIndent, indentSeq)}`);
  }
  if (typeof last === 'number' && isSeq(parent)) {
    const item = parent.items[last] as Node;
    const start = item.range![0];
    const end = contentEnd(text, item);
    if (!isBlockValue(value)) return splice(text, start, end, formatScalar(value));
    const col = columnOf(text, start);
    return splice(text, start, end, blockText(value, col, indentSeq).slice(col));
  }
  throw new EditError(`Cannot set ${path.join('.')}: the parent is not a mapping or list.`);
}

function insertPair(parsed: ParsedTemplate, mapPath: readonly PathSegment[], map: YAMLMap, key: string, value: unknown): EditResult {
  const { text } = parsed;
  const pairs = map.items as Pair[];
  const keyStart = (pairs[0].key as Node).range![0];
  const indent = columnOf(text, keyStart);
  const order = canonicalOrder(mapPath);
  let after: Pair | undefined = pairs[pairs.length - 1];
  let before: Pair | undefined;
  if (order && order.includes(key)) {
    const rank = order.indexOf(key);
    const ranked = pairs.map((p) => ({ p, r: order.indexOf(String(isScalar(p.key) ? p.key.value : '')) }));
    const preceding = ranked.filter((x) => x.r !== -1 && x.r < rank).pop();
    if (preceding) after = preceding.p;
    else if (firstOnLine(text, keyStart) && ranked.some((x) => x.r > rank)) before = pairs[0];
  }
  const indentSeq = detectIndentSeq(parsed);
  const body = isBlockValue(value)
    ? `${formatKey(key)}:\n${blockText(value, Array.isArray(value) && !indentSeq ? indent : indent + 2, indentSeq)}`
    : `${formatKey(key)}: ${formatScalar(value)}`;
  if (before) {
    const at = lineStart(text, (before.key as Node).range![0]);
    return splice(text, at, at, `${' '.repeat(indent)}${body}\n`);
  }
  const at = lineEnd(text, pairEnd(text, after!));
  return splice(text, at, at, `\n${' '.repeat(indent)}${body}`);
}

/** Insert `value` as item `index` of the list at `listPath` (creating the list if needed). */
export function insertItem(input: Parsed, listPath: readonly PathSegment[], index: number, value: unknown): EditResult {
  const parsed = asParsed(input);
  const { text, doc } = parsed;
  const list = nodeAtPath(doc, listPath);
  if (!isSeq(list) || list.flow || list.items.length === 0) {
    const current = isSeq(list) ? (list.toJSON() as unknown[]) : [];
    const next = [...current];
    next.splice(Math.min(index, next.length), 0, value);
    return setValue(parsed, listPath, next);
  }
  const items = list.items as Node[];
  const dash = dashOf(text, items[0]);
  const col = columnOf(text, dash);
  const itemBody = isBlockValue(value) ? blockText(value, col + 2, detectIndentSeq(parsed)).slice(col + 2) : formatScalar(value);
  const line = `${' '.repeat(col)}- ${itemBody}`;
  if (index >= items.length) {
    const at = lineEnd(text, contentEnd(text, items[items.length - 1]));
    return splice(text, at, at, `\n${line}`);
  }
  const dashAt = dashOf(text, items[index]);
  // The first item of a nested list shares its line with the parent's dash: insert at the dash.
  if (!firstOnLine(text, dashAt)) return splice(text, dashAt, dashAt, `- ${itemBody}\n${' '.repeat(col)}`);
  const at = lineStart(text, dashAt);
  return splice(text, at, at, `${line}\n`);
}

/** Remove the pair or list item at `path`. */
export function deleteAt(input: Parsed, path: readonly PathSegment[]): EditResult {
  const parsed = asParsed(input);
  const { text, doc } = parsed;
  if (path.length === 0) throw new EditError('Cannot delete the whole template.');
  const parentPath = path.slice(0, -1);
  const parent = nodeAtPath(doc, parentPath);
  const last = path[path.length - 1];
  if (isCollection(parent) && parent.flow) {
    const js = parent.toJSON() as Record<string, unknown> | unknown[];
    if (Array.isArray(js)) js.splice(last as number, 1);
    else delete js[last as string];
    return replaceAt(parsed, parentPath, js);
  }
  if (typeof last === 'string' && isMap(parent)) {
    const pairs = parent.items as Pair[];
    const idx = pairs.findIndex((p) => isScalar(p.key) && p.key.value === last);
    if (idx === -1) return { text, change: { from: 0, to: 0, insert: '' } };
    if (pairs.length === 1) return replaceAt(parsed, parentPath, {});
    const start = (pairs[idx].key as Node).range![0];
    if (firstOnLine(text, start)) {
      const from = lineStart(text, start);
      const to = nextLineStart(text, pairEnd(text, pairs[idx]));
      return splice(text, from, to, '');
    }
    // First key of a `- key: …` item: pull the next key up behind the dash.
    const next = pairs[idx + 1];
    return splice(text, start, (next.key as Node).range![0], '');
  }
  if (typeof last === 'number' && isSeq(parent)) {
    const items = parent.items as Node[];
    if (last >= items.length) return { text, change: { from: 0, to: 0, insert: '' } };
    if (items.length === 1) return replaceAt(parsed, parentPath, []);
    const dash = dashOf(text, items[last]);
    if (!firstOnLine(text, dash)) return splice(text, dash, dashOf(text, items[last + 1]), '');
    const from = lineStart(text, dash);
    const to = nextLineStart(text, contentEnd(text, items[last]));
    return splice(text, from, to, '');
  }
  return { text, change: { from: 0, to: 0, insert: '' } };
}

/** Move list item `from` to position `to`, carrying its lines (and inner comments) along. */
export function moveItem(input: Parsed, listPath: readonly PathSegment[], from: number, to: number): EditResult {
  const parsed = asParsed(input);
  const { text, doc } = parsed;
  const list = nodeAtPath(doc, listPath);
  if (!isSeq(list)) throw new EditError(`${listPath.join('.')} is not a list.`);
  const n = list.items.length;
  if (from < 0 || from >= n || to < 0 || to >= n || from === to) return { text, change: { from: 0, to: 0, insert: '' } };
  if (list.flow) {
    const js = list.toJSON() as unknown[];
    const [it] = js.splice(from, 1);
    js.splice(to, 0, it);
    return replaceAt(parsed, listPath, js);
  }
  const items = list.items as Node[];
  // Pieces run from each item's dash to the end of its last line; the gaps between them
  // (newline, indentation, comment lines) stay where they are.
  const spans = items.map((it) => ({ s: dashOf(text, it), e: lineEnd(text, contentEnd(text, it)) }));
  const lo = Math.min(from, to);
  const hi = Math.max(from, to);
  const pieces = spans.slice(lo, hi + 1).map((sp) => text.slice(sp.s, sp.e));
  const gaps = spans.slice(lo, hi).map((sp, i) => text.slice(sp.e, spans[lo + i + 1].s));
  const order = pieces.map((_, i) => i);
  const [moved] = order.splice(from - lo, 1);
  order.splice(to - lo, 0, moved);
  let out = '';
  order.forEach((pi, i) => {
    out += pieces[pi];
    if (i < gaps.length) out += gaps[i];
  });
  return splice(text, spans[lo].s, spans[hi].e, out);
}

/** Rename a mapping key in place (e.g. a ResourceKey, or a typo fix). */
export function renameKey(input: Parsed, path: readonly PathSegment[], newKey: string): EditResult {
  const parsed = asParsed(input);
  const parent = nodeAtPath(parsed.doc, path.slice(0, -1));
  const last = path[path.length - 1];
  if (!isMap(parent) || typeof last !== 'string') throw new EditError(`${path.join('.')} is not a mapping key.`);
  if (findPair(parent, newKey)) throw new EditError(`"${newKey}" already exists next to "${last}".`);
  const pair = findPair(parent, last);
  if (!pair) throw new EditError(`Key ${path.join('.')} not found.`);
  const [a, b] = (pair.key as Node).range!;
  const style = isScalar(pair.key) ? (pair.key as Scalar).type : undefined;
  return splice(parsed.text, a, b, formatScalar(newKey, style));
}

/** Copy a whole mapping entry (e.g. a resource) right after itself under `newKey`. */
export function duplicatePair(input: Parsed, path: readonly PathSegment[], newKey: string): EditResult {
  const parsed = asParsed(input);
  const { text } = parsed;
  const parent = nodeAtPath(parsed.doc, path.slice(0, -1));
  const last = path[path.length - 1];
  if (!isMap(parent) || typeof last !== 'string') throw new EditError(`${path.join('.')} is not a mapping key.`);
  if (findPair(parent, newKey)) throw new EditError(`"${newKey}" already exists.`);
  const pair = findPair(parent, last);
  if (!pair) throw new EditError(`Key ${path.join('.')} not found.`);
  const keyNode = pair.key as Node;
  if (!firstOnLine(text, keyNode.range![0])) throw new EditError('Only block mapping entries can be duplicated.');
  const from = lineStart(text, keyNode.range![0]);
  const end = lineEnd(text, pairEnd(text, pair));
  const block = text.slice(from, end);
  const keyOffset = keyNode.range![0] - from;
  const copy = block.slice(0, keyOffset) + formatKey(newKey) + block.slice(keyNode.range![1] - from);
  return splice(text, end, end, `\n${copy}`);
}

/** Insert pre-formatted YAML lines (e.g. a commented skeleton) as a new entry of a block mapping. */
export function insertRawPair(input: Parsed, mapPath: readonly PathSegment[], key: string, rawLines: string): EditResult {
  const parsed = asParsed(input);
  const { text } = parsed;
  const map = nodeAtPath(parsed.doc, mapPath);
  if (isMap(map) && findPair(map, key)) throw new EditError(`"${key}" already exists.`);
  if (!isMap(map) || map.flow || map.items.length === 0) {
    // No block mapping to extend: fall back to a plain value without the skeleton's comments.
    const value = parseTemplate(rawLines).doc.toJS() as Record<string, unknown>;
    return setValue(parsed, [...mapPath, key], value[key]);
  }
  const indent = columnOf(text, (map.items[0].key as Node).range![0]);
  const pad = ' '.repeat(indent);
  const lines = rawLines
    .replace(/\n$/, '')
    .split('\n')
    .map((l) => (l ? pad + l : l))
    .join('\n');
  const at = lineEnd(text, pairEnd(text, map.items[map.items.length - 1] as Pair));
  return splice(text, at, at, `\n\n${lines}`);
}
