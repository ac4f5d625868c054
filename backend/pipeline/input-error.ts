import { promises as fs } from 'node:fs';
import { ApiError } from '@/shared/api/errors';
import { systemErrorReason } from '@/shared/api/system-errors';

/** Bad input data or model files: the message names the file, the key and expected vs actual. */
export function inputError(message: string, details?: unknown): ApiError {
  return new ApiError('PIPELINE_INPUT_INVALID', message, details, 'PipelineInputError');
}

/**
 * Why an input file could not be read, in the words every input message uses: "file not found" or
 * "cannot read it: permission denied" ("HLT rate file not found", "cannot read the HLT rate file: …"
 * with `what`).
 */
export function readFailure(err: unknown, what?: string): string {
  if ((err as NodeJS.ErrnoException).code === 'ENOENT') return what ? `${what} file not found` : 'file not found';
  return `cannot read ${what ? `the ${what} file` : 'it'}: ${systemErrorReason(err)}`;
}

/** An input JSON file, parsed; a missing, unreadable or malformed file is an inputError naming it. */
export async function readJsonInput(file: string, what?: string): Promise<unknown> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw inputError(`${file}: ${readFailure(err, what)}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw inputError(`${file}: not valid JSON (${(err as Error).message})`);
  }
}
