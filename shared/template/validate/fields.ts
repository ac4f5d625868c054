import { isMap, type Node, type Pair } from 'yaml';
import { findPair, isNullNode, type YNode } from '../document';
import type { PathSegment } from '../problems';
import type { ValidationContext } from './context';
import { kindError, type ValueKind } from './values';

/** Report a missing or mistyped required scalar; returns the value node when present. */
export function required(ctx: ValidationContext, map: YNode, key: string, base: PathSegment[], kind: ValueKind, at: YNode | Pair): YNode {
  const pair = isMap(map) ? findPair(map, key) : undefined;
  if (!pair) {
    ctx.error('required', `Field required: ${key} is missing.`, [...base, key], at as Node);
    return undefined;
  }
  const err = kindError(kind, pair.value);
  if (err) ctx.error('type', err, [...base, key], pair.value ?? pair);
  return pair.value;
}

/** Check an optional scalar's type (null counts as absent, as for pydantic's Optional). */
export function optional(ctx: ValidationContext, map: YNode, key: string, base: PathSegment[], kind: ValueKind): YNode {
  const pair = isMap(map) ? findPair(map, key) : undefined;
  if (!pair || isNullNode(pair.value)) return undefined;
  const err = kindError(kind, pair.value);
  if (err) ctx.error('type', err, [...base, key], pair.value);
  return pair.value;
}
