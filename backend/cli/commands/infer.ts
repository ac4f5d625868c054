import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { CliCommand } from '../command';
import type { ResourceView, TemplateView } from '@/backend/build-local/template-source';
import { parseCommandArgs, parseDataFiles, UsageError } from '../command';
import { readFailure } from '@/backend/pipeline/input-error';

async function templateFor(
  model: string,
  explicit: string | undefined,
  cwd: string,
): Promise<{ template: TemplateView; resource: ResourceView; file: string }> {
  const { readTemplate } = await import('@/backend/build-local/template-source');
  const { findTemplates } = await import('@/backend/projects/project-folder');
  const files = explicit ? [path.resolve(cwd, explicit)] : (await findTemplates(cwd)).map((f) => path.join(cwd, f));
  if (!files.length)
    throw new UsageError('no template.yaml here; give --template FILE (it says which inputs and metadata the model takes)');
  for (const f of files) {
    const template = await readTemplate(f);
    const resource = template.resources.find((r) => r.properties.Name === model);
    if (resource) return { template, resource, file: f };
  }
  throw new UsageError(`no resource with Properties.Name "${model}" in ${files.join(', ')}`);
}

/** `{"lumisections": [{"flagged": …}]}` as `dism-studio preview --json` writes it, or a plain JSON list of booleans. */
async function readPreviewFlags(file: string): Promise<boolean[]> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--preview ${file}: ${readFailure(err)}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--preview ${file}: not valid JSON (${(err as Error).message}); give the file written by preview --json`);
  }
  if (Array.isArray(doc)) return doc.map(Boolean);
  const ls = (doc as { lumisections?: Array<{ flagged?: boolean }> }).lumisections;
  if (!Array.isArray(ls)) throw new UsageError(`${file}: expected preview --json output ({"lumisections": [...]}) or a list of booleans`);
  return ls.map((l) => Boolean(l.flagged));
}

function show(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toPrecision(5);
  if (Array.isArray(v)) return `[${v.length}…]`;
  return String(v);
}

export const inferCommand: CliCommand = {
  name: 'infer',
  summary: 'Send the DIALS-style Open Inference Protocol request to a model server and print per-LS outputs',
  usage:
    'dism-studio infer --url URL --model NAME [--data NAME=FILE …] [--oms FILE] [--hlt FILE] [--runs FILE --lumis FILE] [--template FILE] [--preview PREVIEW.json] [--json OUT [--overwrite]]',
  async run(argv, io) {
    const { runInference } = await import('@/backend/inference/run-inference');
    const { writeFileAtomic } = await import('@/backend/fs/atomic-write');
    const { checkOutputs } = await import('@/backend/fs/output-target');
    const { values } = parseCommandArgs(
      argv,
      {
        url: { type: 'string' },
        model: { type: 'string' },
        data: { type: 'string', multiple: true },
        oms: { type: 'string' },
        hlt: { type: 'string' },
        runs: { type: 'string' },
        lumis: { type: 'string' },
        template: { type: 'string' },
        preview: { type: 'string' },
        json: { type: 'string' },
        overwrite: { type: 'boolean' },
      },
      false,
    );
    if (!values.url || !values.model) throw new UsageError('--url and --model are required');
    const files = Object.fromEntries(Object.entries(parseDataFiles(values.data)).map(([name, file]) => [name, path.resolve(io.cwd, file)]));
    const { template, resource, file: templateFile } = await templateFor(values.model, values.template, io.cwd);
    const abs = (p?: string) => (p ? path.resolve(io.cwd, p) : undefined);
    const jsonFile = abs(values.json);
    // Before the request: the output may not replace an input, nor an existing file without --overwrite.
    if (jsonFile) {
      await checkOutputs({
        outputs: [jsonFile],
        inputs: [
          ...Object.values(files),
          abs(values.oms),
          abs(values.hlt),
          abs(values.runs),
          abs(values.lumis),
          abs(values.preview),
          templateFile,
        ],
        overwrite: Boolean(values.overwrite),
      });
    }
    const result = await runInference({
      url: values.url,
      model: values.model,
      resource,
      template,
      baseDir: io.cwd,
      data: { files, oms: abs(values.oms), hlt: abs(values.hlt), runs: abs(values.runs), lumis: abs(values.lumis) },
      previewFlags: values.preview ? await readPreviewFlags(path.resolve(io.cwd, values.preview)) : undefined,
      signal: io.signal,
    });
    for (const w of result.warnings) io.err(`warning: ${w}`);
    if (jsonFile) await writeFileAtomic(jsonFile, `${JSON.stringify(result, null, 1)}\n`);
    const names = result.outputNames;
    io.out(`${'run'.padStart(8)} ${'LS'.padStart(6)}  ${names.map((n) => n.padStart(10)).join(' ')}`);
    for (const l of result.lumisections)
      io.out(
        `${String(l.run ?? '').padStart(8)} ${String(l.ls ?? l.index).padStart(6)}  ${names.map((n) => show(l.outputs[n]).padStart(10)).join(' ')}`,
      );
    io.out(`${result.lumisections.length} lumisections in ${result.batches} request(s), ${result.elapsedMs} ms`);
    const d = result.decision;
    if (d)
      io.out(
        `DIALS would flag ${d.flagged} of ${result.lumisections.length} lumisections (${d.rule === 'FlaggingKey' ? `FlaggingKey output ${d.output} true` : `MetricKey output ${d.output} above AnomalyThreshold ${d.threshold}`})${
          d.flagged
            ? `: ${result.lumisections
                .filter((l) => l.flagged)
                .map((l) => `${l.run ?? ''}:${l.ls ?? l.index}`)
                .join(', ')}`
            : ''
        }`,
      );
    if (result.comparison) {
      const c = result.comparison;
      io.out(`${result.flaggingKey} vs preview: ${c.agree}/${c.compared} agree${c.note ? ` (${c.note})` : ''}`);
      for (const d of c.disagreements) io.out(`  differs: run ${d.run} LS ${d.ls}: server ${d.server}, preview ${d.preview}`);
      if (c.disagreements.length) return 1;
    }
    if (jsonFile) io.out(`Wrote ${jsonFile}`);
    return 0;
  },
};
