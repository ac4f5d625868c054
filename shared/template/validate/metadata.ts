import type { Node, Pair } from 'yaml';
import { findPair } from '../document';
import { dismSays, type PathSegment } from '../problems';
import { pythonRegexError, regexTooLongToCheck } from '../regex';
import { FILTER_OPERATIONS, KNOWN_KEYS, METADATA_ENDPOINTS, METADATA_SOURCES } from '../schema';
import { didYouMean } from '../suggest';
import type { ValidationContext } from './context';
import { validateSignatures } from './signatures';
import { forEachListedMapping, required } from './fields';
import { enumError, scalarString } from './values';

export function validateMetadata(ctx: ValidationContext, pair: Pair<Node, Node | null> | undefined, seg: PathSegment[]): void {
  forEachListedMapping(ctx, pair, seg, { list: 'metadata sources', item: 'InputMetadata', keys: KNOWN_KEYS.metadata }, (item, s) => {
    required(ctx, item, 'Name', s, 'string', item);
    enumField(ctx, item, 'Source', s, METADATA_SOURCES);
    const endpoint = enumField(ctx, item, 'Endpoint', s, METADATA_ENDPOINTS);
    validateSignatures(ctx, item, item, s, 'Attributes');
    validateFilters(ctx, findPair(item, 'Filter'), [...s, 'Filter'], endpoint);
  });
}

function enumField(ctx: ValidationContext, map: Node, key: string, s: PathSegment[], values: readonly string[]): string | undefined {
  const node = required(ctx, map, key, s, 'string', map);
  const value = scalarString(node);
  if (value === undefined) return undefined;
  if (values.includes(value)) return value;
  const suggestion = didYouMean(value, values);
  ctx.error(
    'enum',
    enumError(key, value, values, suggestion),
    [...s, key],
    node,
    suggestion ? { kind: 'set-value', label: `Use ${suggestion}`, path: [...s, key], value: suggestion } : undefined,
  );
  return undefined;
}

function validateFilters(
  ctx: ValidationContext,
  pair: Pair<Node, Node | null> | undefined,
  seg: PathSegment[],
  endpoint: string | undefined,
): void {
  forEachListedMapping(ctx, pair, seg, { list: 'filters', item: 'EndpointFilter', keys: KNOWN_KEYS.filter }, (item, s) => {
    const name = scalarString(required(ctx, item, 'Name', s, 'string', item));
    const valueNode = required(ctx, item, 'Value', s, 'string', item);
    const opPair = findPair(item, 'Operation');
    let op = 'EQ';
    if (opPair) {
      const o = enumField(ctx, item, 'Operation', s, FILTER_OPERATIONS);
      if (o === undefined) return;
      op = o;
    }
    if (op !== 'LIST_AND_MATCH') return;
    if (endpoint !== undefined && (endpoint !== 'hltpathrates' || name !== 'path_name')) {
      const why = endpoint === 'hltpathrates' ? ` (and only with Filter Name 'path_name'; got '${name ?? ''}')` : '';
      const here = endpoint === 'hltpathrates' ? `Filter Name ${name ?? '(none)'}` : `Endpoint ${endpoint}`;
      ctx.error(
        'list-and-match',
        dismSays(
          `Operation LIST_AND_MATCH works only with Endpoint hltpathrates and Filter Name path_name (here: ${here}). Use Operation EQ, or change ${endpoint === 'hltpathrates' ? 'the Filter Name to path_name' : 'the Endpoint to hltpathrates'}.`,
          `LIST_AND_MATCH operation can only be used with Endpoint 'hltpathrates'. Got '${endpoint}' instead.${why}`,
        ),
        [...s, 'Operation'],
        opPair,
      );
    }
    const value = scalarString(valueNode);
    if (value !== undefined) {
      const tooLong = regexTooLongToCheck(value);
      if (tooLong) ctx.warn('regex-not-checked', `Filter Value ${tooLong}`, [...s, 'Value'], valueNode);
      const err = pythonRegexError(value);
      if (err)
        ctx.error(
          'regex',
          `The Filter Value is not a valid regular expression, which LIST_AND_MATCH needs: ${err}. Check the brackets, and escape special characters with \\.`,
          [...s, 'Value'],
          valueNode,
        );
    }
  });
}
