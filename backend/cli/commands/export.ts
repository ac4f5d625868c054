import path from 'node:path';
import type { ArtifactPart } from '@/shared/api/contract/export';
import { ApiError } from '@/shared/api/errors';
import type { CliCommand } from '../command';
import { parseCommandArgs, UsageError } from '../command';

function formatBytes(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MB` : n >= 1024 ? `${(n / 1024).toFixed(1)} kB` : `${n} B`;
}

export const exportCommand: CliCommand = {
  name: 'export',
  summary: 'Export .dism-artifacts (build and/or package) to a folder, .zip or .tar.gz with a SHA-256 manifest',
  usage: [
    'dism-studio export <project dir> --to <folder | file.zip | file.tar.gz> [--parts build,package] [--overwrite] [--json]',
    '',
    '  --to         a folder to create (or an empty one), or an archive file; written atomically',
    '  --parts      which parts of .dism-artifacts to export (default: every part that exists)',
    '  --overwrite  replace an existing target (without it an existing target is never touched)',
  ].join('\n'),
  async run(argv, io) {
    const { exportArtifacts } = await import('@/backend/export/export-artifacts');
    const { values, positionals } = parseCommandArgs(argv, {
      to: { type: 'string' },
      parts: { type: 'string' },
      overwrite: { type: 'boolean' },
      force: { type: 'boolean' },
      json: { type: 'boolean' },
    });
    if (positionals.length !== 1) throw new UsageError('Give exactly one project folder.');
    if (!values.to) throw new UsageError('Give --to <folder | file.zip | file.tar.gz>.');
    const parts = values.parts
      ?.split(',')
      .map((p) => p.trim())
      .filter(Boolean);
    for (const p of parts ?? [])
      if (p !== 'build' && p !== 'package') throw new UsageError(`Unknown part "${p}": use build, package or build,package.`);
    try {
      const r = await exportArtifacts({
        projectDir: path.resolve(io.cwd, positionals[0]),
        to: path.resolve(io.cwd, values.to),
        parts: parts as ArtifactPart[] | undefined,
        overwrite: Boolean(values.overwrite || values.force),
        signal: io.signal,
      });
      if (values.json) io.out(JSON.stringify(r, null, 2));
      else {
        io.out(
          `exported ${r.manifest.parts.join(' + ')} (${r.manifest.files.length} files, ${formatBytes(r.manifest.totalBytes)}) to ${r.target}${r.replaced ? ' (replaced the previous one)' : ''}`,
        );
        io.out(
          `manifest with SHA-256 of every file: ${r.format === 'folder' ? path.join(r.target, 'manifest.json') : `manifest.json inside ${path.basename(r.target)}`}`,
        );
      }
      return 0;
    } catch (err) {
      if (err instanceof ApiError && err.code === 'TARGET_EXISTS') {
        io.err(
          `${err.message.replace(' Confirm to replace it, or choose another name.', '')} Nothing was written; add --overwrite to replace it.`,
        );
        return 1;
      }
      throw err;
    }
  },
};
