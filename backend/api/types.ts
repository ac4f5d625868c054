import type { MethodInput, MethodName, MethodOutput, Methods } from '@/shared/api/contract';
import type { DemoContributor } from '../demo/demo-project';
import type { DialsService } from '../dials/dials-service';
import type { DismcliService } from '../dismcli/dismcli-service';
import type { ModelCheckService } from '../model-check/check-service';
import type { EngineService } from '../engine/engine-service';
import type { JobManager } from '../jobs/job-manager';
import type { ModelServerManager } from '../model-server/manager';
import type { PipelineService } from '../pipeline/pipeline-service';
import type { PreviewReports } from '../inspect/preview-reports';
import type { AppSettingsStore } from '../projects/app-settings';
import type { OpenedFolders } from '../projects/opened-folders';
import type { TemplateDrafts } from '../template/drafts';
import type { TemplateValidator } from '../template/template-validator';

export type HostKind = 'electron' | 'browser' | 'test';

/** What the host (Electron main, browser host, tests) provides to the back end. */
export interface HostAdapter {
  kind: HostKind;
  /** Native folder picker; absent in the browser host. */
  pickFolder?: (title?: string) => Promise<string | null>;
  /** Writes text the user asked to copy to the clipboard (Electron's main process); absent in the browser host. */
  writeClipboard?: (text: string) => void;
}

/** The back end's services, each created once by createServices (create-backend.ts), the composition root. */
export interface BackendServices {
  jobs: JobManager;
  engine: EngineService;
  settings: AppSettingsStore;
  /** The folders API calls may write into; the dispatcher checks every write against them. */
  opened: OpenedFolders;
  /** NMF preview runs and what is kept of them. */
  pipeline: PipelineService;
  /** PDF reports of preview runs (jobs). */
  reports: PreviewReports;
  /** Model server containers this back end started (stopped when it shuts down). */
  modelServers: ModelServerManager;
  /** template.validate in a worker thread. */
  templateValidator: TemplateValidator;
  /** Unsaved template edits in the user-data folder. */
  drafts: TemplateDrafts;
  /** dismcli runner, DIALS choice and runs. */
  dismcli: DismcliService;
  /** "Will DIALS load it?": checks, vendoring, re-dumps; the per-image module listings it caches. */
  modelCheck: ModelCheckService;
  /** DIALS: sign-in, fetches into data/dials/, production flags. */
  dials: DialsService;
  /** What every demo project this back end generates gets besides the demo files. */
  demoContributors: readonly DemoContributor[];
}

/** What every handler receives: the services and the host it runs in. */
export interface BackendContext extends BackendServices {
  host: HostAdapter;
  userDataDir: string;
  version: string;
}

export type Handler<M extends MethodName> = (
  input: MethodOutputInput<M>,
  ctx: BackendContext,
) => Promise<MethodOutput<M>> | MethodOutput<M>;

/** Handlers receive the *parsed* input (defaults applied), i.e. the schema's output type. */
type MethodOutputInput<M extends MethodName> = import('zod').infer<Methods[M]['input']>;

export type HandlerMap<K extends MethodName> = { [M in K]: Handler<M> };

export type { MethodInput };
