import path from 'node:path';
import type { CheckResult, ModelCheckReport, VendorPlan } from '@/shared/api/contract/model-check';
import type { CliCommand, CliIO } from '../command';
import { parseCommandArgs, UsageError } from '../command';

const MARK: Record<CheckResult['status'], string> = { ok: '✔', warning: '!', error: '✖', skipped: '–' };

// The back-end modules are loaded when a command runs, so `dism-studio --help` loads none of them.
async function engineAndCache(io: CliIO) {
  const { realDiscoveryHost } = await import('@/backend/engine/candidates');
  const { discoverEngine } = await import('@/backend/engine/discovery');
  const { containerUserFor } = await import('@/backend/engine/run-container');
  const { defaultUserDataDir } = await import('@/backend/host/user-data-dir');
  const { imageModulesDir } = await import('@/backend/model-check/check-service');
  const { ImageModulesCache } = await import('@/backend/model-check/image-modules');
  const { status, docker } = await discoverEngine(realDiscoveryHost(io.env));
  return {
    docker: docker ?? null,
    engineAdvice: docker ? undefined : status.advice.join(' '),
    cache: new ImageModulesCache(imageModulesDir(defaultUserDataDir(io.env))),
    user: containerUserFor(status),
  };
}

export function formatReport(r: ModelCheckReport, cwd: string): string {
  const lines = [
    `Will DIALS load it? ${path.relative(cwd, r.templateFile) || r.templateFile} · ${r.resourceKey} (${r.framework} ${r.modelType}) · image ${r.image}${r.imagePython ? ` (Python ${r.imagePython})` : ''}`,
    '',
  ];
  for (const c of r.checks) {
    lines.push(`${MARK[c.status]} ${c.title}: ${c.summary}`);
    for (const f of c.findings) {
      const where = f.file ? `${f.file}${f.line ? `:${f.line}` : ''}: ` : '';
      lines.push(`    ${f.severity === 'error' ? 'error' : f.severity === 'warning' ? 'warning' : 'note'}: ${where}${f.message}`);
    }
    if (c.traceback?.length && c.status === 'error')
      lines.push('    traceback (last frames):', ...c.traceback.map((t) => `      ${t.replace(/\n/g, '\n      ')}`));
    if (c.versions?.length)
      for (const v of c.versions)
        lines.push(`    ${v.package}: saved with ${v.pickled}, image has ${v.image ?? 'none'}${v.match ? '' : '  ← differs'}`);
    for (const fx of c.status === 'ok' ? [] : c.fixes)
      lines.push(`    fix: ${fx.text}${fx.action === 'vendor' ? ' (dism-studio vendor <template.yaml>)' : ''}`);
  }
  lines.push('', r.headline);
  return lines.join('\n');
}

export const checkModelCommand: CliCommand = {
  name: 'check-model',
  summary: 'Will DIALS load it? Check imports, the pickled model, a load in the runtime image and library versions',
  usage: [
    'dism-studio check-model <template.yaml> [--resource KEY] [--image IMAGE] [--pull] [--json]',
    '',
    '  Resolves every import under CodeUri against the model folder, the standard library and the',
    "  runtime image's packages; reads the ModelUri pickle without running it; loads the model and the",
    '  handler in the image (no network, CodeUri read-only); compares scikit-learn/numpy/joblib versions.',
    '  --pull  pull the runtime image first when it is not on this machine',
    '  Exit code 1 when any check fails.',
  ].join('\n'),
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      resource: { type: 'string' },
      image: { type: 'string' },
      pull: { type: 'boolean' },
      json: { type: 'boolean' },
    });
    if (positionals.length !== 1) throw new UsageError('Give exactly one template.yaml.');
    const { runModelCheck } = await import('@/backend/model-check/model-check');
    const deps = await engineAndCache(io);
    const report = await runModelCheck(deps, {
      templateFile: path.resolve(io.cwd, positionals[0]),
      resourceKey: values.resource,
      image: values.image,
      pull: Boolean(values.pull),
      signal: io.signal,
      onProgress: values.json ? undefined : (m) => io.err(`· ${m}`),
    });
    io.out(values.json ? JSON.stringify(report, null, 2) : formatReport(report, io.cwd));
    return report.errors ? 1 : 0;
  },
};

function formatPlan(p: VendorPlan): string {
  const lines: string[] = [];
  if (p.modules.length)
    lines.push('Modules to vendor into the model folder:', ...p.modules.map((m) => `  ${m.module} (${m.from}) → ${m.flatName}.py`), '');
  for (const f of p.files) lines.push(f.diff.trimEnd(), '');
  for (const n of p.notes) lines.push(`note: ${n}`);
  for (const r of p.refusals) lines.push(`refused: ${r}`);
  return lines.join('\n');
}

export const vendorCommand: CliCommand = {
  name: 'vendor',
  summary: 'Copy the local modules the model folder needs into it (flat imports), showing the diff; fix the pickle’s module paths',
  usage: [
    'dism-studio vendor <template.yaml> [--resource KEY] [--dry-run] [--image IMAGE] [--json]',
    'dism-studio vendor <template.yaml> [--resource KEY] --fix-pickle redump|alias [--image IMAGE]',
    '',
    '  Copies every module CodeUri imports from elsewhere in the project (and what those import) into',
    '  CodeUri as flat modules and rewrites the imports (from tools import dftools → import dftools).',
    '  Prints the diff; --dry-run writes nothing. Replaced files are kept as <file>.dism-studio.bak.',
    '  A name clash refuses the whole plan. When the pickled model names a module path that vendoring',
    '  changes, run again with --fix-pickle: redump (load and save the model again in the runtime image',
    '  from the vendored code; the old file is kept as .dism-studio.bak) or alias (small alias modules).',
  ].join('\n'),
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      resource: { type: 'string' },
      image: { type: 'string' },
      'dry-run': { type: 'boolean' },
      'fix-pickle': { type: 'string' },
      json: { type: 'boolean' },
    });
    if (positionals.length !== 1) throw new UsageError('Give exactly one template.yaml.');
    const templateFile = path.resolve(io.cwd, positionals[0]);
    const { addAliases, redumpModel, vendorApply, vendorPlan } = await import('@/backend/model-check/vendor');
    const deps = await engineAndCache(io);
    const fix = values['fix-pickle'];
    if (fix !== undefined) {
      if (fix !== 'redump' && fix !== 'alias') throw new UsageError('--fix-pickle takes redump or alias.');
      if (fix === 'alias') {
        const r = await addAliases(templateFile, values.resource);
        io.out(values.json ? JSON.stringify(r, null, 2) : r.written.map((f) => `wrote ${path.relative(io.cwd, f)}`).join('\n'));
        return 0;
      }
      if (!deps.docker) {
        io.err(`The re-dump runs in the runtime image, but no container engine is reachable. ${deps.engineAdvice ?? ''}`);
        return 1;
      }
      const r = await redumpModel(deps.docker, {
        templateFile,
        resourceKey: values.resource,
        image: values.image,
        user: deps.user,
        signal: io.signal,
        onLine: (l) => io.err(`  | ${l}`),
      });
      io.out(
        values.json
          ? JSON.stringify(r, null, 2)
          : [
              `re-dumped ${path.relative(io.cwd, r.modelFile)} in ${r.image}${r.backup ? ` (previous file: ${path.relative(io.cwd, r.backup)})` : ''}`,
              ...r.renamed.map((x) => `  ${x.from} → ${x.to}`),
            ].join('\n'),
      );
      return 0;
    }
    const plan = await vendorPlan(templateFile, values.resource, deps, values.image);
    if (values['dry-run'] || plan.refusals.length) {
      io.out(
        values.json
          ? JSON.stringify(plan, null, 2)
          : `${formatPlan(plan)}\n${plan.refusals.length ? 'Vendoring refused; nothing was written.' : 'dry run: nothing was written.'}`,
      );
      return plan.refusals.length ? 1 : 0;
    }
    if (!plan.files.length) {
      io.out('The model folder imports nothing from outside it: nothing to vendor.');
      return 0;
    }
    if (!values.json) io.out(formatPlan(plan));
    const r = await vendorApply(templateFile, values.resource, plan.planId, deps, values.image);
    if (values.json) io.out(JSON.stringify({ plan, result: r }, null, 2));
    else {
      io.out(r.written.map((f) => `wrote ${path.relative(io.cwd, f)}`).join('\n'));
      if (r.backups.length) io.out(`previous versions kept: ${r.backups.map((f) => path.relative(io.cwd, f)).join(', ')}`);
      if (r.pickleChanges.length)
        io.out(
          `The pickled model still names ${r.pickleChanges.map((c) => c.pickled).join(', ')}: fix it with\n  dism-studio vendor ${positionals[0]} --fix-pickle redump   (recommended: saves the model again from the vendored code)\n  dism-studio vendor ${positionals[0]} --fix-pickle alias    (adds small alias modules instead)`,
        );
      io.out('Run dism-studio check-model again to see the result.');
    }
    return 0;
  },
};
