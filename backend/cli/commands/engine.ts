import type { CliCommand } from '../command';
import { parseCommandArgs } from '../command';

export const engineCommand: CliCommand = {
  name: 'engine',
  summary: 'Find the container engine and print its kind and version',
  usage: 'dism-studio engine [--json]',
  async run(argv, io) {
    const { discoverEngine } = await import('@/backend/engine/discovery');
    const { values } = parseCommandArgs(argv, { json: { type: 'boolean' } }, false);
    const { status } = await discoverEngine(io.env);
    if (values.json) {
      io.out(JSON.stringify(status, null, 2));
    } else if (status.state === 'connected') {
      io.out(`connected: ${status.kind} ${status.version} (API ${status.apiVersion}) at ${status.address}`);
    } else {
      io.out('Container engine not reachable. Tried:');
      for (const t of status.tried) io.out(`  ${t.source.padEnd(24)} ${t.address}  ${t.outcome}${t.detail ? ` (${t.detail})` : ''}`);
      for (const a of status.advice) io.out(`→ ${a}`);
    }
    return status.state === 'connected' ? 0 : 1;
  },
};
