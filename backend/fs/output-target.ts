import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ApiError } from '@/shared/api/errors';
import { resolveWriteTarget } from './atomic-write';
import { realPathAllowMissing } from './paths';

/**
 * The one rule for files a command writes where the user told it to (`preview --json OUT`,
 * `--dump-stages DIR`, `infer --json OUT`, `new-template FILE`, the files `import-joblib` writes, …):
 *
 * 1. an output never replaces a file the same run reads — not even with --overwrite, and also not
 *    when the two names differ but lead to the same file through a link;
 * 2. an output never replaces an existing file unless the user said so (`--overwrite` in the CLI,
 *    a confirmation in the UI); without it the command stops before writing anything.
 *
 * Check every output before the first byte is written, so a refusal leaves the disk as it was.
 */
export interface OutputPlan {
  /** Outputs that exist now and will be replaced (allowed by overwrite). */
  replaces: string[];
}

export interface OutputCheck {
  /** Absolute paths of every file the run will write. */
  outputs: string[];
  /** Absolute paths of every file the run reads (links are followed when comparing). */
  inputs: Array<string | undefined>;
  overwrite: boolean;
  /** How the user allows replacing, for the message: "add --overwrite" (CLI) or "confirm" (UI). */
  allowHint?: string;
}

async function realOf(p: string): Promise<string> {
  return realPathAllowMissing(await resolveWriteTarget(p).catch(() => p));
}

export async function checkOutputs(check: OutputCheck): Promise<OutputPlan> {
  const inputs = new Map<string, string>();
  for (const i of check.inputs) if (i) inputs.set(await realOf(path.resolve(i)), path.resolve(i));
  const replaces: string[] = [];
  const existing: string[] = [];
  for (const o of check.outputs) {
    const abs = path.resolve(o);
    const real = await realOf(abs);
    const input = inputs.get(real);
    if (input !== undefined) {
      throw new ApiError(
        'OUTPUT_IS_INPUT',
        `${abs} is an input of this run${input !== abs ? ` (${input})` : ''}; writing the output there would destroy it. Choose another output name. Nothing was written.`,
        { output: abs, input },
        'OutputIsInputError',
      );
    }
    const st = await fs.lstat(abs).catch(() => null);
    if (!st) continue;
    if (st.isDirectory()) {
      throw new ApiError(
        'OUTPUT_IS_FOLDER',
        `${abs} is a folder; give a file name for the output. Nothing was written.`,
        { output: abs },
        'OutputExistsError',
      );
    }
    existing.push(abs);
  }
  if (existing.length && !check.overwrite) {
    const hint = check.allowHint ?? `add --overwrite to replace ${existing.length > 1 ? 'them' : 'it'}`;
    const first = existing[0];
    const more =
      existing.length > 1 ? ` (and ${existing.length - 1} more file${existing.length > 2 ? 's' : ''} in ${path.dirname(first)})` : '';
    throw new ApiError(
      'OUTPUT_EXISTS',
      `${first} already exists${more}; ${hint}. Nothing was written.`,
      { outputs: existing },
      'OutputExistsError',
    );
  }
  replaces.push(...existing);
  return { replaces };
}
