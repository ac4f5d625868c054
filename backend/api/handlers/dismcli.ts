import path from 'node:path';
import type Docker from 'dockerode';
import type { DismcliEvent } from '../../../shared/api/contract/dismcli';
import { ApiError } from '../../../shared/api/errors';
import { loadDialsTarget, saveDialsTarget } from '../../dismcli/dials';
import { saveRecipe } from '../../dismcli/recipe';
import { runDismcli } from '../../dismcli/run-dismcli';
import { ensureRunnerImage, runnerInfo } from '../../dismcli/runner-image';
import { containerUserFor } from '../../engine/run-container';
import { writeFileAtomic } from '../../fs/atomic-write';
import { requireDirectory } from '../../projects/project-folder';
import type { BackendContext, HandlerMap } from '../types';

/** The engine when reachable; the recipe screen still works without one (and does not wait for a new probe). */
async function optionalEngine(ctx: BackendContext): Promise<Docker | null> {
  return ctx.engine.current().state === 'unreachable' ? null : ctx.engine.client().catch(() => null);
}

/** The engine's unix socket, to bind into the runner when dismcli drives the engine itself. */
function engineSocket(ctx: BackendContext): string | null {
  const address = ctx.engine.current().address ?? '';
  if (address.startsWith('unix://')) return address.slice('unix://'.length);
  return address.startsWith('/') ? address : null;
}

/** Events of each dismcli run, per back end, so a screen that re-attaches to a run sees the login URL again. */
const runEvents = new WeakMap<BackendContext['jobs'], Map<string, Array<{ seq: number; event: DismcliEvent }>>>();
function eventsOf(ctx: BackendContext, jobId: string): Array<{ seq: number; event: DismcliEvent }> {
  let byJob = runEvents.get(ctx.jobs);
  if (!byJob) runEvents.set(ctx.jobs, (byJob = new Map()));
  let list = byJob.get(jobId);
  if (!list) {
    // Only the latest runs matter; forget the oldest beyond a few dozen.
    if (byJob.size > 50) byJob.delete(byJob.keys().next().value!);
    byJob.set(jobId, (list = []));
  }
  return list;
}

function refuseIfRunning(ctx: BackendContext, kind: string, projectDir: string, what: string): void {
  if (ctx.jobs.list({ kind, scope: projectDir }).some((j) => j.state === 'running')) {
    throw new ApiError('BUSY', `${what} is already running for ${projectDir}; wait for it or cancel it first.`, undefined, 'BusyError');
  }
}

export const dismcliHandlers: HandlerMap<'dismcli.runner.get' | 'dismcli.runner.save' | 'dismcli.runner.build' | 'dismcli.dials.get' | 'dismcli.dials.set' | 'dismcli.run' | 'dismcli.events'> = {
  'dismcli.runner.get': async ({ projectDir }, ctx) => runnerInfo(await requireDirectory(projectDir), await optionalEngine(ctx)),

  'dismcli.runner.save': async ({ projectDir, recipe }, ctx) => {
    const dir = await requireDirectory(projectDir);
    const saved = await saveRecipe(dir, recipe);
    return runnerInfo(dir, await optionalEngine(ctx), saved);
  },

  'dismcli.runner.build': async ({ projectDir, force }, ctx) => {
    const dir = await requireDirectory(projectDir);
    refuseIfRunning(ctx, 'dismcli.runner-build', dir, 'A runner image build');
    const docker = await ctx.engine.client();
    return ctx.jobs.start({
      kind: 'dismcli.runner-build',
      title: 'Build the dismcli runner image',
      scope: dir,
      run: (job) => ensureRunnerImage(docker, dir, { force, signal: job.signal, log: (l) => job.log(l, 'stdout'), progress: (f, m) => job.progress(f, m) }),
    });
  },

  'dismcli.dials.get': async ({ projectDir }, ctx) => loadDialsTarget(ctx.settings, await requireDirectory(projectDir)),
  'dismcli.dials.set': async ({ projectDir, choice, customUrl }, ctx) => saveDialsTarget(ctx.settings, await requireDirectory(projectDir), choice, customUrl),

  'dismcli.run': async ({ projectDir, command, template, bindEngine }, ctx) => {
    const dir = await requireDirectory(projectDir);
    refuseIfRunning(ctx, 'dismcli.run', dir, 'A dismcli command');
    if (command === 'build' && !template) throw new ApiError('INVALID_INPUT', 'Choose the template to build (relative to the project folder).', undefined, 'InvalidInputError');
    const docker = await ctx.engine.client();
    const dials = await loadDialsTarget(ctx.settings, dir);
    // Neither build nor package drives the engine (the known manual workaround runs both in a plain
    // container); the socket is bound only when asked for.
    const socket = bindEngine ? engineSocket(ctx) : null;
    const user = containerUserFor(ctx.engine.current());
    return ctx.jobs.start({
      kind: 'dismcli.run',
      title: `dismcli ${command} (${dials.choice} DIALS)`,
      scope: dir,
      run: async (job) => {
        job.progress(null, 'Preparing the dismcli runner image…');
        const { imageTag } = await ensureRunnerImage(docker, dir, { signal: job.signal, log: (l) => job.log(l, 'info'), progress: (f, m) => job.progress(f === null ? null : 0.3 * f, m) });
        job.progress(null, `Running dismcli ${command} against ${dials.url}…`);
        const result = await runDismcli(docker, {
          projectDir: dir,
          command,
          template,
          dialsUrl: dials.url,
          imageTag,
          engineSocket: socket,
          user,
          signal: job.signal,
          onLine: (text) => job.log(text, 'stdout'),
          onEvent: (event) => {
            const events = eventsOf(ctx, job.id);
            events.push({ seq: events.length + 1, event });
            job.chunk(event);
            if (event.type === 'login') job.progress(null, 'Waiting for you to log in to DIALS in the browser…');
            if (event.type === 'logged-in') job.progress(null, `Logged in; dismcli ${command} continues…`);
          },
        });
        if (!result.ok) {
          const first = result.problems[0];
          throw new ApiError('DISMCLI_FAILED', first ? `${first.title}: ${first.message}` : `dismcli ${command} failed (exit code ${result.exitCode})`, result, 'DismcliError');
        }
        if (command === 'build' && template) {
          // Lets the Build & Run step tell an official build (DIALS checks passed) from a local one.
          await writeFileAtomic(path.join(path.dirname(path.resolve(dir, template)), '.dism-studio', 'official-build.json'), `${JSON.stringify({ template, dialsUrl: dials.url, imageTag, finishedAt: new Date().toISOString() }, null, 2)}\n`);
        }
        return result;
      },
    });
  },

  'dismcli.events': ({ jobId }, ctx) => {
    ctx.jobs.get(jobId); // NOT_FOUND for an unknown job
    return [...eventsOf(ctx, jobId)];
  },
};
