/**
 * TEST STAND-IN: Triton's model repository manager and model life cycle (core r23.05) for
 * `--model-control-mode=none` (load everything at start-up) and `explicit` with `--load-model`:
 * poll each repository folder, read and check config.pbtxt, pick versions by the version policy,
 * load each version through its backend, and keep per-version state and reason for readiness,
 * metadata and the model table.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Backend, BackendModel } from './backend';
import { absentBackend, ABSENT_BACKENDS } from './backend-absent';
import { onnxRuntimeBackend } from './backend-onnxruntime';
import { pythonBackend } from './backend-python';
import { error, info, warn } from './log';
import {
  autoCompleteBackendFields,
  instanceNames,
  normalizeInstanceGroup,
  normalizeModelConfig,
  str,
  TritonError,
  validateInstanceGroup,
  validateModelConfig,
  validateModelIOConfig,
} from './model-config';
import { MODEL_CONFIG } from './model-config-schema';
import { parseTextProto, type PbMessage } from './pbtxt';

export type ModelReadyState = 'UNKNOWN' | 'READY' | 'UNAVAILABLE' | 'LOADING' | 'UNLOADING';

export interface VersionState {
  state: ModelReadyState;
  reason: string;
  model?: BackendModel;
  config: PbMessage;
}

export interface ModelEntry {
  name: string;
  path: string;
  config: PbMessage;
  /** Empty when no version could be loaded (the table then says "No model version was found"). */
  versions: Map<number, VersionState>;
}

export interface RepositoryOptions {
  repositories: string[];
  /** --disable-auto-complete-config / --strict-model-config=true */
  strictModelConfig: boolean;
  controlMode: 'none' | 'poll' | 'explicit';
  startupModels: string[];
}

/** Where the real image has the protobuf library that reports text-format errors. */
const PROTOBUF_SOURCE =
  '/tmp/tritonbuild/tritonserver/build/_deps/repo-third-party-build/grpc-repo/src/grpc/third_party/protobuf/src/google/protobuf/text_format.cc:335';

async function subdirs(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true });
  const out: string[] = [];
  for (const e of entries) {
    if (
      e.isDirectory() ||
      (e.isSymbolicLink() &&
        (await fs.stat(path.join(dir, e.name)).then(
          (s) => s.isDirectory(),
          () => false,
        )))
    )
      out.push(e.name);
  }
  // std::set<std::string> order
  return out.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)) as number);
}

export class ModelRepository {
  readonly models = new Map<string, ModelEntry>();
  readonly backends = new Map<string, Backend>();

  constructor(private readonly opts: RepositoryOptions) {}

  private backend(name: string): Backend | undefined {
    let b = this.backends.get(name);
    if (b) return b;
    if (name === 'onnxruntime') b = onnxRuntimeBackend();
    else if (name === 'python') b = pythonBackend();
    else if (ABSENT_BACKENDS.includes(name)) b = absentBackend(name);
    else return undefined;
    info('backend_manager.cc:68', `TRITONBACKEND_Initialize: ${name}`);
    this.backends.set(name, b);
    return b;
  }

  /** InitializeModelInfo: read config.pbtxt (or autofill), normalise, validate, check the folder name. */
  private async modelInfo(name: string, modelPath: string): Promise<PbMessage> {
    const configPath = path.join(modelPath, 'config.pbtxt');
    const exists = await fs.stat(configPath).then(
      () => true,
      () => false,
    );
    let cfg: PbMessage = {};
    if (exists || this.opts.strictModelConfig) {
      let text: string;
      try {
        text = await fs.readFile(configPath, 'utf8');
      } catch (err) {
        throw new TritonError(
          'Internal',
          `failed to open text file for read ${configPath}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : (err as Error).message}`,
        );
      }
      const parsed = parseTextProto(text, MODEL_CONFIG);
      if (!parsed.message) {
        // protobuf logs each problem itself, then Triton reports that the file could not be read
        for (const e of parsed.errors)
          process.stdout.write(
            `[libprotobuf ERROR ${PROTOBUF_SOURCE}] Error parsing text-format ${MODEL_CONFIG}: ${e.line}:${e.column}: ${e.message}\n`,
          );
        throw new TritonError('Internal', `failed to read text proto from ${configPath}`);
      }
      cfg = parsed.message;
    }
    await autoCompleteBackendFields(name, modelPath, cfg);
    normalizeModelConfig(cfg);
    validateModelConfig(cfg);
    if (this.opts.strictModelConfig) validateModelIOConfig(cfg);
    if (str(cfg, 'name') !== name)
      throw new TritonError(
        'Invalid argument',
        `unexpected directory name '${name}' for model '${str(cfg, 'name')}', directory name must equal model name`,
      );
    return cfg;
  }

  /** Polls every repository; returns false when a model could not be polled (bad config, duplicate). */
  async poll(): Promise<{ allPolled: boolean; added: ModelEntry[] }> {
    let allPolled = true;
    const found = new Map<string, string>();
    const duplicated = new Set<string>();
    for (const repo of this.opts.repositories) {
      let dirs: string[];
      try {
        dirs = await subdirs(repo);
      } catch {
        error('model_repository_manager.cc:1152', `failed to poll model repository '${repo}': failed to open directory ${repo}`);
        allPolled = false;
        continue;
      }
      for (const d of dirs) {
        if (found.has(d)) duplicated.add(d);
        else found.set(d, path.join(repo, d));
      }
    }
    for (const d of duplicated) {
      found.delete(d);
      allPolled = false;
      error('model_repository_manager.cc:1173', `failed to poll model '${d}': not unique across all model repositories`);
    }
    let names = [...found.keys()];
    if (this.opts.controlMode === 'explicit') {
      const wanted = this.opts.startupModels.includes('*') ? names : this.opts.startupModels;
      for (const w of wanted) if (!found.has(w)) allPolled = false;
      names = names.filter((n) => wanted.includes(n));
    }
    const added: ModelEntry[] = [];
    for (const name of names) {
      const modelPath = found.get(name) as string;
      try {
        const config = await this.modelInfo(name, modelPath);
        const entry: ModelEntry = { name, path: modelPath, config, versions: new Map() };
        this.models.set(name, entry);
        added.push(entry);
      } catch (err) {
        if (!(err instanceof TritonError)) throw err;
        error('model_repository_manager.cc:1306', `Poll failed for model directory '${name}': ${err.message}`);
        allPolled = false;
      }
    }
    return { allPolled, added };
  }

  /** VersionsToLoad: numeric folders (no leading zeros), chosen by the version policy. */
  private async versionsToLoad(entry: ModelEntry): Promise<number[]> {
    const existing: number[] = [];
    for (const d of await subdirs(entry.path).catch(() => [] as string[])) {
      if (d === 'warmup' || d === 'initial_state') continue;
      if (d.length > 1 && d.startsWith('0')) {
        warn('model_lifecycle.cc:99', `ignore version directory '${d}' which contains leading zeros in its directory name`);
        continue;
      }
      const m = /^[+-]?\d+/.exec(d);
      if (!m) {
        warn('model_lifecycle.cc:108', `ignore version directory '${d}' which fails to convert to integral number`);
        continue;
      }
      existing.push(Number(m[0]));
    }
    const unique = [...new Set(existing)].sort((a, b) => b - a);
    const policy = (entry.config.version_policy ?? {}) as PbMessage;
    if (policy.specific !== undefined) {
      const wanted = ((policy.specific as PbMessage).versions ?? []) as number[];
      const out: number[] = [];
      for (const v of wanted) {
        if (unique.includes(v)) out.push(v);
        else
          error('model_lifecycle.cc:120', `version ${v} is specified for model '${entry.name}', but the version directory is not present`);
      }
      return [...new Set(out)].sort((a, b) => a - b);
    }
    if (policy.latest !== undefined) {
      const n = Number(((policy.latest as PbMessage).num_versions as number | undefined) ?? 0);
      return unique.slice(0, n).sort((a, b) => a - b);
    }
    return unique.sort((a, b) => a - b);
  }

  /** TritonModel::Create for one version. */
  private async createModel(entry: ModelEntry, version: number): Promise<{ model: BackendModel; config: PbMessage }> {
    const config = structuredClone(entry.config);
    const backendName = str(config, 'backend');
    if (!backendName) throw new TritonError('Invalid argument', `must specify 'backend' for '${entry.name}'`);
    const backend = this.backend(backendName);
    if (!backend) {
      throw new TritonError(
        'Invalid argument',
        `unable to find 'libtriton_${backendName}.so' for model '${entry.name}', searched: ${path.join(entry.path, String(version))}, ${entry.path}, /opt/tritonserver/backends/${backendName}`,
      );
    }
    normalizeInstanceGroup(config);
    validateInstanceGroup(config);
    const model = await backend.initModel({
      name: entry.name,
      version,
      repositoryPath: entry.path,
      config,
      autoCompleteConfig: !this.opts.strictModelConfig,
    });
    // TritonModel::UpdateModelConfig normalises what the backend auto-completed
    if (!this.opts.strictModelConfig) normalizeModelConfig(config);
    try {
      // Model::Init
      validateModelConfig(config);
      validateModelIOConfig(config);
      await model.initInstances(instanceNames(config));
    } catch (err) {
      await model.unload().catch(() => undefined);
      throw err;
    }
    return { model, config };
  }

  /** Loads every polled model (in name order); returns false when any model or version failed. */
  async loadAll(added: ModelEntry[]): Promise<boolean> {
    let ok = true;
    for (const entry of added) {
      const versions = await this.versionsToLoad(entry);
      if (versions.length === 0) {
        error(
          'model_repository_manager.cc:583',
          `failed to load model '${entry.name}': at least one version must be available under the version policy of model '${entry.name}'`,
        );
        ok = false;
        continue;
      }
      let failed = false;
      for (const v of versions) {
        info('model_lifecycle.cc:462', `loading: ${entry.name}:${v}`);
        const state: VersionState = { state: 'LOADING', reason: '', config: entry.config };
        entry.versions.set(v, state);
        try {
          const { model, config } = await this.createModel(entry, v);
          Object.assign(state, { model, config });
        } catch (err) {
          const status = err instanceof TritonError ? err : new TritonError('Internal', (err as Error).message);
          error('model_lifecycle.cc:626', `failed to load '${entry.name}' version ${v}: ${status.asString()}`);
          Object.assign(state, { state: 'UNAVAILABLE', reason: status.asString() });
          failed = true;
        }
      }
      if (failed) {
        // OnLoadFinal: a model loads all of its versions or none
        for (const st of entry.versions.values()) {
          if (st.model) {
            await st.model.unload().catch(() => undefined);
            st.model = undefined;
            if (st.state === 'LOADING') Object.assign(st, { state: 'UNAVAILABLE', reason: 'unloaded' });
          }
        }
        info('model_lifecycle.cc:753', `failed to load '${entry.name}'`);
        ok = false;
      } else {
        for (const st of entry.versions.values()) st.state = 'READY';
        // the served config is the one the backend completed
        const first = entry.versions.values().next().value;
        if (first) entry.config = first.config;
        info('model_lifecycle.cc:815', `successfully loaded '${entry.name}'`);
      }
    }
    return ok;
  }

  /** Model states for the table and for strict readiness. */
  states(): Array<{ name: string; versions: Array<[number, VersionState]> }> {
    return [...this.models.values()]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((m) => ({ name: m.name, versions: [...m.versions.entries()].sort((a, b) => a[0] - b[0]) }));
  }

  /** ModelLifeCycle::GetModel: a ready version (the latest ready one when none is asked for). */
  getModel(name: string, version?: number): { entry: ModelEntry; version: number; state: VersionState } {
    const entry = this.models.get(name);
    if (!entry) throw new TritonError('Invalid argument', `Request for unknown model: '${name}' is not found`);
    if (version === undefined) {
      const ready = [...entry.versions.entries()].filter(([, s]) => s.state === 'READY').sort((a, b) => b[0] - a[0]);
      if (!ready.length) throw new TritonError('Not found', `Request for unknown model: '${name}' has no available versions`);
      return { entry, version: ready[0][0], state: ready[0][1] };
    }
    const st = entry.versions.get(version);
    if (!st) throw new TritonError('Not found', `Request for unknown model: '${name}' version ${version} is not found`);
    if (st.state !== 'READY')
      throw new TritonError('Unavailable', `Request for unknown model: '${name}' version ${version} is not at ready state`);
    return { entry, version, state: st };
  }

  async unloadAll(): Promise<void> {
    for (const m of this.models.values()) {
      for (const [v, st] of m.versions) {
        if (!st.model) continue;
        await st.model.unload().catch(() => undefined);
        st.model = undefined;
        st.state = 'UNAVAILABLE';
        st.reason = 'unloaded';
        info('model_lifecycle.cc:608', `successfully unloaded '${m.name}' version ${v}`);
      }
    }
  }
}
