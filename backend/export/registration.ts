import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import type { ExportSummary, RegistrationRequest } from '@/shared/api/contract/export';
import { artifactsRoot, collectPart, existingParts } from './collect';

const REGISTRATION_TITLE = '[Request] Model registration';

interface ResourceLike {
  Type?: unknown;
  Workspace?: unknown;
  Properties?: Record<string, unknown>;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
}

function namesOf(list: unknown, field: string): string[] {
  return Array.isArray(list) ? list.map((e) => str((e as Record<string, unknown>)?.[field])).filter((s): s is string => !!s) : [];
}

/**
 * The text DIALS expects in a model-registration request: its title, what the model is and does,
 * and the packaged template attached. Built from the packaged template so it describes what ships.
 */
function registrationRequest(templateText: string, attachment: string): RegistrationRequest {
  const doc = (parse(templateText) ?? {}) as { Description?: unknown; Resources?: Record<string, ResourceLike> };
  const lines: string[] = ['Hello DIALS team,', '', 'please register the following model.', ''];
  const templateDescription = str(doc.Description);
  if (templateDescription) lines.push(`Template: ${templateDescription}`, '');
  for (const [key, res] of Object.entries(doc.Resources ?? {})) {
    const p = res?.Properties ?? {};
    lines.push(`Model: ${str(p.Name) ?? key} (resource ${key})`);
    lines.push(`Description: ${str(p.Description) ?? '(no description in the template — please add Properties.Description)'}`);
    if (str(res.Type)) lines.push(`Type: ${str(res.Type)}`);
    if (str(res.Workspace)) lines.push(`Workspace: ${str(res.Workspace)}`);
    const mes = (Array.isArray(p.InputSignature) ? p.InputSignature : [])
      .map((e) => str((e as Record<string, unknown>).MonitoringElement) ?? str((e as Record<string, unknown>).Name))
      .filter((s): s is string => !!s);
    if (mes.length) lines.push('Monitoring elements:', ...mes.map((m) => `  - ${m}`));
    const outputs = namesOf(p.OutputSignature, 'Name');
    if (outputs.length) lines.push(`Outputs: ${outputs.join(', ')}`);
    if (str(p.FlaggingKey) || str(p.MetricKey))
      lines.push(`Flagging key: ${str(p.FlaggingKey) ?? '-'}; metric key: ${str(p.MetricKey) ?? '-'}`);
    const cond = p.InferenceOnConditions as Record<string, unknown> | undefined;
    const datasets = Array.isArray(cond?.AllowedPrimaryDatasets) ? cond.AllowedPrimaryDatasets.map(String) : [];
    if (datasets.length) lines.push(`Primary datasets: ${datasets.join(', ')}`);
    if (cond?.MinRunNumber != null)
      lines.push(`Runs: from ${String(cond.MinRunNumber)}${cond.MaxRunNumber != null ? ` to ${String(cond.MaxRunNumber)}` : ''}`);
    lines.push('');
  }
  lines.push(`The packaged template is attached (${attachment}).`, '', 'Thank you!');
  return { title: REGISTRATION_TITLE, body: lines.join('\n'), attachment };
}

export async function exportSummary(projectDir: string): Promise<ExportSummary> {
  const dir = path.resolve(projectDir);
  const present = await existingParts(dir);
  const parts = await Promise.all(
    (['build', 'package'] as const).map(async (part) => {
      if (!present.includes(part)) return { part, exists: false, files: 0, bytes: 0 };
      const files = await collectPart(dir, part).catch(() => []);
      return { part, exists: true, files: files.length, bytes: files.reduce((a, f) => a + f.size, 0) };
    }),
  );
  const templateFile = path.join(artifactsRoot(dir), 'package', 'template.yaml');
  const packageTemplate = await fs.readFile(templateFile, 'utf8').catch(() => null);
  let registration: RegistrationRequest | null = null;
  if (packageTemplate !== null) {
    try {
      registration = registrationRequest(packageTemplate, 'package/template.yaml');
    } catch {
      registration = {
        title: REGISTRATION_TITLE,
        body: 'The packaged template could not be read as YAML; attach package/template.yaml and describe the model here.',
        attachment: 'package/template.yaml',
      };
    }
  }
  return { projectDir: dir, parts, packageTemplate, registration, suggestedName: `${path.basename(dir)}-dism-artifacts` };
}
