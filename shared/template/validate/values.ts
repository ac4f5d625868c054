import { isMap, isScalar, isSeq, type Node } from 'yaml';
import type { YNode } from '../document';

/**
 * Type checks with pydantic's lax-mode semantics and messages (dism_core is pydantic v2): returns
 * the message DISM would print, or undefined when DISM accepts the value.
 */
export type ValueKind = 'string' | 'int' | 'number' | 'bool';

const TRUE_STRINGS = ['1', 'on', 't', 'true', 'y', 'yes'];
const FALSE_STRINGS = ['0', 'off', 'f', 'false', 'n', 'no'];

export function kindError(kind: ValueKind, node: YNode): string | undefined {
  if (node && !isScalar(node)) {
    const what = isMap(node) ? 'a mapping' : isSeq(node) ? 'a list' : 'not a plain value';
    return `${expectation(kind)} (got ${what})`;
  }
  const v = node && isScalar(node) ? node.value : null;
  switch (kind) {
    case 'string':
      if (typeof v === 'string') return undefined;
      if (v instanceof Date) return 'Input should be a valid string (YAML reads this unquoted value as a date: put it in quotes)';
      if (typeof v === 'number' || typeof v === 'boolean')
        return `Input should be a valid string (YAML reads ${sourceOf(node)} as a ${typeof v}: put it in quotes)`;
      return v === null ? 'Input should be a valid string (the value is empty)' : 'Input should be a valid string';
    case 'int':
      if (typeof v === 'boolean') return undefined;
      if (typeof v === 'number')
        return Number.isInteger(v) ? undefined : 'Input should be a valid integer, got a number with a fractional part';
      if (typeof v === 'string')
        return /^\s*[+-]?\d+\s*$/.test(v) ? undefined : 'Input should be a valid integer, unable to parse string as an integer';
      return v === null ? 'Input should be a valid integer (the value is empty)' : 'Input should be a valid integer';
    case 'number':
      if (typeof v === 'number' || typeof v === 'boolean') return undefined;
      if (typeof v === 'string')
        return isNumericString(v) ? undefined : 'Input should be a valid number, unable to parse string as a number';
      return v === null ? 'Input should be a valid number (the value is empty)' : 'Input should be a valid number';
    case 'bool':
      if (typeof v === 'boolean') return undefined;
      if (typeof v === 'number') return v === 0 || v === 1 ? undefined : 'Input should be a valid boolean, unable to interpret input';
      if (typeof v === 'string')
        return TRUE_STRINGS.includes(v.toLowerCase()) || FALSE_STRINGS.includes(v.toLowerCase())
          ? undefined
          : 'Input should be a valid boolean, unable to interpret input';
      return v === null ? 'Input should be a valid boolean (the value is empty)' : 'Input should be a valid boolean';
  }
}

function expectation(kind: ValueKind): string {
  return {
    string: 'Input should be a valid string',
    int: 'Input should be a valid integer',
    number: 'Input should be a valid number',
    bool: 'Input should be a valid boolean',
  }[kind];
}

function sourceOf(node: YNode): string {
  return isScalar(node) && typeof node.source === 'string' ? `"${node.source}"` : 'this value';
}

function isNumericString(v: string): boolean {
  const t = v.trim().toLowerCase();
  return t !== '' && (!Number.isNaN(Number(t)) || ['inf', '+inf', '-inf', 'infinity', '-infinity', 'nan'].includes(t));
}

/** The value coerced the way pydantic would, for rules that run after type validation. */
export function asBool(node: YNode): boolean | undefined {
  const v = node && isScalar(node) ? node.value : undefined;
  if (typeof v === 'boolean') return v;
  if (v === 0 || v === 1) return v === 1;
  if (typeof v === 'string') {
    if (TRUE_STRINGS.includes(v.toLowerCase())) return true;
    if (FALSE_STRINGS.includes(v.toLowerCase())) return false;
  }
  return undefined;
}

export function scalarString(node: YNode): string | undefined {
  return node && isScalar(node) && typeof node.value === 'string' ? node.value : undefined;
}

export function enumMessage(values: readonly string[]): string {
  const quoted = values.map((v) => `'${v}'`);
  return `Input should be ${quoted.length > 1 ? `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}` : quoted[0]}`;
}

export type { Node };
