import { isMap, isScalar, isSeq, type Node, type Pair } from 'yaml';
import { findPair, isNullNode, mapItems, seqItems, type YNode } from '../document';
import { dismSays, type PathSegment } from '../problems';
import {
  ALL_PROPERTY_KEYS,
  BASE_PROPERTY_KEYS,
  KNOWN_KEYS,
  NAME_MAX_LENGTH,
  NAME_PATTERN,
  TAG_NAME_MAX_LENGTH,
  TAG_NAME_PATTERN,
  type ResourceTypeSpec,
} from '../schema';
import { validateConditions } from './conditions';
import type { ValidationContext } from './context';
import { validateMetadata } from './metadata';
import { validateSignatures } from './signatures';
import { forEachListedMapping, optional, required } from './fields';
import { asBool, kindError, scalarString } from './values';

const NAME_RE = new RegExp(NAME_PATTERN);
const TAG_NAME_RE = new RegExp(TAG_NAME_PATTERN);
/** `module.Class`, the module possibly dotted (a package path under CodeUri). */
export const HANDLER_RE = /^([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\.([A-Za-z_][A-Za-z0-9_]*)$/;

export function validateProperties(
  ctx: ValidationContext,
  propsPair: Pair<Node, Node | null>,
  base: PathSegment[],
  spec: ResourceTypeSpec | undefined,
): void {
  const props = propsPair.value as Node;
  const known = spec ? [...BASE_PROPERTY_KEYS, ...spec.accepted] : ALL_PROPERTY_KEYS;
  ctx.unknownKeys((props as { items: Pair[] }).items, base, known, (key) =>
    spec && ALL_PROPERTY_KEYS.includes(key) ? `${key} is not used by resources of type ${spec.type} (DISM ignores it).` : undefined,
  );

  required(ctx, props, 'Description', base, 'string', propsPair);
  validateName(ctx, required(ctx, props, 'Name', base, 'string', propsPair), [...base, 'Name']);
  validateTags(ctx, findPair(props, 'Tags'), [...base, 'Tags']);
  optional(ctx, props, 'Image', base, 'string');
  const builtin = required(ctx, props, 'BuiltinThreshold', base, 'bool', propsPair);
  const anomaly = optional(ctx, props, 'AnomalyThreshold', base, 'number');
  const flagging = optional(ctx, props, 'FlaggingKey', base, 'string');
  const metric = optional(ctx, props, 'MetricKey', base, 'string');

  validateSignatures(ctx, props, propsPair, base, 'InputSignature');
  const outputsOk = validateSignatures(ctx, props, propsPair, base, 'OutputSignature');
  validateComputeResources(ctx, findPair(props, 'Resources'), [...base, 'Resources']);
  validateConditions(ctx, findPair(props, 'InferenceOnConditions'), [...base, 'InferenceOnConditions']);
  validateMetadata(ctx, findPair(props, 'InputMetadata'), [...base, 'InputMetadata']);

  if (spec) {
    for (const key of spec.required) {
      if (key === 'MaxBatchSize') required(ctx, props, key, base, 'int', propsPair);
      else required(ctx, props, key, base, 'string', propsPair);
    }
    for (const key of spec.accepted.filter((k) => !spec.required.includes(k))) optional(ctx, props, key, base, 'string');
    if (spec.framework === 'Tritonserver') validateBatchDims(ctx, props, base);
    const handler = findPair(props, 'Handler');
    const handlerValue = scalarString(handler?.value);
    if (spec.accepted.includes('Handler') && handlerValue !== undefined && !HANDLER_RE.test(handlerValue)) {
      ctx.error(
        'handler-format',
        `Handler "${handlerValue}" must be module.Class, e.g. app.Handler: the file app.py in the CodeUri folder must define class Handler.`,
        [...base, 'Handler'],
        handler?.value,
      );
    }
  }

  const typesOk =
    !kindError('bool', builtin) && [anomaly, flagging, metric].every((n, i) => !n || !kindError(i === 0 ? 'number' : 'string', n));
  if (builtin !== undefined && typesOk) validateThreshold(ctx, props, base, { builtin, anomaly, flagging, metric });
  if (outputsOk) validateOutputKeys(ctx, props, base, flagging, metric);
}

/**
 * Triton with MaxBatchSize > 0 puts its own batch dimension in front of the dims of config.pbtxt,
 * and DISM writes Dims there as they are (dismcli's generate_configpbtxt), batch dimension -1
 * included: [-1, 58, 72] becomes [-1, -1, 58, 72]. A model made for the [N, 58, 72] maps DIALS
 * sends then fails to load or refuses the request. Said once, at MaxBatchSize, with the fix.
 */
function validateBatchDims(ctx: ValidationContext, props: Node, base: PathSegment[]): void {
  const node = findPair(props, 'MaxBatchSize')?.value;
  const mbs = isScalar(node) && typeof node.value === 'number' && Number.isInteger(node.value) ? node.value : 0;
  if (mbs <= 0) return;
  const dimsOf = (item: unknown): number[] | undefined => {
    const d = findPair(item, 'Dims')?.value;
    return isSeq(d) ? seqItems(d).map((x) => (isScalar(x) ? Number(x.value) : NaN)) : undefined;
  };
  const items = [
    ...seqItems(findPair(props, 'InputSignature')?.value),
    ...seqItems(findPair(props, 'InputMetadata')?.value).flatMap((m) => seqItems(findPair(m, 'Attributes')?.value)),
    ...seqItems(findPair(props, 'OutputSignature')?.value),
  ];
  const first = items.map(dimsOf).find((d) => d && d[0] === -1);
  if (!first) return;
  ctx.warn(
    'triton-batch-dims',
    `MaxBatchSize ${mbs}: Triton then puts its own batch dimension in front of the dims of config.pbtxt, and DISM writes Dims there as they are, so Dims [${first.join(', ')}] become [-1, ${first.join(', ')}]. The model must take that extra dimension, and requests sent as DIALS sends them ([N, ${first.slice(1).join(', ')}]) do not fit it. Set MaxBatchSize: 0 unless the model is built for it.`,
    [...base, 'MaxBatchSize'],
    node,
    { kind: 'set-value', label: 'Set MaxBatchSize to 0', path: [...base, 'MaxBatchSize'], value: 0 },
  );
}

function validateName(ctx: ValidationContext, node: YNode, seg: PathSegment[]): void {
  const name = scalarString(node);
  if (name === undefined) return;
  if (name.length > NAME_MAX_LENGTH) {
    ctx.error(
      'name-length',
      dismSays(
        `The Name is ${name.length} characters long; at most ${NAME_MAX_LENGTH} fit, because DISM builds the service name {stage}-{workspace}-{Name}-{version} of at most 63 characters. Shorten it.`,
        `String should have at most ${NAME_MAX_LENGTH} characters`,
      ),
      seg,
      node,
    );
  }
  if (!NAME_RE.test(name)) {
    ctx.error(
      'name-format',
      dismSays(
        "The Name must be lowercase letters, digits, '-' and '.', starting and ending with a letter or digit (it becomes part of a Kubernetes service name).",
        `String violates RFC 1123 subdomain naming conventions. Validation is done by ${NAME_PATTERN}`,
      ),
      seg,
      node,
      suggestName(name, seg),
    );
  }
}

function suggestName(name: string, seg: PathSegment[]) {
  const fixed = name
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .replace(/-{2,}/g, '-')
    .slice(0, NAME_MAX_LENGTH)
    .replace(/[-.]+$/, '');
  return fixed && NAME_RE.test(fixed) && fixed !== name
    ? { kind: 'set-value' as const, label: `Use "${fixed}"`, path: seg, value: fixed }
    : undefined;
}

function validateTags(ctx: ValidationContext, pair: Pair<Node, Node | null> | undefined, seg: PathSegment[]): void {
  forEachListedMapping(ctx, pair, seg, { list: '{Name, Value} tags', item: 'Tag', keys: KNOWN_KEYS.tag }, (item, s) => {
    const nameNode = required(ctx, item, 'Name', s, 'string', item);
    required(ctx, item, 'Value', s, 'string', item);
    const name = scalarString(nameNode);
    if (name === undefined) return;
    if (name.length > TAG_NAME_MAX_LENGTH)
      ctx.error(
        'tag-name-length',
        dismSays(
          `A tag Name has at most ${TAG_NAME_MAX_LENGTH} characters; this one has ${name.length}.`,
          `String should have at most ${TAG_NAME_MAX_LENGTH} characters`,
        ),
        [...s, 'Name'],
        nameNode,
      );
    if (!TAG_NAME_RE.test(name))
      ctx.error(
        'tag-name-format',
        dismSays(
          "A tag Name may only hold lowercase letters, digits, '-' and '_'.",
          'String must contain only lowercase alphanumeric characters, hyphens, or underscores',
        ),
        [...s, 'Name'],
        nameNode,
      );
  });
}

interface ThresholdNodes {
  builtin: YNode;
  anomaly: YNode;
  flagging: YNode;
  metric: YNode;
}

/** dism_core's validate_threshold_logic, same options, same order, same messages. */
function validateThreshold(ctx: ValidationContext, props: Node, base: PathSegment[], n: ThresholdNodes): void {
  const builtin = asBool(n.builtin);
  const has = (node: YNode) => node !== undefined;
  const optionA = builtin === false && has(n.anomaly) && has(n.metric);
  if (optionA && has(n.flagging)) {
    ctx.error(
      'threshold',
      dismSays(
        'FlaggingKey cannot be used with BuiltinThreshold: false (then DISM flags with AnomalyThreshold on the MetricKey output). Remove FlaggingKey, or set BuiltinThreshold: true and remove AnomalyThreshold.',
        'Invalid configuration.\nFlaggingKey cannot be set if BuiltinThreshold = false',
      ),
      [...base, 'FlaggingKey'],
      n.flagging,
    );
    return;
  }
  const optionB = builtin === true && has(n.flagging);
  if (optionB && has(n.anomaly)) {
    ctx.error(
      'threshold',
      dismSays(
        "AnomalyThreshold cannot be used with BuiltinThreshold: true (then the model's FlaggingKey output decides). Remove AnomalyThreshold, or set BuiltinThreshold: false and remove FlaggingKey.",
        'Invalid configuration.\nAnomalyThreshold cannot be set if BuiltinThreshold = true',
      ),
      [...base, 'AnomalyThreshold'],
      n.anomaly,
    );
    return;
  }
  if (!optionA && !optionB) {
    const missingKeys = [...(has(n.anomaly) ? [] : ['AnomalyThreshold']), ...(has(n.metric) ? [] : ['MetricKey'])];
    const said =
      builtin === true
        ? 'With BuiltinThreshold: true, DISM needs FlaggingKey: the name of the model output that says whether a lumisection is flagged. Add FlaggingKey, or set BuiltinThreshold: false and give AnomalyThreshold and MetricKey.'
        : `With BuiltinThreshold: false, DISM needs AnomalyThreshold and MetricKey (missing: ${missingKeys.join(' and ')}): it flags a lumisection when the MetricKey output exceeds AnomalyThreshold. Add ${missingKeys.length > 1 ? 'them' : 'it'}, or set BuiltinThreshold: true and give FlaggingKey.`;
    ctx.error(
      'threshold',
      dismSays(
        said,
        'Invalid configuration. You must specify either:\n- AnomalyThreshold (not None) and MetricKey (not None) with BuiltinThreshold = False\nOR\n- BuiltinThreshold = True and FlaggingKey (not None).',
      ),
      [...base, 'BuiltinThreshold'],
      n.builtin ?? props,
    );
  }
}

function validateOutputKeys(ctx: ValidationContext, props: Node, base: PathSegment[], flagging: YNode, metric: YNode): void {
  const outputs = findPair(props, 'OutputSignature')?.value;
  const names = seqItems(outputs).map((o) => (isMap(o) ? scalarString(findPair(o, 'Name')?.value) : undefined));
  for (const [key, node] of [
    ['FlaggingKey', flagging],
    ['MetricKey', metric],
  ] as const) {
    const value = scalarString(node);
    if (value !== undefined && value !== '' && !names.includes(value)) {
      const known = names.filter((x): x is string => !!x);
      ctx.error(
        'output-key',
        `${key} names the output "${value}", but OutputSignature has no output of that name${known.length ? ` (it has ${known.join(', ')})` : ''}.`,
        [...base, key],
        node,
      );
    }
  }
}

function validateComputeResources(ctx: ValidationContext, pair: Pair<Node, Node | null> | undefined, seg: PathSegment[]): void {
  if (!pair || isNullNode(pair.value)) return;
  if (!isMap(pair.value)) {
    ctx.error(
      'type',
      dismSays('Resources must be a mapping with Requests and/or Limits.', 'Input should be a valid dictionary'),
      seg,
      pair.value,
    );
    return;
  }
  ctx.unknownKeys(pair.value.items as Pair[], seg, KNOWN_KEYS.computeResources);
  for (const which of ['Requests', 'Limits']) {
    const p = findPair(pair.value, which);
    if (!p || isNullNode(p.value)) continue;
    const s = [...seg, which];
    if (!isMap(p.value)) {
      ctx.error(
        'type',
        dismSays(`${which} must be a mapping with cpu, memory and/or gpu.`, 'Input should be a valid dictionary'),
        s,
        p.value,
      );
      continue;
    }
    ctx.unknownKeys(p.value.items as Pair[], s, KNOWN_KEYS.resourceSpec);
    for (const item of mapItems(p.value)) {
      const key = isScalar(item.key) ? String(item.key.value) : '';
      if (!(KNOWN_KEYS.resourceSpec as readonly string[]).includes(key)) continue;
      const v = item.value;
      if (isNullNode(v)) continue;
      const err = kindError('string', v);
      if (err) {
        const shown = isScalar(v) ? String(v.value) : '';
        ctx.error(
          'type',
          dismSays(`Write ${key} as text in quotes, ${key}: "${shown}": Kubernetes quantities are text.`, 'Input should be a valid string'),
          [...s, key],
          v,
          shown ? { kind: 'set-value', label: `Quote as "${shown}"`, path: [...s, key], value: shown } : undefined,
        );
      }
    }
    if (findPair(p.value, 'gpu') && findPair(p.value, 'nvidia.com/gpu')) {
      ctx.warn(
        'gpu-alias',
        'gpu and nvidia.com/gpu are the same setting (nvidia.com/gpu is an alias); keep one.',
        [...s, 'nvidia.com/gpu'],
        findPair(p.value, 'nvidia.com/gpu'),
      );
    }
  }
}
