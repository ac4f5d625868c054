import path from 'node:path';
import type { CliCommand } from '../command';
import { parseCommandArgs, UsageError } from '../command';
import { locationLines } from './engine';

function intOption(v: string | undefined, name: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max} (got ${v})`);
  return n;
}

export const startApiCommand: CliCommand = {
  name: 'start-api',
  summary: 'Build, run the model server container, wait until ready, serve until interrupted, then stop and remove it',
  usage: 'dism-studio start-api <template.yaml> --resource KEY [--image IMAGE] [--port N] [--timeout SECONDS] [--fix-permissions] [--json]',
  async run(argv, io) {
    const { createServices } = await import('@/backend/api/create-backend');
    const { defaultUserDataDir } = await import('@/backend/host/user-data-dir');
    const { checkProjectLocation } = await import('@/backend/engine/project-location');
    const { values, positionals } = parseCommandArgs(argv, {
      resource: { type: 'string' },
      image: { type: 'string' },
      port: { type: 'string' },
      timeout: { type: 'string' },
      'fix-permissions': { type: 'boolean' },
      json: { type: 'boolean' },
    });
    if (positionals.length !== 1) throw new UsageError('give exactly one template.yaml');
    const json = Boolean(values.json);
    const say = (text: string) => (json ? io.err(text) : io.out(text));
    // The app's services, built as the app builds them (only the model server manager does work here).
    const services = createServices({
      userDataDir: defaultUserDataDir(io.env),
      env: io.env,
      events: {
        engineStatus: () => undefined,
        jobs: {
          update: () => undefined,
          chunk: () => undefined,
          // Only our server runs as a job here: its output goes to stdout/stderr as it arrives (to stderr with --json).
          log: (l) => {
            if (l.stream === 'stderr' || json) io.err(l.stream === 'info' ? `· ${l.text}` : l.text);
            else io.out(l.stream === 'info' ? `· ${l.text}` : l.text);
          },
        },
      },
    });
    const manager = services.modelServers;
    const templateFile = path.resolve(io.cwd, positionals[0]);
    try {
      // Before the start: a project the engine cannot mount (on /eos, or not shared with its VM) is explained now.
      const docker = await services.engine.client().catch(() => null);
      const location = docker ? await checkProjectLocation(path.dirname(templateFile), docker).catch(() => null) : null;
      for (const line of location ? locationLines(location) : []) io.err(line);
      const run = await manager.start({
        templateFile,
        resourceKey: values.resource,
        image: values.image,
        port: intOption(values.port, 'port', 1, 65535),
        readyTimeoutS: intOption(values.timeout, 'timeout', 1, 3600),
        build: 'always',
        fixPermissions: Boolean(values['fix-permissions']),
      });
      const onInterrupt = () => void manager.stop(run.id);
      io.signal.addEventListener('abort', onInterrupt, { once: true });
      try {
        const ready = await manager.waitReady(run.id);
        if (ready.portNote) say(ready.portNote);
        if (json)
          io.out(
            JSON.stringify({
              url: ready.url,
              model: ready.modelName,
              image: ready.image,
              containerId: ready.containerId,
              readyMs: ready.readyMs,
            }),
          );
        else
          io.out(
            `Ready: ${ready.url}  (model ${ready.modelName}, image ${ready.image}, ${((ready.readyMs ?? 0) / 1000).toFixed(1)} s). Press Ctrl+C to stop.`,
          );
      } catch (err) {
        await manager.waitEnded(run.id);
        if (io.signal.aborted) return 130;
        throw err;
      }
      const ended = await manager.waitEnded(run.id);
      io.signal.removeEventListener('abort', onInterrupt);
      if (ended.state === 'stopped') {
        say(`Stopped and removed the container. Logs saved in ${ended.runDir}`);
        return 0;
      }
      io.err(ended.error?.message ?? `The model server ended: ${ended.state}`);
      return 1;
    } finally {
      await services.dispose();
    }
  },
};
