import { serializeError } from '@/shared/api/errors';
import { APP_VERSION } from '../version';
import { UsageError, type CliIO } from './command';
import { commands } from './commands/index';

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    `dism-studio ${APP_VERSION} — package, preview and run CMS DQM anomaly-detection models for DIALS`,
    '',
    'Usage: dism-studio <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run `dism-studio <command> --help` for a command's options. Most commands accept --json.",
  ].join('\n');
}

export async function runCli(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(help());
    return 0;
  }
  if (name === '--version' || name === '-v') {
    io.out(APP_VERSION);
    return 0;
  }
  const cmd = commands.find((c) => c.name === name);
  if (!cmd) {
    io.err(`Unknown command: ${name}\n\n${help()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(`${cmd.summary}\n\nUsage: ${cmd.usage}`);
    return 0;
  }
  try {
    return await cmd.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`${err.message}\n\nUsage: ${cmd.usage}`);
      return 2;
    }
    // The same words the UI shows: operating-system errors (ENOENT, EACCES, EISDIR…) in plain words.
    const e = serializeError(err);
    io.err(`${e.name && e.name !== 'Error' ? `${e.name}: ` : 'Error: '}${e.message}`);
    return 1;
  }
}

/** Entry when run as a program (bin/dism-studio.mjs → dist/node/cli.mjs). */
export async function main(): Promise<void> {
  const controller = new AbortController();
  // A reader that went away (`dism-studio … | head`) is not an error of ours: stop writing and end
  // quietly, instead of dying on an unhandled 'error' event of stdout/stderr.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') {
        controller.abort(new Error('Output closed'));
        process.exit(process.exitCode ?? 0);
      }
      process.exitCode = 1;
    });
  }
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort(new Error('Interrupted'));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const code = await runCli(process.argv.slice(2), {
    out: (t) => process.stdout.write(`${t}\n`),
    err: (t) => process.stderr.write(`${t}\n`),
    signal: controller.signal,
    cwd: process.cwd(),
    env: process.env,
  });
  process.exitCode = code;
}
