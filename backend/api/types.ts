import type { EventName, EventPayload, MethodInput, MethodName, MethodOutput, Methods } from '../../shared/api/contract';
import type { JobManager } from '../jobs/job-manager';
import type { EngineService } from '../engine/engine-service';
import type { AppSettingsStore } from '../projects/app-settings';
import type { OpenedFolders } from '../projects/opened-folders';

export type HostKind = 'electron' | 'browser' | 'test';

/** What the host (Electron main, browser host, tests) provides to the back end. */
export interface HostAdapter {
  kind: HostKind;
  /** Native folder picker; absent in the browser host. */
  pickFolder?: (title?: string) => Promise<string | null>;
}

/** Shared services every handler can use. Created once per back end. */
export interface BackendContext {
  host: HostAdapter;
  userDataDir: string;
  version: string;
  jobs: JobManager;
  engine: EngineService;
  settings: AppSettingsStore;
  /** The folders API calls may write into; the dispatcher checks every write against them. */
  opened: OpenedFolders;
  emit<E extends EventName>(event: E, payload: EventPayload<E>): void;
  /** Register clean-up to run when the back end shuts down (stop containers it started, …). */
  onDispose(fn: () => Promise<void> | void): void;
}

export type Handler<M extends MethodName> = (
  input: MethodOutputInput<M>,
  ctx: BackendContext,
) => Promise<MethodOutput<M>> | MethodOutput<M>;

/** Handlers receive the *parsed* input (defaults applied), i.e. the schema's output type. */
type MethodOutputInput<M extends MethodName> = import('zod').infer<Methods[M]['input']>;

export type HandlerMap<K extends MethodName> = { [M in K]: Handler<M> };

export type { MethodInput };
