/**
 * How the form shows a value read from the YAML. A field holds one value; when the YAML has a
 * mapping or a list there (a typo in indentation, a syntax error the parser recovered from), the
 * field says so instead of printing "[object Object]", and is edited in the YAML pane.
 */
export function structureOf(v: unknown): 'mapping' | 'list' | null {
  if (Array.isArray(v)) return 'list';
  return v !== null && typeof v === 'object' && !(v instanceof Date) ? 'mapping' : null;
}

/** The text of a single value ('' when absent); "(a mapping)" / "(a list)" for anything else. */
export function valueText(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  const s = structureOf(v);
  return s ? `(a ${s})` : String(v);
}

/** A list item's heading from its Name, or the fallback when the Name is missing or not a single value. */
export function titleText(v: unknown, fallback: string): string {
  return v === undefined || v === null || structureOf(v) ? fallback : valueText(v);
}

/** Placeholder of a field whose YAML value is a mapping or list. */
export function structuredPlaceholder(v: unknown): string | undefined {
  const s = structureOf(v);
  return s ? `a ${s} in the YAML, not a single value: edit it in the YAML pane` : undefined;
}
