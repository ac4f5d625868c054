import { isMap, isScalar, type Node, type Pair } from 'yaml';
import { findPair, isNullNode, mapItems, type YNode } from '../document';
import type { PathSegment } from '../problems';
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
import { required } from './fields';
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
      'Input should be a valid dictionary: the template must be a mapping with TemplateFormatVersion, Description and Resources.',
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
    ctx.error(
      'required',
      'Field required: the template needs a Resources mapping (ResourceKey → resource).',
      ['Resources'],
      root.items[0] ?? root,
    );
    return;
  }
  if (!isMap(resources.value)) {
    ctx.error(
      'type',
      'Input should be a valid dictionary: Resources maps each ResourceKey to a resource.',
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
      `Field required: add TemplateFormatVersion: "${TEMPLATE_FORMAT_VERSION}" (quoted).`,
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
      `${pyDate} is not a valid TemplateFormatVersion: unquoted, YAML reads ${d} as a date. Write it quoted: TemplateFormatVersion: "${TEMPLATE_FORMAT_VERSION}".`,
      seg,
      node,
      fix,
    );
    return;
  }
  ctx.error(
    'format-version',
    `'${String(value)}' is not a valid TemplateFormatVersion. The supported version is "${TEMPLATE_FORMAT_VERSION}".`,
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
    ctx.error('type', `Input should be a valid dictionary: resource "${keyText}" needs Type, Workspace and Properties.`, base, res ?? pair);
    return;
  }
  ctx.unknownKeys(res.items as Pair[], base, KNOWN_KEYS.resource);
  const typeNode = required(ctx, res, 'Type', base, 'string', pair);
  required(ctx, res, 'Workspace', base, 'string', pair);
  const type = scalarString(typeNode);
  const typeOk = type !== undefined && validateType(ctx, type, [...base, 'Type'], typeNode as Node);
  const propsPair = findPair(res, 'Properties');
  if (!propsPair) {
    ctx.error('required', 'Field required: Properties is missing.', [...base, 'Properties'], pair);
    return;
  }
  if (!isMap(propsPair.value)) {
    ctx.error(
      'type',
      'Input should be a valid dictionary: Properties holds the model settings.',
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
  const fix = closest && closest !== type ? { kind: 'set-value' as const, label: `Use ${closest}`, path: seg, value: closest } : undefined;
  if (parts.length !== 3) {
    ctx.error('type-format', `Invalid Type format: ${type}. Expected format: 'SuperType::Framework::Model'.${hint}`, seg, node, fix);
    return false;
  }
  if (!SUPPORTED_TYPES.includes(type)) {
    const [sup, fw, model] = parts;
    const detail =
      sup !== SUPER_TYPE
        ? ` (unsupported SuperType: ${sup})`
        : !(FRAMEWORKS as readonly string[]).includes(fw)
          ? ` (unsupported ServingFramework: ${fw})`
          : !(MODEL_TYPES as readonly string[]).includes(model)
            ? ` (unsupported ModelType: ${model})`
            : '';
    ctx.error('type-unsupported', `Resource of type ${type} is not supported.${detail}${hint}`, seg, node, fix);
    return false;
  }
  return true;
}
