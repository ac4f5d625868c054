import { EventEmitter } from 'node:events';
import { promises as fs } from 'node:fs';
import type { EngineStatus, EventName, EventPayload } from '@/shared/api/contract';
import type { DemoContributor } from '../demo/demo-project';
import { DialsService } from '../dials/dials-service';
import { DismcliService } from '../dismcli/dismcli-service';
import { EngineService } from '../engine/engine-service';
import { JobManager, type JobEvents } from '../jobs/job-manager';
import { demoModelServerContributor } from '../model-server/demo-handler';
import { ModelServerManager } from '../model-server/manager';
import { PipelineService } from '../pipeline/pipeline-service';
import { PreviewReports } from '../inspect/preview-reports';
import { AppSettingsStore } from '../projects/app-settings';
import { OpenedFolders } from '../projects/opened-folders';
import { TemplateDrafts } from '../template/drafts';
import { TemplateValidator } from '../template/template-validator';
import { createDispatcher, type AllHandlers } from './dispatcher';
import { appHandlers } from './handlers/app';
import { engineHandlers } from './handlers/engine';
import { jobHandlers } from './handlers/jobs';
import { projectHandlers } from './handlers/projects';
import { dismcliHandlers } from './handlers/dismcli';
import { exportHandlers } from './handlers/export';
import { templateHandlers } from './handlers/template';
import { modelServerHandlers } from './handlers/model-server';
import { pipelineHandlers } from './handlers/pipeline';
import { modelHandlers } from './handlers/models';
import { modelCheckHandlers } from './handlers/model-check';
import { ModelCheckService } from '../model-check/check-service';
import { dialsHandlers } from './handlers/dials';
import { inspectHandlers } from './handlers/inspect';
import type { BackendContext, BackendServices, HostAdapter } from './types';
import { APP_VERSION } from '../version';

/**
 * What every demo project the app generates gets besides the preview files: the model server
 * handler (demo-assets/mlserver-model), so Build & Run works on the demo too.
 */
export const APP_DEMO_CONTRIBUTORS: readonly DemoContributor[] = [demoModelServerContributor];

export interface ServiceOptions {
  userDataDir: string;
  env?: NodeJS.ProcessEnv;
  /** Where job progress, logs and chunks and engine status changes go (the API's events, or a CLI's output). */
  events: { jobs: JobEvents; engineStatus(status: EngineStatus): void };
}

/**
 * Every service of a back end, each created once, here and nowhere else (the composition root):
 * the API back end (createBackend) and the CLI commands that use services (start-api) build them
 * with this. Creating them does no work yet (no file read, thread or container before first use).
 */
export function createServices(opts: ServiceOptions): BackendServices & { dispose(): Promise<void> } {
  const jobs = new JobManager(opts.events.jobs);
  const engine = new EngineService(opts.events.engineStatus, opts.env ?? process.env);
  const settings = new AppSettingsStore(opts.userDataDir);
  const pipeline = new PipelineService(jobs);
  const services: BackendServices = {
    jobs,
    engine,
    settings,
    opened: new OpenedFolders(settings, opts.userDataDir),
    pipeline,
    reports: new PreviewReports(jobs, pipeline),
    modelServers: new ModelServerManager({ jobs, engine }),
    templateValidator: new TemplateValidator(),
    drafts: new TemplateDrafts(opts.userDataDir),
    dismcli: new DismcliService({ jobs, engine, settings }),
    modelCheck: new ModelCheckService({ jobs, engine, userDataDir: opts.userDataDir }),
    dials: new DialsService({ jobs, settings, userDataDir: opts.userDataDir, version: APP_VERSION }),
    demoContributors: APP_DEMO_CONTRIBUTORS,
  };
  return {
    ...services,
    async dispose() {
      engine.stopPolling();
      await jobs.cancelAll();
      // Closing the app stops every container it started, then the Podman service it started (if any).
      await services.modelServers.stopAll();
      await engine.dispose();
      await services.pipeline.dispose();
      await services.templateValidator.dispose();
    },
  };
}

export interface BackendOptions {
  host: HostAdapter;
  userDataDir: string;
  env?: NodeJS.ProcessEnv;
  /** Poll the engine periodically (off in unit tests). */
  pollEngine?: boolean;
  /** Start a pipeline worker ahead of the first preview run, and of each next one (PipelineService.prestart; default on). */
  prestartPipeline?: boolean;
}

export interface Backend {
  dispatch: ReturnType<typeof createDispatcher>;
  /** Subscribe to every event the back end emits (transports forward them). */
  onEvent(listener: (event: EventName, payload: unknown) => void): () => void;
  ctx: BackendContext;
  dispose(): Promise<void>;
}

/** Registry of every domain's handlers. Add new domains here. */
function allHandlers(): AllHandlers {
  return {
    ...appHandlers,
    ...engineHandlers,
    ...jobHandlers,
    ...projectHandlers,
    ...dismcliHandlers,
    ...exportHandlers,
    ...templateHandlers,
    ...modelServerHandlers,
    ...pipelineHandlers,
    ...modelHandlers,
    ...modelCheckHandlers,
    ...dialsHandlers,
    ...inspectHandlers,
  };
}

/** Wire services and handlers. Plain Node: no Electron import anywhere below this point. */
export async function createBackend(opts: BackendOptions): Promise<Backend> {
  await fs.mkdir(opts.userDataDir, { recursive: true });
  const bus = new EventEmitter();
  bus.setMaxListeners(0);
  const emit = <E extends EventName>(event: E, payload: EventPayload<E>) => bus.emit('event', event, payload);
  const { dispose, ...services } = createServices({
    userDataDir: opts.userDataDir,
    env: opts.env,
    events: {
      jobs: {
        update: (s) => emit('job.update', s),
        log: (l) => emit('job.log', l),
        chunk: (c) => emit('job.chunk', c),
      },
      engineStatus: (s) => emit('engine.status', s),
    },
  });
  const ctx: BackendContext = { ...services, host: opts.host, userDataDir: opts.userDataDir, version: APP_VERSION };
  if (opts.pollEngine !== false) ctx.engine.startPolling();
  if (opts.prestartPipeline !== false) ctx.pipeline.prestart();
  const dispatch = createDispatcher(allHandlers(), ctx);
  return {
    dispatch,
    ctx,
    onEvent(listener) {
      const l = (e: EventName, p: unknown) => listener(e, p);
      bus.on('event', l);
      return () => bus.off('event', l);
    },
    dispose,
  };
}
