import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import type { TemplateMe } from '@/shared/api/contract/dials';
import { templateInputs } from '../pipeline/template-inputs';
import { DialsError } from './dials-errors';

/**
 * What a DIALS fetch needs from a template: the monitoring elements of its InputSignature (Dims
 * [-1, y_bin, x_bin] is a TH2, [-1, x_bin] a TH1) and the HLT path expression of its
 * `hltpathrates` InputMetadata.
 */

export async function readTemplateText(file: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new DialsError(
      'DIALS_BAD_REQUEST',
      `Cannot read the template ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`,
    );
  }
}

export function templateMesOf(text: string, source: string): TemplateMe[] {
  const inputs = templateInputs(text, source) ?? [];
  const out: TemplateMe[] = [];
  for (const i of inputs) {
    if (!i.monitoringElement) continue;
    const dims = i.dims?.map(Number) ?? null;
    const known = dims && dims.slice(1).every((d) => Number.isInteger(d) && d > 0);
    const dim = dims ? (dims.length >= 3 ? 2 : 1) : 2;
    out.push({ input: i.name, me: i.monitoringElement, dim, shape: known ? dims!.slice(1) : null });
  }
  if (!out.length)
    throw new DialsError(
      'DIALS_BAD_REQUEST',
      `${path.basename(source)} has no InputSignature entry with a MonitoringElement: there is nothing to fetch for it.`,
    );
  return out;
}

/** The path_name expression of the template's `hltpathrates` input metadata (null when it has none). */
export function templateHltRegex(text: string): string | null {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch {
    return null;
  }
  const resources = (doc as { Resources?: Record<string, { Properties?: { InputMetadata?: unknown } }> } | null)?.Resources;
  for (const res of Object.values(resources ?? {})) {
    const meta = res?.Properties?.InputMetadata;
    if (!Array.isArray(meta)) continue;
    for (const m of meta as Array<Record<string, unknown>>) {
      if (m?.Endpoint !== 'hltpathrates' || !Array.isArray(m.Filter)) continue;
      const f = (m.Filter as Array<Record<string, unknown>>).find((x) => x?.Name === 'path_name' && typeof x.Value === 'string');
      if (f) return f.Value as string;
    }
  }
  return null;
}
