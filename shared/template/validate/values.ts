import { isMap, isScalar, isSeq, type Node } from 'yaml';
import type { YNode } from '../document';
import { dismSays, type RuleMessage } from '../problems';

/**
 * Type checks with pydantic's lax-mode semantics (dism_core is pydantic v2): returns what is wrong in
 * plain words, with the message DISM would print as the detail, or undefined when DISM accepts the value.
 */
export type ValueKind = 'string' | 'int' | 'number' | 'bool';

const TRUE_STRINGS = ['1', 'on', 't', 'true', 'y', 'yes'];
const FALSE_STRINGS = ['0', 'off', 'f', 'false', 'n', 'no'];

/** What each kind is called in plain words. */
const KIND_WORDS: Record<ValueKind, string> = {
  string: 'text',
  int: 'a whole number',
  number: 'a number',
  bool: 'true or false',
};

const PYDANTIC: Record<ValueKind, string> = {
  string: 'Input should be a valid string',
  int: 'Input should be a valid integer',
  number: 'Input should be a valid number',
  bool: 'Input should be a valid boolean',
};

export function kindError(kind: ValueKind, node: YNode): RuleMessage | undefined {
  if (node && !isScalar(node)) {
    const what = isMap(node) ? 'a mapping' : isSeq(node) ? 'a list' : 'not a plain value';
    return dismSays(`Must be ${KIND_WORDS[kind]}, but the YAML has ${what} here (check the indentation).`, PYDANTIC[kind]);
  }
  const v = node && isScalar(node) ? node.value : null;
  const empty = () => dismSays(`The value is empty: write ${KIND_WORDS[kind]}.`, PYDANTIC[kind]);
  const notOne = (detail: string) => dismSays(`Must be ${KIND_WORDS[kind]}; ${sourceOf(node)} is not.`, detail);
  switch (kind) {
    case 'string':
      if (typeof v === 'string') return undefined;
      if (v instanceof Date)
        return dismSays('YAML reads this unquoted value as a date: put it in quotes to make it text.', PYDANTIC.string);
      if (typeof v === 'number' || typeof v === 'boolean')
        return dismSays(`YAML reads ${sourceOf(node)} as a ${typeof v}: put it in quotes to make it text.`, PYDANTIC.string);
      return v === null ? empty() : dismSays('Must be text.', PYDANTIC.string);
    case 'int':
      if (typeof v === 'boolean') return undefined;
      if (typeof v === 'number')
        return Number.isInteger(v)
          ? undefined
          : dismSays(
              `Must be a whole number; ${sourceOf(node)} has a fractional part.`,
              'Input should be a valid integer, got a number with a fractional part',
            );
      if (typeof v === 'string')
        return /^\s*[+-]?\d+\s*$/.test(v) ? undefined : notOne('Input should be a valid integer, unable to parse string as an integer');
      return v === null ? empty() : notOne(PYDANTIC.int);
    case 'number':
      if (typeof v === 'number' || typeof v === 'boolean') return undefined;
      if (typeof v === 'string')
        return isNumericString(v) ? undefined : notOne('Input should be a valid number, unable to parse string as a number');
      return v === null ? empty() : notOne(PYDANTIC.number);
    case 'bool':
      if (typeof v === 'boolean') return undefined;
      if (typeof v === 'number')
        return v === 0 || v === 1 ? undefined : notOne('Input should be a valid boolean, unable to interpret input');
      if (typeof v === 'string')
        return TRUE_STRINGS.includes(v.toLowerCase()) || FALSE_STRINGS.includes(v.toLowerCase())
          ? undefined
          : notOne('Input should be a valid boolean, unable to interpret input');
      return v === null ? empty() : notOne(PYDANTIC.bool);
  }
}

function sourceOf(node: YNode): string {
  return isScalar(node) && typeof node.source === 'string' ? `"${node.source}"` : isScalar(node) ? `"${String(node.value)}"` : 'this value';
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

/** "a, b or c" */
export function orList(values: readonly string[]): string {
  return values.length > 1 ? `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}` : (values[0] ?? '');
}

/** pydantic's message for a value outside an enum, e.g. "Input should be 'EQ' or 'LIST_AND_MATCH'". */
export function enumMessage(values: readonly string[]): string {
  return `Input should be ${orList(values.map((v) => `'${v}'`))}`;
}

/** A value outside an enum: the allowed values in plain words, DISM's message as the detail. */
export function enumError(key: string, value: string, values: readonly string[], suggestion?: string): RuleMessage {
  const allowed = values.length === 1 ? `it must be ${values[0]}` : `use ${orList(values)}`;
  return dismSays(
    `${key} "${value}" is not one DISM knows: ${allowed}.${suggestion ? ` Did you mean ${suggestion}?` : ''}`,
    enumMessage(values),
  );
}

export type { Node };
