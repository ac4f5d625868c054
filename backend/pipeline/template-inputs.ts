import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import type { ModelPreset } from '@/shared/preset/model-preset';
import { findTemplates } from '../projects/project-folder';
import { inputError } from './input-error';

export interface TemplateInput {
  name: string;
  monitoringElement: string | null;
  dims: unknown[] | null;
}

/** InputSignature entries of the first resource that has one (null when the template has none). */
export function templateInputs(text: string, source: string): TemplateInput[] | null {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw inputError(`${source}: not valid YAML (${(err as Error).message.split('\n')[0]})`);
  }
  const resources = (doc as { Resources?: Record<string, { Properties?: { InputSignature?: unknown } }> } | null)?.Resources;
  for (const res of Object.values(resources ?? {})) {
    const sig = res?.Properties?.InputSignature;
    if (!Array.isArray(sig)) continue;
    return sig
      .filter((e): e is Record<string, unknown> => !!e && typeof e === 'object')
      .map((e) => ({
        name: String(e.Name ?? ''),
        monitoringElement: typeof e.MonitoringElement === 'string' ? e.MonitoringElement : null,
        dims: Array.isArray(e.Dims) ? e.Dims : null,
      }));
  }
  return null;
}

/**
 * The template's InputSignature must describe the preset's layers: same input name ↔ monitoring
 * element, and Dims [-1, rows, cols] equal to the raw map shape.
 */
function checkPresetAgainstTemplate(preset: ModelPreset, inputs: TemplateInput[], source: string): void {
  const problems: string[] = [];
  for (const layer of preset.layers) {
    const byName = inputs.find((i) => i.name === layer.name);
    const byMe = inputs.find((i) => i.monitoringElement === layer.monitoringElement);
    if (!byName && !byMe) {
      problems.push(
        `layer ${layer.name} (${layer.monitoringElement}) is not in the InputSignature (inputs: ${inputs.map((i) => i.name).join(', ') || 'none'})`,
      );
      continue;
    }
    const input = byName ?? byMe!;
    if (byName && input.monitoringElement !== null && input.monitoringElement !== layer.monitoringElement) {
      problems.push(
        `input ${input.name} is MonitoringElement ${input.monitoringElement}, but the preset's layer ${layer.name} is ${layer.monitoringElement}`,
      );
    } else if (!byName) {
      problems.push(
        `MonitoringElement ${layer.monitoringElement} is input "${input.name}" in the template but layer "${layer.name}" in the preset`,
      );
    }
    if (input.dims) {
      const [, rows, cols] = input.dims.map(Number);
      if (input.dims.length !== 3 || rows !== layer.shape[0] || cols !== layer.shape[1]) {
        problems.push(
          `input ${input.name} has Dims [${input.dims.join(', ')}], but the preset expects [-1, ${layer.shape[0]}, ${layer.shape[1]}]`,
        );
      }
    }
  }
  if (problems.length) throw inputError(`${source} does not match the model preset: ${problems.join('; ')}`);
}

/** Check the project's template (template.yaml or the first one found) against the preset; returns the template path. */
export async function checkProjectTemplate(projectDir: string, preset: ModelPreset): Promise<string | null> {
  const templates = await findTemplates(projectDir);
  if (!templates.length) return null;
  const file = path.join(projectDir, templates.includes('template.yaml') ? 'template.yaml' : templates[0]);
  const inputs = templateInputs(await fs.readFile(file, 'utf8'), file);
  if (inputs) checkPresetAgainstTemplate(preset, inputs, file);
  return file;
}
