import path from 'node:path';
import type Docker from 'dockerode';
import type { DialsChoice, DialsTarget, DismcliCommand, DismcliEvent, RunnerInfo, RunnerRecipe } from '@/shared/api/contract/dismcli';
import type { JobKind } from '@/shared/api/contract';
import type { JobSnapshotOf } from '@/shared/api/contract/job-kinds';
import { ApiError } from '@/shared/api/errors';
import type { EngineService } from '../engine/engine-service';
import { containerUserFor } from '../engine/run-container';
import type { JobManager } from '../jobs/job-manager';
import type { AppSettingsStore } from '../projects/app-settings';
import { loadDialsTarget, saveDialsTarget } from '../dials/dials-instance';
import { saveRecipe } from './recipe';
import { runDismcli } from './run-dismcli';
import { ensureRunnerImage, runnerInfo } from './runner-image';
import { recordOfficialBuild } from '../build-local/build-state';

/** How many runs' events are kept; only the latest runs matter to a screen that re-attaches. */
const KEPT_RUNS = 50;

/**
 * The official dismcli, run in the runner image as back-end jobs: the runner recipe and its image,
 * the DIALS instance per project, and `dismcli build` / `dismcli package` runs with their parsed
 * events (kept so a screen that re-attaches to a run sees the login URL again). One per back end.
 */
export class DismcliService {
  private readonly runEvents = new Map<string, Array<{ seq: number; event: DismcliEvent }>>();

  constructor(private readonly deps: { jobs: JobManager; engine: EngineService; settings: AppSettingsStore }) {}

  async runner(projectDir: string): Promise<RunnerInfo> {
    return runnerInfo(projectDir, await this.optionalEngine());
  }

  async saveRunner(projectDir: string, recipe: RunnerRecipe): Promise<RunnerInfo> {
    const saved = await saveRecipe(projectDir, recipe);
    return runnerInfo(projectDir, await this.optionalEngine(), saved);
  }

  async buildRunner(projectDir: string, force?: boolean): Promise<JobSnapshotOf<'dismcli.runner-build'>> {
    this.refuseIfRunning('dismcli.runner-build', projectDir, 'A runner image build');
    const docker = await this.deps.engine.client();
    return this.deps.jobs.start({
      kind: 'dismcli.runner-build',
      title: 'Build the dismcli runner image',
      scope: projectDir,
      run: (job) =>
        ensureRunnerImage(docker, projectDir, {
          force,
          signal: job.signal,
          log: (l) => job.log(l, 'stdout'),
          progress: (f, m) => job.progress(f, m),
        }),
    });
  }

  dials(projectDir: string): Promise<DialsTarget> {
    return loadDialsTarget(this.deps.settings, projectDir);
  }

  setDials(projectDir: string, choice: DialsChoice, customUrl?: string): Promise<DialsTarget> {
    return saveDialsTarget(this.deps.settings, projectDir, choice, customUrl);
  }

  async run({
    projectDir: dir,
    command,
    template,
    bindEngine,
  }: {
    projectDir: string;
    command: DismcliCommand;
    template?: string;
    bindEngine?: boolean;
  }): Promise<JobSnapshotOf<'dismcli.run'>> {
    this.refuseIfRunning('dismcli.run', dir, 'A dismcli command');
    if (command === 'build' && !template)
      throw new ApiError('INVALID_INPUT', 'Choose the template to build (relative to the project folder).', undefined, 'InvalidInputError');
    const docker = await this.deps.engine.client();
    const dials = await loadDialsTarget(this.deps.settings, dir);
    // Neither build nor package drives the engine (the known manual workaround runs both in a plain
    // container); the socket is bound only when asked for.
    const socket = bindEngine ? this.engineSocket() : null;
    const user = containerUserFor(this.deps.engine.current());
    return this.deps.jobs.start({
      kind: 'dismcli.run',
      title: `dismcli ${command} (${dials.choice} DIALS)`,
      scope: dir,
      run: async (job) => {
        job.progress(null, 'Preparing the dismcli runner image…');
        const { imageTag } = await ensureRunnerImage(docker, dir, {
          signal: job.signal,
          log: (l) => job.log(l, 'info'),
          progress: (f, m) => job.progress(f === null ? null : 0.3 * f, m),
        });
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
            const events = this.eventsOf(job.id);
            events.push({ seq: events.length + 1, event });
            job.chunk(event);
            if (event.type === 'login') job.progress(null, 'Waiting for you to log in to DIALS in the browser…');
            if (event.type === 'logged-in') job.progress(null, `Logged in; dismcli ${command} continues…`);
          },
        });
        if (!result.ok) {
          const first = result.problems[0];
          throw new ApiError(
            'DISMCLI_FAILED',
            first ? `${first.title}: ${first.message}` : `dismcli ${command} failed (exit code ${result.exitCode})`,
            result,
            'DismcliError',
          );
        }
        if (command === 'build' && template) {
          // Lets the Build & Run step tell an official build (DIALS checks passed) from a local one.
          await recordOfficialBuild(path.resolve(dir, template), {
            template,
            dialsUrl: dials.url,
            imageTag,
            finishedAt: new Date().toISOString(),
          });
        }
        return result;
      },
    });
  }

  /** The events a run has had so far (login URL, problems, …); NOT_FOUND for an unknown job. */
  events(jobId: string): Array<{ seq: number; event: DismcliEvent }> {
    this.deps.jobs.get(jobId);
    return [...this.eventsOf(jobId)];
  }

  private eventsOf(jobId: string): Array<{ seq: number; event: DismcliEvent }> {
    let list = this.runEvents.get(jobId);
    if (!list) {
      if (this.runEvents.size > KEPT_RUNS) this.runEvents.delete(this.runEvents.keys().next().value!);
      this.runEvents.set(jobId, (list = []));
    }
    return list;
  }

  private refuseIfRunning(kind: JobKind, projectDir: string, what: string): void {
    if (this.deps.jobs.list({ kind, scope: projectDir }).some((j) => j.state === 'running')) {
      throw new ApiError('BUSY', `${what} is already running for ${projectDir}; wait for it or cancel it first.`, undefined, 'BusyError');
    }
  }

  /** The engine when reachable; the recipe screen still works without one (and does not wait for a new probe). */
  private async optionalEngine(): Promise<Docker | null> {
    return this.deps.engine.current().state === 'unreachable' ? null : this.deps.engine.client().catch(() => null);
  }

  /** The engine's unix socket, to bind into the runner when dismcli drives the engine itself. */
  private engineSocket(): string | null {
    const address = this.deps.engine.current().address ?? '';
    if (address.startsWith('unix://')) return address.slice('unix://'.length);
    return address.startsWith('/') ? address : null;
  }
}
