import { isMap, isScalar, isSeq, type Node, type Pair } from 'yaml';
import { findPair, seqItems, type YNode } from '../document';
import { dismSays, type PathSegment } from '../problems';
import { modernDataType } from '../legacy';
import { DATA_TYPES, KNOWN_KEYS, KNOWN_ME_SHAPES } from '../schema';
import { didYouMean } from '../suggest';
import type { ValidationContext } from './context';
import { missing, required } from './fields';
import { enumError, kindError, scalarString } from './values';

type SignatureKind = 'InputSignature' | 'OutputSignature' | 'Attributes';

/** Validate a required signature list in `parent`; true when it is a list DISM can read. */
export function validateSignatures(
  ctx: ValidationContext,
  parent: Node,
  parentPair: Pair | Node,
  base: PathSegment[],
  key: SignatureKind,
): boolean {
  const pair = isMap(parent) ? findPair(parent, key) : undefined;
  const seg = [...base, key];
  if (!pair) {
    ctx.error('required', missing(key), seg, parentPair);
    return false;
  }
  if (!isSeq(pair.value)) {
    ctx.error(
      'type',
      dismSays(
        `${key} must be a list of the ${key === 'OutputSignature' ? 'model outputs' : key === 'Attributes' ? 'attributes to fetch' : 'monitoring elements the model reads'}.`,
        'Input should be a valid list',
      ),
      seg,
      pair.value ?? pair,
    );
    return false;
  }
  const seen = new Map<string, number>();
  seqItems(pair.value).forEach((item, i) => {
    const s = [...seg, i];
    if (!isMap(item)) {
      ctx.error(
        'type',
        dismSays(
          `Each ${key} entry must be a mapping (Name, ${key === 'InputSignature' ? 'MonitoringElement, ' : ''}DataType, Dims).`,
          `Input should be a valid dictionary or instance of ${key === 'InputSignature' ? 'InputSignature' : key === 'OutputSignature' ? 'OutputSignature' : 'BaseSignature'}`,
        ),
        s,
        item ?? pair.value,
      );
      return;
    }
    const known =
      key === 'InputSignature' ? KNOWN_KEYS.inputSignature : key === 'OutputSignature' ? KNOWN_KEYS.outputSignature : KNOWN_KEYS.attribute;
    ctx.unknownKeys(item.items as Pair[], s, known);
    const nameNode = required(ctx, item, 'Name', s, 'string', item);
    const name = scalarString(nameNode);
    if (name !== undefined) {
      if (seen.has(name))
        ctx.warn(
          'duplicate-name',
          `Duplicate ${key} name "${name}" (also entry ${seen.get(name)}): names must be unique.`,
          [...s, 'Name'],
          nameNode,
        );
      else seen.set(name, i);
    }
    let me: string | undefined;
    if (key === 'InputSignature') me = scalarString(required(ctx, item, 'MonitoringElement', s, 'string', item));
    validateDataType(ctx, item, s);
    validateDims(ctx, item, s, key, me);
  });
  return true;
}

function validateDataType(ctx: ValidationContext, item: Node, s: PathSegment[]): void {
  const node = required(ctx, item, 'DataType', s, 'string', item);
  const value = scalarString(node);
  if (value === undefined || (DATA_TYPES as readonly string[]).includes(value)) return;
  const seg = [...s, 'DataType'];
  const stripped = modernDataType(value);
  if (stripped) {
    ctx.warn(
      'legacy-datatype',
      `Legacy DataType "${value}" (the spelling older DISM required): DISM reads it as ${stripped}; write ${stripped}.`,
      seg,
      node,
      {
        kind: 'migrate-legacy-datatypes',
        label: 'Migrate all TYPE_* data types',
      },
    );
    return;
  }
  const suggestion = didYouMean(value.toUpperCase().replace(/^TYPE_/, ''), DATA_TYPES);
  ctx.error(
    'datatype',
    enumError('DataType', value, DATA_TYPES, suggestion),
    seg,
    node,
    suggestion ? { kind: 'set-value', label: `Use ${suggestion}`, path: seg, value: suggestion } : undefined,
  );
}

function validateDims(ctx: ValidationContext, item: Node, s: PathSegment[], key: SignatureKind, me: string | undefined): void {
  const pair = findPair(item, 'Dims');
  const seg = [...s, 'Dims'];
  if (!pair) {
    ctx.error('required', missing('Dims', "Give the batch dimension -1, then the histogram's bins, e.g. [-1, 58, 72]."), seg, item);
    return;
  }
  if (!isSeq(pair.value)) {
    ctx.error(
      'type',
      dismSays('Dims must be a list of whole numbers, e.g. [-1, 58, 72].', 'Input should be a valid list'),
      seg,
      pair.value ?? pair,
    );
    return;
  }
  const dims: number[] = [];
  let ok = true;
  seqItems(pair.value).forEach((d, j) => {
    const err = kindError('int', d);
    if (err) {
      ctx.error('type', err, [...seg, j], d ?? pair.value);
      ok = false;
    } else dims.push(Number(isScalar(d) ? d.value : NaN));
  });
  if (!ok) return;
  if (dims.length === 0) {
    ctx.warn('dims-rank', 'Dims is empty: give the batch dimension -1 followed by the shape, e.g. [-1, 58, 72].', seg, pair.value);
    return;
  }
  if (dims[0] !== -1)
    ctx.warn(
      'dims-batch',
      `Dims should start with -1, the batch dimension (one entry per lumisection); got ${dims[0]}.`,
      [...seg, 0],
      seqItems(pair.value)[0],
    );
  dims.slice(1).forEach((d, j) => {
    if (d <= 0 && d !== -1)
      ctx.warn(
        'dims-size',
        `Dims entry ${d} after the batch dimension must be a positive size.`,
        [...seg, j + 1],
        seqItems(pair.value)[j + 1],
      );
  });
  if (key !== 'InputSignature') return;
  const shape = dims.slice(1);
  if (dims[0] === -1 && (shape.length < 1 || shape.length > 2)) {
    ctx.warn(
      'dims-rank',
      `Dims [${dims.join(', ')}] has ${shape.length} dimension(s) after the batch; a monitoring element is a 1D or 2D histogram: [-1, nx] or [-1, nx, ny].`,
      seg,
      pair.value,
    );
  }
  const known = me ? KNOWN_ME_SHAPES[me] : undefined;
  if (known && dims[0] === -1 && (shape.length !== 2 || shape[0] !== known[0] || shape[1] !== known[1])) {
    ctx.warn(
      'dims-me-shape',
      `${(me ?? '').split('/').pop()} is a ${known[0]}×${known[1]} histogram, so Dims should be [-1, ${known[0]}, ${known[1]}]; got [${dims.join(', ')}].`,
      seg,
      pair.value,
      {
        kind: 'set-value',
        label: `Set Dims to [-1, ${known[0]}, ${known[1]}]`,
        path: seg,
        value: [-1, known[0], known[1]],
      },
    );
  }
}

export type { YNode };
