import type { CliCommand } from '../command';
import { parseCommandArgs } from '../command';
import type { ProjectLocation } from '@/shared/api/contract';
import path from 'node:path';

/** The project location check as lines of text (also used before start-api). */
export function locationLines(loc: ProjectLocation): string[] {
  const lines: string[] = [];
  for (const p of loc.problems) {
    lines.push(`${p.severity === 'error' ? 'Error' : 'Warning'}: ${p.title}.`, `  ${p.message}`, `  What to do: ${p.fix}`);
  }
  return lines;
}

export const engineCommand: CliCommand = {
  name: 'engine',
  summary: 'Find the container engine (every place tried, in order) and, with --project, check that it can mount a project folder',
  usage: 'dism-studio engine [--project DIR] [--json]',
  async run(argv, io) {
    // Loaded when the command runs, so `dism-studio --help` does not load the engine client.
    const { discoverEngine, realDiscoveryHost } = await import('@/backend/engine/discovery');
    const { checkProjectLocation } = await import('@/backend/engine/project-location');
    const { values } = parseCommandArgs(argv, { json: { type: 'boolean' }, project: { type: 'string' } }, false);
    const { status, docker } = await discoverEngine(realDiscoveryHost(io.env));
    const location = values.project ? await checkProjectLocation(path.resolve(io.cwd, values.project), docker ?? null) : undefined;
    if (values.json) {
      io.out(JSON.stringify(location ? { ...status, location } : status, null, 2));
    } else {
      io.out(
        status.state === 'connected'
          ? `connected: ${status.kind} ${status.version} (API ${status.apiVersion}) at ${status.address}${status.rootless ? ', rootless' : ''}${status.selinux ? ', SELinux' : ''}`
          : 'Container engine not reachable.',
      );
      io.out('Tried, in order:');
      for (const t of status.tried) io.out(`  ${t.source.padEnd(40)} ${t.address}  ${t.outcome}${t.detail ? ` (${t.detail})` : ''}`);
      for (const n of status.notes ?? []) io.out(`Note: ${n}`);
      for (const a of status.advice) io.out(`→ ${a}`);
      if (status.podmanOffer)
        io.out(`→ ${status.podmanOffer.why} Start it yourself and keep it running while you work:\n    ${status.podmanOffer.command} &`);
      if (location) {
        const lines = locationLines(location);
        io.out(
          `Project ${location.dir}: ${location.filesystem ? `${location.filesystem.type} at ${location.filesystem.mountPoint}` : 'file system unknown'}; probe mount: ${location.probe.outcome} (${location.probe.detail}).`,
        );
        for (const l of lines.length ? lines : ['The engine can mount this project folder.']) io.out(l);
      }
    }
    return status.state === 'connected' && !location?.problems.some((p) => p.severity === 'error') ? 0 : 1;
  },
};
