import path from 'node:path';
import type { CliCommand } from '../command';
import { parseCommandArgs, UsageError } from '../command';

export const importJoblibCommand: CliCommand = {
  name: 'import-joblib',
  summary: 'Import a trained PixelNMF (.joblib) for the preview: ONNX models and a preview preset next to the template',
  usage: [
    'dism-studio import-joblib <template.yaml> --resource KEY [--image IMAGE] [--overwrite] [--json]',
    '',
    "  Runs a short extraction in the model's runtime image (Properties.Image, or --image) with CodeUri",
    '  on sys.path, then writes preview-<KEY>/preset.json, nmf_<layer>.onnx, local_norm_*.npy, loss_mask_*.npy.',
    '  --overwrite  replace an earlier import there (its preset.json is kept as preset.json.dism-studio.bak)',
  ].join('\n'),
  async run(argv, io) {
    const { containerUserFor } = await import('@/backend/engine/run-container');
    const { discoverEngine, realDiscoveryHost } = await import('@/backend/engine/discovery');
    const { importJoblib, planImportOutputs } = await import('@/backend/import-joblib/import-joblib');
    const { values, positionals } = parseCommandArgs(argv, {
      resource: { type: 'string' },
      image: { type: 'string' },
      overwrite: { type: 'boolean' },
      json: { type: 'boolean' },
    });
    if (positionals.length !== 1) throw new UsageError('Give exactly one template.yaml.');
    if (!values.resource) throw new UsageError('Give --resource KEY (the resource in the template whose joblib to import).');
    const template = path.resolve(io.cwd, positionals[0]);
    // Before looking for an engine: an earlier import is replaced only with --overwrite.
    await planImportOutputs(template, values.resource, Boolean(values.overwrite));
    const { status, docker } = await discoverEngine(realDiscoveryHost(io.env));
    if (!docker) {
      io.err(`The extraction runs in a container, but no container engine is reachable. ${status.advice.join(' ')}`);
      return 1;
    }
    const r = await importJoblib(docker, {
      template,
      resource: values.resource,
      overwrite: Boolean(values.overwrite),
      image: values.image,
      user: containerUserFor(status),
      signal: io.signal,
      onLine: values.json ? undefined : (l) => io.err(`  | ${l}`),
    }).catch((err: Error & { details?: { output?: string[] } }) => {
      // Streamed live otherwise; with --json stdout stays machine-readable, so show it on stderr now.
      if (values.json && err.details?.output?.length)
        io.err(`extraction output (last lines):\n${err.details.output.map((l) => `  | ${l}`).join('\n')}`);
      throw err;
    });
    if (values.json) {
      io.out(JSON.stringify(r, null, 2));
      return 0;
    }
    io.out(
      `imported ${r.className} with ${r.image} (scikit-learn ${r.versions.sklearn ?? '?'}${r.versions.pickledWithSklearn ? `, pickled with ${r.versions.pickledWithSklearn}` : ''})`,
    );
    for (const l of r.layers)
      io.out(`  ${l.name.padEnd(8)} ${l.nComponents} components, input ${l.xshape.join('×')} → ${path.relative(io.cwd, l.onnx) || l.onnx}`);
    for (const w of r.warnings) io.out(`note: ${w}`);
    io.out(`preview preset: ${path.relative(io.cwd, r.presetFile) || r.presetFile}`);
    return 0;
  },
};
