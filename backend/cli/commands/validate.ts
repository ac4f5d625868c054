import path from 'node:path';
import type { CliCommand } from '../command';
import { parseCommandArgs, UsageError } from '../command';

export const validateCommand: CliCommand = {
  name: 'validate',
  summary: "Check a template.yaml with DISM's rules plus file checks; exit 0 when valid (warnings allowed), 1 when not",
  usage:
    "dism-studio validate <template.yaml> [--json] [--project <dir>]\n\n  --project  folder that paths may not leave (default: the template's folder, where dismcli runs)",
  async run(argv, io) {
    const { validateTemplateFile } = await import('@/backend/template/validate-file');
    const { values, positionals } = parseCommandArgs(argv, { json: { type: 'boolean' }, project: { type: 'string' } });
    if (positionals.length !== 1) throw new UsageError('Give exactly one template file.');
    const file = path.resolve(io.cwd, positionals[0]);
    const projectDir = values.project ? path.resolve(io.cwd, values.project) : path.dirname(file);
    const result = await validateTemplateFile(projectDir, file);
    if (values.json) {
      io.out(
        JSON.stringify(
          {
            valid: result.valid,
            problems: result.problems.map(({ severity, message, detail, path: p, line, column }) => ({
              severity,
              message,
              ...(detail ? { detail } : {}),
              path: p,
              line,
              column,
            })),
          },
          null,
          2,
        ),
      );
      return result.valid ? 0 : 1;
    }
    const shown = path.relative(io.cwd, file) || file;
    for (const p of result.problems) {
      const [first, ...rest] = p.message.split('\n');
      io.out(`${shown}:${p.line}:${p.column}: ${p.severity}: ${first}${p.path ? ` [${p.path}]` : ''}`);
      for (const r of rest) io.out(`    ${r}`);
      // DISM's own wording (as dismcli prints it) after the plain words.
      if (p.detail) for (const d of p.detail.split('\n')) io.out(`    ${d}`);
    }
    for (const n of result.notes) io.out(`note: ${n}`);
    const errors = result.problems.filter((p) => p.severity === 'error').length;
    const warnings = result.problems.length - errors;
    io.out(
      result.valid
        ? `${shown}: valid${warnings ? ` (${warnings} warning${warnings === 1 ? '' : 's'})` : ''}`
        : `${shown}: invalid: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`,
    );
    return result.valid ? 0 : 1;
  },
};
