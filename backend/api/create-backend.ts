import { EventEmitter } from 'node:events';
import { promises as fs } from 'node:fs';
import type { EventName, EventPayload } from '../../shared/api/contract';
import { EngineService } from '../engine/engine-service';
import { JobManager } from '../jobs/job-manager';
import { AppSettingsStore } from '../projects/app-settings';
import { OpenedFolders } from '../projects/opened-folders';
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
import type { BackendContext, HostAdapter } from './types';
import { APP_VERSION } from '../version';

export interface BackendOptions {
  host: HostAdapter;
  userDataDir: string;
  env?: NodeJS.ProcessEnv;
  /** Poll the engine periodically (off in unit tests). */
  pollEngine?: boolean;
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
  };
}

/** Wire services and handlers. Plain Node: no Electron import anywhere below this point. */
export async function createBackend(opts: BackendOptions): Promise<Backend> {
  await fs.mkdir(opts.userDataDir, { recursive: true });
  const bus = new EventEmitter();
  bus.setMaxListeners(0);
  const emit = <E extends EventName>(event: E, payload: EventPayload<E>) => bus.emit('event', event, payload);
  const disposers: Array<() => Promise<void> | void> = [];
  const settings = new AppSettingsStore(opts.userDataDir);
  const ctx: BackendContext = {
    host: opts.host,
    userDataDir: opts.userDataDir,
    version: APP_VERSION,
    jobs: new JobManager({
      update: (s) => emit('job.update', s),
      log: (l) => emit('job.log', l),
      chunk: (c) => emit('job.chunk', c),
    }),
    engine: new EngineService((s) => emit('engine.status', s), opts.env ?? process.env),
    settings,
    opened: new OpenedFolders(settings, opts.userDataDir),
    emit,
    onDispose: (fn) => disposers.push(fn),
  };
  if (opts.pollEngine !== false) ctx.engine.startPolling();
  const dispatch = createDispatcher(allHandlers(), ctx);
  return {
    dispatch,
    ctx,
    onEvent(listener) {
      const l = (e: EventName, p: unknown) => listener(e, p);
      bus.on('event', l);
      return () => bus.off('event', l);
    },
    async dispose() {
      ctx.engine.stopPolling();
      await ctx.jobs.cancelAll();
      for (const d of disposers.reverse()) await d();
    },
  };
}
