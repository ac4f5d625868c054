import { isMap, isSeq, type Node, type Pair, type YAMLMap } from 'yaml';
import { findPair, isNullNode, seqItems, type YNode } from '../document';
import { dismSays, type PathSegment } from '../problems';
import type { ValidationContext } from './context';
import { kindError, type ValueKind } from './values';

/** A required key that is not there, in plain words (DISM says "Field required"). */
export function missing(key: string, hint = ''): ReturnType<typeof dismSays> {
  return dismSays(`${key} is missing: DISM requires it.${hint ? ` ${hint}` : ''}`, 'Field required');
}

/** Report a missing or mistyped required scalar; returns the value node when present. */
export function required(ctx: ValidationContext, map: YNode, key: string, base: PathSegment[], kind: ValueKind, at: YNode | Pair): YNode {
  const pair = isMap(map) ? findPair(map, key) : undefined;
  if (!pair) {
    ctx.error('required', missing(key), [...base, key], at as Node);
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

/**
 * An optional list of mappings (null counts as absent), checked as pydantic checks `list[Model] | None`:
 * a value that is not a list, or an item that is not a mapping, is a type error; each item's unknown
 * keys are reported; `each` gets every item that is a mapping, with its path.
 */
export function forEachListedMapping(
  ctx: ValidationContext,
  pair: Pair<Node, Node | null> | undefined,
  seg: PathSegment[],
  spec: { list: string; item: string; keys: readonly string[] },
  each: (item: YAMLMap, s: PathSegment[]) => void,
): void {
  if (!pair || isNullNode(pair.value)) return;
  const key = String(seg[seg.length - 1]);
  if (!isSeq(pair.value)) {
    ctx.error('type', dismSays(`${key} must be a list of ${spec.list}.`, `Input should be a valid list of ${spec.list}`), seg, pair.value);
    return;
  }
  seqItems(pair.value).forEach((item, i) => {
    const s = [...seg, i];
    if (!isMap(item)) {
      ctx.error(
        'type',
        dismSays(
          `Each entry of ${key} must be a mapping of ${spec.keys.join(', ')}.`,
          `Input should be a valid dictionary or instance of ${spec.item}`,
        ),
        s,
        item ?? pair.value,
      );
      return;
    }
    ctx.unknownKeys(item.items as Pair[], s, spec.keys);
    each(item, s);
  });
}
