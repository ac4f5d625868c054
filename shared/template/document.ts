import {
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Document,
  type Node,
  type Pair,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml';
import type { PathSegment } from './problems';

/**
 * A template's text with its parsed yaml Document. The text is the source of truth: edits splice
 * the text (see edit.ts) and re-parse, so everything the user wrote outside the edit stays byte-identical.
 */
export interface ParsedTemplate {
  text: string;
  doc: Document.Parsed;
  lineCounter: LineCounter;
}

/**
 * dism_core reads templates with PyYAML (YAML 1.1), so parse with the 1.1 schema: an unquoted
 * `2025-03-31` is a date and `yes`/`on` are booleans, exactly as DISM will see them.
 * Duplicate keys are reported by the validator (yaml's own check is quadratic and dominated parse time).
 */
export function parseTemplate(text: string): ParsedTemplate {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, version: '1.1', prettyErrors: false, uniqueKeys: false });
  return { text, doc, lineCounter };
}

export type YNode = Node | null | undefined;

function scalarKeyOf(pair: Pair): unknown {
  return isScalar(pair.key) ? pair.key.value : pair.key;
}

/** The entry `key` of a mapping node; undefined when absent or when `node` is not a mapping. */
export function findPair(node: unknown, key: string): Pair<Node, Node | null> | undefined {
  if (!isMap(node)) return undefined;
  return (node as YAMLMap).items.find((p) => scalarKeyOf(p as Pair) === key) as Pair<Node, Node | null> | undefined;
}

function childOf(node: YNode, seg: PathSegment): YNode {
  if (typeof seg === 'number') return isSeq(node) ? (node.items[seg] as YNode) : undefined;
  if (isMap(node)) return findPair(node, seg)?.value as YNode;
  return undefined;
}

export function nodeAtPath(doc: Document, segments: readonly PathSegment[]): YNode {
  let node = doc.contents as YNode;
  for (const s of segments) {
    node = childOf(node, s);
    if (node === undefined) return undefined;
  }
  return node;
}

/** JS value of a node as DISM would see it (null for an empty value). */
export function jsValue(node: YNode): unknown {
  if (node === null || node === undefined) return null;
  if (isScalar(node)) return node.value;
  return node.toJSON();
}

export function isNullNode(node: YNode): boolean {
  return node === null || node === undefined || (isScalar(node) && node.value === null);
}

export function mapItems(node: YNode): Array<Pair<Node, Node | null>> {
  return isMap(node) ? (node.items as Array<Pair<Node, Node | null>>) : [];
}

export function seqItems(node: YNode): YNode[] {
  return isSeq(node) ? ((node as YAMLSeq).items as YNode[]) : [];
}

export { isMap, isPair, isScalar, isSeq };

/** Path of the deepest node whose text contains `offset` (e.g. the YAML cursor), [] at the top. */
export function pathAtOffset(doc: Document, offset: number): PathSegment[] {
  const out: PathSegment[] = [];
  let node = doc.contents as YNode;
  for (;;) {
    if (isMap(node)) {
      const pair = (node.items as Array<Pair<Node, Node | null>>).find((p) => {
        const start = p.key?.range?.[0];
        const end = p.value?.range?.[1] ?? p.key?.range?.[1];
        return start !== undefined && end !== undefined && offset >= start && offset <= end;
      });
      if (!pair) return out;
      out.push(String(scalarKeyOf(pair)));
      node = pair.value;
    } else if (isSeq(node)) {
      const items = node.items as YNode[];
      const i = items.findIndex((it) => it?.range && offset >= it.range[0] - 2 && offset <= it.range[1]);
      if (i === -1) return out;
      out.push(i);
      node = items[i];
    } else return out;
  }
}
