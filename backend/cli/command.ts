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

export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T, allowPositionals = true) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
