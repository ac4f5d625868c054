import { parseArgs, type ParseArgsConfig } from 'node:util';

export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  /** Aborted on SIGINT/SIGTERM: long commands stop cleanly. */
  signal: AbortSignal;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export interface CliCommand {
  name: string;
  summary: string;
  /** Usage lines shown by `dism-studio <name> --help`. */
  usage: string;
  /** Returns the exit code. Throwing prints the error and exits 1. */
  run(argv: string[], io: CliIO): Promise<number>;
}

/** Thrown for wrong arguments: printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** `--data NAME=FILE …` (one file per layer or input) as NAME → FILE. */
export function parseDataFiles(values: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values ?? []) {
    const eq = v.indexOf('=');
    if (eq <= 0 || eq === v.length - 1) throw new UsageError(`--data expects NAME=FILE (e.g. BPix2=raw_BPix2.npy), got "${v}"`);
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T, allowPositionals = true) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
