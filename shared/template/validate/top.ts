import { isMap, isScalar, type Node, type Pair } from 'yaml';
import { findPair, isNullNode, mapItems, type YNode } from '../document';
import { dismSays, type PathSegment } from '../problems';
import {
  KNOWN_KEYS,
  RESOURCE_KEY_PATTERN,
  SUPER_TYPE,
  FRAMEWORKS,
  MODEL_TYPES,
  SUPPORTED_TYPES,
  TEMPLATE_FORMAT_VERSION,
  resourceTypeSpec,
} from '../schema';
import { didYouMean } from '../suggest';
import type { ValidationContext } from './context';
import { validateProperties } from './properties';
import { missing, required } from './fields';
import { scalarString } from './values';

const RESOURCE_KEY_RE = new RegExp(RESOURCE_KEY_PATTERN);

export function validateRoot(ctx: ValidationContext): void {
  const root = ctx.parsed.doc.contents as YNode;
  if (isNullNode(root)) {
    ctx.error('empty-template', 'The template is empty: it needs TemplateFormatVersion, Description and Resources.', [], {
      from: 0,
      to: 0,
    });
    return;
  }
  if (!isMap(root)) {
    ctx.error(
      'root-not-mapping',
      dismSays(
        'The template must be a mapping with TemplateFormatVersion, Description and Resources (keys with values, not a list or a single value).',
        'Input should be a valid dictionary',
      ),
      [],
      root,
    );
    return;
  }
  ctx.unknownKeys(root.items as Pair[], [], KNOWN_KEYS.top);
  validateFormatVersion(ctx, findPair(root, 'TemplateFormatVersion'), root);
  required(ctx, root, 'Description', [], 'string', root);
  const resources = findPair(root, 'Resources');
  if (!resources) {
    ctx.error('required', missing('Resources', 'It maps each ResourceKey to a resource.'), ['Resources'], root.items[0] ?? root);
    return;
  }
  if (!isMap(resources.value)) {
    ctx.error(
      'type',
      dismSays('Resources must be a mapping from each ResourceKey to its resource.', 'Input should be a valid dictionary'),
      ['Resources'],
      resources.value ?? resources,
    );
    return;
  }
  if (resources.value.items.length === 0)
    ctx.error('no-resources', 'Resources is empty: declare at least one resource.', ['Resources'], resources);
  for (const pair of mapItems(resources.value)) validateResource(ctx, pair);
}

function validateFormatVersion(ctx: ValidationContext, pair: Pair<Node, Node | null> | undefined, root: Node): void {
  const seg = ['TemplateFormatVersion'];
  if (!pair) {
    ctx.error(
      'required',
      missing('TemplateFormatVersion', `Add TemplateFormatVersion: "${TEMPLATE_FORMAT_VERSION}" (in quotes).`),
      seg,
      (root as { items?: Pair[] }).items?.[0] ?? root,
      {
        kind: 'set-value',
        label: `Set to "${TEMPLATE_FORMAT_VERSION}"`,
        path: seg,
        value: TEMPLATE_FORMAT_VERSION,
      },
    );
    return;
  }
  const node = pair.value;
  const value = node && isScalar(node) ? node.value : null;
  if (value === TEMPLATE_FORMAT_VERSION) return;
  const fix = { kind: 'set-value' as const, label: `Set to "${TEMPLATE_FORMAT_VERSION}"`, path: seg, value: TEMPLATE_FORMAT_VERSION };
  if (value instanceof Date) {
    const d = value.toISOString().slice(0, 10);
    const pyDate = `datetime.date(${value.getUTCFullYear()}, ${value.getUTCMonth() + 1}, ${value.getUTCDate()})`;
    ctx.error(
      'format-version',
      dismSays(
        `TemplateFormatVersion must be text in quotes: unquoted, YAML reads ${d} as a date. Write TemplateFormatVersion: "${TEMPLATE_FORMAT_VERSION}".`,
        `${pyDate} is not a valid TemplateFormatVersion`,
      ),
      seg,
      node,
      fix,
    );
    return;
  }
  ctx.error(
    'format-version',
    dismSays(
      `TemplateFormatVersion "${String(value)}" is not one DISM supports: write "${TEMPLATE_FORMAT_VERSION}".`,
      `'${String(value)}' is not a valid TemplateFormatVersion`,
    ),
    seg,
    node ?? pair,
    fix,
  );
}

function validateResource(ctx: ValidationContext, pair: Pair<Node, Node | null>): void {
  const key = isScalar(pair.key) ? pair.key.value : undefined;
  const keyText = String(key);
  const base: PathSegment[] = ['Resources', keyText];
  if (typeof key !== 'string' || !RESOURCE_KEY_RE.test(key) || key.length > 255) {
    ctx.error(
      'resource-key',
      `Resource key "${keyText}" cannot be used as a folder name under .dism-artifacts/build/: use letters, digits, '-', '_' or '.', starting with a letter or digit.`,
      base,
      pair,
    );
  }
  const res = pair.value;
  if (!isMap(res)) {
    ctx.error(
      'type',
      dismSays(`Resource "${keyText}" must be a mapping with Type, Workspace and Properties.`, 'Input should be a valid dictionary'),
      base,
      res ?? pair,
    );
    return;
  }
  ctx.unknownKeys(res.items as Pair[], base, KNOWN_KEYS.resource);
  const typeNode = required(ctx, res, 'Type', base, 'string', pair);
  required(ctx, res, 'Workspace', base, 'string', pair);
  const type = scalarString(typeNode);
  const typeOk = type !== undefined && validateType(ctx, type, [...base, 'Type'], typeNode as Node);
  const propsPair = findPair(res, 'Properties');
  if (!propsPair) {
    ctx.error('required', missing('Properties', "It holds the model's settings."), [...base, 'Properties'], pair);
    return;
  }
  if (!isMap(propsPair.value)) {
    ctx.error(
      'type',
      dismSays("Properties must be a mapping of the model's settings.", 'Input should be a valid dictionary'),
      [...base, 'Properties'],
      propsPair.value ?? propsPair,
    );
    return;
  }
  validateProperties(ctx, propsPair, [...base, 'Properties'], typeOk ? resourceTypeSpec(type) : undefined);
}

/** DISM's checks, in its order: split into three parts, then the supported combinations. */
function validateType(ctx: ValidationContext, type: string, seg: PathSegment[], node: Node): boolean {
  const parts = type.split('::');
  const closest = didYouMean(type, SUPPORTED_TYPES);
  const hint = closest && closest !== type ? ` Did you mean ${closest}?` : '';
  const dismFormat = `Invalid Type format: ${type}. Expected format: 'SuperType::Framework::Model'.`;
  const fix = closest && closest !== type ? { kind: 'set-value' as const, label: `Use ${closest}`, path: seg, value: closest } : undefined;
  if (parts.length !== 3) {
    ctx.error(
      'type-format',
      dismSays(
        `Type "${type}" must have three parts, SuperType::Framework::Model, e.g. InferenceService::MLServer::SKLearn.${hint}`,
        dismFormat,
      ),
      seg,
      node,
      fix,
    );
    return false;
  }
  if (!SUPPORTED_TYPES.includes(type)) {
    const [sup, fw, model] = parts;
    const why =
      sup !== SUPER_TYPE
        ? `the first part must be ${SUPER_TYPE}, not ${sup}`
        : !(FRAMEWORKS as readonly string[]).includes(fw)
          ? `the serving framework must be ${FRAMEWORKS.join(' or ')}, not ${fw}`
          : !(MODEL_TYPES as readonly string[]).includes(model)
            ? `there is no model type ${model}`
            : `${fw} does not serve ${model} models`;
    ctx.error(
      'type-unsupported',
      dismSays(`DISM does not support Type ${type}: ${why}.${hint}`, `Resource of type ${type} is not supported.`),
      seg,
      node,
      fix,
    );
    return false;
  }
  return true;
}
