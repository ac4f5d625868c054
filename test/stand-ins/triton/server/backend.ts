/** TEST STAND-IN: what a backend does for a model (TRITONBACKEND_ModelInitialize / instances / execute). */
import type { PbMessage } from './pbtxt';
import type { NormalizedRequest, Tensor } from './infer';

export interface ModelContext {
  name: string;
  version: number;
  /** The model's folder in the repository (`<repo>/<name>`). */
  repositoryPath: string;
  /** The config; ModelInitialize may complete it (auto-complete). */
  config: PbMessage;
  autoCompleteConfig: boolean;
}

export interface BackendModel {
  /** TRITONBACKEND_ModelInstanceInitialize for each instance, after Triton validated the config. */
  initInstances(instances: Array<{ name: string; kind: string }>): Promise<void>;
  execute(request: NormalizedRequest): Promise<Tensor[]>;
  unload(): Promise<void>;
}

export interface Backend {
  name: string;
  /** Shown in the backend table at start-up (the real one shows the shared library's path). */
  path: string;
  /** TRITONBACKEND_ModelInitialize. */
  initModel(ctx: ModelContext): Promise<BackendModel>;
}
