import path from 'node:path';
import type { CliCommand } from '../command';
import { parseCommandArgs, UsageError } from '../command';
// the skeletons (and the YAML library) are loaded when a template is written, not for every command
import { PRESETS, type PresetId } from '@/shared/template/preset-list';
import { SUPPORTED_TYPES } from '@/shared/template/schema';

export const newTemplateCommand: CliCommand = {
  name: 'new-template',
  summary: 'Write a valid, commented template.yaml skeleton for a resource type or a preset',
  usage: [
    'dism-studio new-template <file> (--type <Type> | --preset <preset>) [--name <name>] [--resource-key <key>] [--overwrite]',
    '',
    `  types:   ${SUPPORTED_TYPES.join('\n           ')}`,
    `  presets: ${PRESETS.map((p) => `${p.id} (${p.label})`).join(', ')}`,
  ].join('\n'),
  async run(argv, io) {
    const { BACKUP_SUFFIX, writeFileAtomic } = await import('@/backend/fs/atomic-write');
    const { presetText, templateSkeleton } = await import('@/shared/template/skeletons');
    const { checkOutputs } = await import('@/backend/fs/output-target');
    const { values, positionals } = parseCommandArgs(argv, {
      type: { type: 'string' },
      preset: { type: 'string' },
      name: { type: 'string' },
      'resource-key': { type: 'string' },
      overwrite: { type: 'boolean' },
      /** Older name of --overwrite. */
      force: { type: 'boolean' },
    });
    if (positionals.length !== 1) throw new UsageError('Give exactly one output file.');
    if (!!values.type === !!values.preset) throw new UsageError('Give either --type or --preset.');
    if (values.type && !SUPPORTED_TYPES.includes(values.type))
      throw new UsageError(`Unknown type ${values.type}. Supported: ${SUPPORTED_TYPES.join(', ')}`);
    if (values.preset && !PRESETS.some((p) => p.id === values.preset))
      throw new UsageError(`Unknown preset ${values.preset}. Available: ${PRESETS.map((p) => p.id).join(', ')}`);
    const file = path.resolve(io.cwd, positionals[0]);
    const { replaces } = await checkOutputs({
      outputs: [file],
      inputs: [],
      overwrite: Boolean(values.overwrite || values.force),
      allowHint: `add --overwrite to replace it (the old version is then kept as ${path.basename(file)}${BACKUP_SUFFIX})`,
    });
    const opts = { name: values.name, resourceKey: values['resource-key'] };
    const text = values.preset ? presetText(values.preset as PresetId, opts) : templateSkeleton({ type: values.type!, ...opts });
    const { backupPath } = await writeFileAtomic(file, text, { backup: replaces.length > 0 });
    io.out(
      `wrote ${path.relative(io.cwd, file) || file}${backupPath ? ` (the previous version is kept as ${path.relative(io.cwd, backupPath) || backupPath})` : ''}`,
    );
    return 0;
  },
};
