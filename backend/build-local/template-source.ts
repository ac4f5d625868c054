import path from 'node:path';
import { ApiError } from '@/shared/api/errors';
import { readTemplateText } from '../template/read-template-text';
// The one place that knows how templates are parsed and validated (issue 3's shared/template).
import { validateTemplateText } from '@/shared/template/validate';
import { modernDataType } from '@/shared/template/legacy';
import { resourceTypeSpec } from '@/shared/template/schema';
import { nodeAtPath } from '@/shared/template/document';
import { formatPath, type PathSegment } from '@/shared/template/problems';

/** What the build, start-api and inference need from a template resource (plain JS values). */
export interface ResourceView {
  key: string;
  type: string;
  framework: 'MLServer' | 'Tritonserver';
  model: string;
  properties: Record<string, unknown>;
}

export interface TemplateView {
  file: string;
  /** Folder the template's paths are relative to (dismcli runs there); also the project folder. */
  dir: string;
  /** The whole document as DISM reads it (YAML 1.1). */
  data: Record<string, unknown>;
  resources: ResourceView[];
  warnings: string[];
  /** Where a field is in the file: its dotted path and 1-based line (undefined when the template has no such field). */
  locate(segments: readonly PathSegment[]): TemplateField | undefined;
}

export interface TemplateField {
  /** e.g. `Resources.PixelNMF.Properties.InputSignature[0].Dims` */
  path: string;
  line: number;
}

export async function readTemplate(file: string): Promise<TemplateView> {
  const abs = path.resolve(file);
  const text = await readTemplateText(abs);
  const { parsed, problems } = validateTemplateText(text);
  const errors = problems.filter((p) => p.severity === 'error');
  if (errors.length) {
    const list = errors.slice(0, 12).map((p) => `  line ${p.line}:${p.column} ${p.path ? `${p.path}: ` : ''}${p.message}`);
    throw new ApiError(
      'TEMPLATE_INVALID',
      `${abs} has ${errors.length} error${errors.length > 1 ? 's' : ''}; fix ${errors.length > 1 ? 'them' : 'it'} in the Template step first:\n${list.join('\n')}${errors.length > 12 ? `\n  … and ${errors.length - 12} more` : ''}`,
      { problems: errors },
      'TemplateInvalidError',
    );
  }
  const data = (parsed.doc.toJS() ?? {}) as Record<string, unknown>;
  const resources = Object.entries((data.Resources ?? {}) as Record<string, Record<string, unknown>>).map(([key, r]) => {
    const spec = resourceTypeSpec(r.Type);
    if (!spec)
      throw new ApiError(
        'TEMPLATE_INVALID',
        `${abs}: Resources.${key}.Type ${String(r.Type)} is not supported`,
        undefined,
        'TemplateInvalidError',
      );
    return {
      key,
      type: spec.type,
      framework: spec.framework,
      model: spec.model,
      properties: (r.Properties ?? {}) as Record<string, unknown>,
    };
  });
  return {
    file: abs,
    dir: path.dirname(abs),
    data,
    resources,
    warnings: problems.filter((p) => p.severity === 'warning').map((p) => `${p.path}: ${p.message}`),
    locate(segments) {
      const node = nodeAtPath(parsed.doc, segments);
      if (!node?.range) return undefined;
      return { path: formatPath(segments), line: parsed.lineCounter.linePos(node.range[0]).line };
    },
  };
}

export function requireResource(t: TemplateView, key?: string): ResourceView {
  if (!key) {
    if (t.resources.length === 1) return t.resources[0];
    throw new ApiError(
      'RESOURCE_REQUIRED',
      `${t.file} has ${t.resources.length} resources (${t.resources.map((r) => r.key).join(', ')}); choose one.`,
      undefined,
      'UsageError',
    );
  }
  const r = t.resources.find((x) => x.key === key);
  if (!r)
    throw new ApiError(
      'NOT_FOUND',
      `No resource "${key}" in ${t.file}; it has ${t.resources.map((x) => x.key).join(', ') || 'none'}.`,
      undefined,
      'NotFoundError',
    );
  return r;
}

/** Plain DataType: `TYPE_FP32` (older DISM) → `FP32`. */
export function plainDataType(v: unknown): string {
  const s = String(v ?? '');
  return modernDataType(s) ?? s;
}

export interface SignatureEntry {
  name: string;
  dataType: string;
  dims: number[];
  monitoringElement?: string;
}

function list(v: unknown): Array<Record<string, unknown>> {
  return Array.isArray(v) ? (v.filter((x) => x && typeof x === 'object') as Array<Record<string, unknown>>) : [];
}

function entry(e: Record<string, unknown>, name = String(e.Name)): SignatureEntry {
  return {
    name,
    dataType: plainDataType(e.DataType),
    dims: Array.isArray(e.Dims) ? e.Dims.map(Number) : [],
    ...(typeof e.MonitoringElement === 'string' ? { monitoringElement: e.MonitoringElement } : {}),
  };
}

export function inputSignature(r: ResourceView): SignatureEntry[] {
  return list(r.properties.InputSignature).map((e) => entry(e));
}

export function outputSignature(r: ResourceView): SignatureEntry[] {
  return list(r.properties.OutputSignature).map((e) => entry(e));
}

export interface MetadataInput extends SignatureEntry {
  meta: string;
  attribute: string;
  endpoint: string;
}

/** One input per InputMetadata attribute, named `<Meta>__<Attr>` as DIALS sends it. */
export function metadataInputs(r: ResourceView): MetadataInput[] {
  return list(r.properties.InputMetadata).flatMap((m) =>
    list(m.Attributes).map((a) => ({
      ...entry(a, `${String(m.Name)}__${String(a.Name)}`),
      meta: String(m.Name),
      attribute: String(a.Name),
      endpoint: String(m.Endpoint),
    })),
  );
}

export function modelName(r: ResourceView): string {
  return String(r.properties.Name ?? r.key);
}
