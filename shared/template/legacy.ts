import { isScalar, visit, type Node, type Scalar } from 'yaml';
import { parseTemplate, type ParsedTemplate } from './document';
import { diffText, formatScalar, type EditResult } from './edit';
import { DATA_TYPES, LEGACY_DATA_TYPE_PREFIX } from './schema';

/** `TYPE_FP32` → `FP32` for the spellings dism_core still accepts; undefined otherwise. */
export function modernDataType(value: unknown): string | undefined {
  if (typeof value !== 'string' || !value.startsWith(LEGACY_DATA_TYPE_PREFIX)) return undefined;
  const stripped = value.slice(LEGACY_DATA_TYPE_PREFIX.length);
  return (DATA_TYPES as readonly string[]).includes(stripped) ? stripped : undefined;
}

/** Ranges of every legacy DataType value in the document. */
function legacyDataTypeNodes(parsed: ParsedTemplate): Scalar[] {
  const found: Scalar[] = [];
  visit(parsed.doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && pair.key.value === 'DataType' && isScalar(pair.value) && modernDataType(pair.value.value))
        found.push(pair.value);
    },
  });
  return found;
}

/** One-click migration: rewrite only the legacy DataType scalars, keeping their quoting. */
export function migrateLegacyDataTypes(input: ParsedTemplate | string): EditResult & { count: number } {
  const parsed = typeof input === 'string' ? parseTemplate(input) : input;
  const nodes = legacyDataTypeNodes(parsed).sort((a, b) => b.range![0] - a.range![0]);
  let text = parsed.text;
  for (const n of nodes) {
    const [a, b] = (n as Node).range!;
    text = text.slice(0, a) + formatScalar(modernDataType(n.value), n.type) + text.slice(b);
  }
  return { text, change: diffText(parsed.text, text), count: nodes.length };
}
