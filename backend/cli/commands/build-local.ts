import path from 'node:path';
import type { CliCommand } from '../command';
import { parseCommandArgs, UsageError } from '../command';

export const buildLocalCommand: CliCommand = {
  name: 'build-local',
  summary: 'Build .dism-artifacts/build/ offline, laid out as dismcli build does (DIALS checks not run)',
  usage: 'dism-studio build-local <template.yaml> [--json]',
  async run(argv, io) {
    const { buildLocal } = await import('@/backend/build-local/local-build');
    const { values, positionals } = parseCommandArgs(argv, { json: { type: 'boolean' } });
    if (positionals.length !== 1) throw new UsageError('give exactly one template.yaml');
    const res = await buildLocal(path.resolve(io.cwd, positionals[0]));
    if (values.json) {
      io.out(JSON.stringify(res, null, 2));
      return 0;
    }
    io.out(`Local build written to ${res.buildDir}  (local build — DIALS checks not run)`);
    io.out(`  template.yaml`);
    for (const r of res.resources) {
      io.out(`  ${r.key}/  (${r.type}, model ${r.name})`);
      for (const f of r.files) io.out(`    ${f}`);
    }
    for (const w of res.warnings) io.out(`warning: ${w}`);
    io.out('An official `dismcli build` would also do:');
    for (const a of res.officialBuildAdds) io.out(`  - ${a}`);
    return 0;
  },
};
