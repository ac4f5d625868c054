import { isMap, isSeq, type Node, type Pair } from 'yaml';
import { findPair, isNullNode, seqItems } from '../document';
import { dismSays, type PathSegment } from '../problems';
import { pythonRegexError, regexTooLongToCheck } from '../regex';
import { CONDITION_FIELDS, KNOWN_KEYS } from '../schema';
import type { ValidationContext } from './context';
import { optional } from './fields';
import { kindError, scalarString } from './values';

export function validateConditions(ctx: ValidationContext, pair: Pair<Node, Node | null> | undefined, seg: PathSegment[]): void {
  if (!pair || isNullNode(pair.value)) return;
  const map = pair.value;
  if (!isMap(map)) {
    ctx.error(
      'type',
      dismSays('InferenceOnConditions must be a mapping of conditions, e.g. StableBeams: true.', 'Input should be a valid dictionary'),
      seg,
      map,
    );
    return;
  }
  ctx.unknownKeys(map.items as Pair[], seg, KNOWN_KEYS.conditions);
  for (const field of CONDITION_FIELDS) {
    if (field.kind === 'stringList') {
      validateStringList(ctx, findPair(map, field.key), [...seg, field.key]);
      continue;
    }
    const node = optional(ctx, map, field.key, seg, field.kind === 'regex' ? 'string' : field.kind);
    const value = scalarString(node);
    if (field.kind === 'regex' && value !== undefined) {
      const tooLong = regexTooLongToCheck(value);
      if (tooLong) ctx.warn('regex-not-checked', `${field.key} ${tooLong}`, [...seg, field.key], node);
      const err = pythonRegexError(value);
      if (err)
        ctx.error(
          'regex',
          `${field.key} is not a valid regular expression: ${err}. Check the brackets, and escape special characters with \\.`,
          [...seg, field.key],
          node,
        );
    }
  }
  const noOut = findPair(map, 'NoComponentOut');
  const allowedOut = findPair(map, 'AllowedComponentsOut');
  const present = (p: typeof noOut) => p !== undefined && !isNullNode(p.value);
  if (present(noOut) && present(allowedOut)) {
    ctx.error(
      'components-out',
      dismSays(
        'NoComponentOut and AllowedComponentsOut cannot both be set: NoComponentOut: true runs only when no component is out, AllowedComponentsOut lists the components that may be out. Keep one.',
        'The `NoComponentOut` field cannot be declared if `AllowedComponentsOut` is provided.',
      ),
      [...seg, 'NoComponentOut'],
      noOut,
    );
  }
}

function validateStringList(ctx: ValidationContext, pair: Pair<Node, Node | null> | undefined, seg: PathSegment[]): void {
  if (!pair || isNullNode(pair.value)) return;
  if (!isSeq(pair.value)) {
    ctx.error(
      'type',
      dismSays(
        `${String(seg[seg.length - 1])} must be a list of names, e.g. [ZeroBias, StreamExpress].`,
        'Input should be a valid list of strings',
      ),
      seg,
      pair.value,
    );
    return;
  }
  seqItems(pair.value).forEach((item, i) => {
    const err = kindError('string', item);
    if (err) ctx.error('type', err, [...seg, i], item ?? pair.value);
  });
}
