/**
 * TEST STAND-IN: what Triton 2.34 (23.05) does with a parsed config.pbtxt before and while a
 * model loads: server-side autofill of name/platform/backend/default_model_filename, normalisation
 * (default version policy, instance groups), the validation rules and their messages, and the JSON
 * form of the config (`GET /v2/models/<name>/config`, `args['model_config']` in Python models).
 *
 * A config is kept as the parsed protobuf message (only the fields that were written); reads apply
 * proto3 defaults.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ENUM_SPECS, MESSAGE_SPECS, MODEL_CONFIG, type FieldSpec } from './model-config-schema';
import type { PbMessage, PbValue } from './pbtxt';

export type StatusCode = 'Internal' | 'Not found' | 'Invalid argument' | 'Unavailable' | 'Unsupported' | 'Already exists' | 'Unknown';

/** A Triton `Status`: printed as "<code>: <message>" in load failures. */
export class TritonError extends Error {
  constructor(
    readonly code: StatusCode,
    message: string,
  ) {
    super(message);
  }

  asString(): string {
    return `${this.code}: ${this.message}`;
  }
}

export const PLATFORM = {
  tensorflowGraphdef: 'tensorflow_graphdef',
  tensorflowSavedmodel: 'tensorflow_savedmodel',
  tensorrt: 'tensorrt_plan',
  onnxruntime: 'onnxruntime_onnx',
  pytorch: 'pytorch_libtorch',
  ensemble: 'ensemble',
} as const;

export const FILENAME = {
  tensorflowGraphdef: 'model.graphdef',
  tensorflowSavedmodel: 'model.savedmodel',
  tensorrt: 'model.plan',
  onnxruntime: 'model.onnx',
  openvino: 'model.xml',
  pytorch: 'model.pt',
  python: 'model.py',
} as const;

export const BACKEND = {
  tensorflow: 'tensorflow',
  tensorrt: 'tensorrt',
  onnxruntime: 'onnxruntime',
  openvino: 'openvino',
  pytorch: 'pytorch',
  python: 'python',
} as const;

/** Config data types and their KServe v2 names (TYPE_STRING is BYTES on the wire). */
export const DATA_TYPES: Record<string, { protocol: string; bytes: number }> = {
  TYPE_BOOL: { protocol: 'BOOL', bytes: 1 },
  TYPE_UINT8: { protocol: 'UINT8', bytes: 1 },
  TYPE_UINT16: { protocol: 'UINT16', bytes: 2 },
  TYPE_UINT32: { protocol: 'UINT32', bytes: 4 },
  TYPE_UINT64: { protocol: 'UINT64', bytes: 8 },
  TYPE_INT8: { protocol: 'INT8', bytes: 1 },
  TYPE_INT16: { protocol: 'INT16', bytes: 2 },
  TYPE_INT32: { protocol: 'INT32', bytes: 4 },
  TYPE_INT64: { protocol: 'INT64', bytes: 8 },
  TYPE_FP16: { protocol: 'FP16', bytes: 2 },
  TYPE_FP32: { protocol: 'FP32', bytes: 4 },
  TYPE_FP64: { protocol: 'FP64', bytes: 8 },
  TYPE_STRING: { protocol: 'BYTES', bytes: 0 },
  TYPE_BF16: { protocol: 'BF16', bytes: 2 },
};

export function protocolDataType(configType: string): string {
  return DATA_TYPES[configType]?.protocol ?? 'INVALID';
}

export function configDataType(protocol: string): string | undefined {
  return Object.entries(DATA_TYPES).find(([, v]) => v.protocol === protocol)?.[0];
}

// ---- typed reads with proto3 defaults ----

export interface ModelIO {
  name: string;
  data_type: string;
  dims: number[];
  reshape?: { shape: number[] };
  format: string;
  optional: boolean;
  is_shape_tensor: boolean;
  allow_ragged_batch: boolean;
}

export interface InstanceGroup {
  name: string;
  kind: string;
  count: number;
  gpus: number[];
  profile: string[];
  passive: boolean;
  host_policy: string;
}

function asMsg(v: PbValue | undefined): PbMessage {
  return (v && typeof v === 'object' && !Array.isArray(v) ? v : {}) as PbMessage;
}

export function str(m: PbMessage, f: string): string {
  return typeof m[f] === 'string' ? (m[f] as string) : '';
}

export function num(m: PbMessage, f: string): number {
  return typeof m[f] === 'number' ? (m[f] as number) : 0;
}

export function list<T = PbMessage>(m: PbMessage, f: string): T[] {
  return Array.isArray(m[f]) ? (m[f] as T[]) : [];
}

function io(m: PbMessage): ModelIO {
  const reshape = m.reshape === undefined ? undefined : { shape: list<number>(asMsg(m.reshape), 'shape') };
  return {
    name: str(m, 'name'),
    data_type: typeof m.data_type === 'string' ? (m.data_type as string) : 'TYPE_INVALID',
    dims: list<number>(m, 'dims'),
    ...(reshape ? { reshape } : {}),
    format: typeof m.format === 'string' ? (m.format as string) : 'FORMAT_NONE',
    optional: m.optional === true,
    is_shape_tensor: m.is_shape_tensor === true,
    allow_ragged_batch: m.allow_ragged_batch === true,
  };
}

export function inputs(cfg: PbMessage): ModelIO[] {
  return list(cfg, 'input').map(io);
}

export function outputs(cfg: PbMessage): ModelIO[] {
  return list(cfg, 'output').map(io);
}

export function instanceGroups(cfg: PbMessage): InstanceGroup[] {
  return list(cfg, 'instance_group').map((g) => ({
    name: str(g, 'name'),
    kind: typeof g.kind === 'string' ? (g.kind as string) : 'KIND_AUTO',
    count: num(g, 'count'),
    gpus: list<number>(g, 'gpus'),
    profile: list<string>(g, 'profile'),
    passive: g.passive === true,
    host_policy: str(g, 'host_policy'),
  }));
}

export function maxBatchSize(cfg: PbMessage): number {
  return num(cfg, 'max_batch_size');
}

/** `parameters { key: "K" value: { string_value: "V" } }` as a plain map. */
export function parameters(cfg: PbMessage): Record<string, string> {
  const p = (cfg.parameters ?? {}) as Record<string, PbMessage>;
  return Object.fromEntries(Object.entries(p).map(([k, v]) => [k, str(asMsg(v as PbValue), 'string_value')]));
}

// ---- server-side autofill and normalisation (model_config_utils.cc) ----

async function subdirs(dir: string): Promise<string[]> {
  try {
    return (await fs.readdir(dir, { withFileTypes: true }))
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}

async function isDir(p: string): Promise<boolean> {
  return fs.stat(p).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/**
 * AutoCompleteBackendFields: fills name, and platform/backend/default_model_filename from each
 * other or from what the first version folder contains (model.savedmodel/, model.onnx, model.pt,
 * model.py, …), exactly in Triton's order of precedence.
 */
export async function autoCompleteBackendFields(modelName: string, modelPath: string, cfg: PbMessage): Promise<void> {
  const versions = await subdirs(modelPath);
  const hasVersion = versions.length > 0;
  const versionPath = hasVersion ? path.join(modelPath, versions[0]) : '';
  const content = new Set(hasVersion ? await fs.readdir(versionPath).catch(() => [] as string[]) : []);
  if (!str(cfg, 'name')) cfg.name = modelName;
  const platform = () => str(cfg, 'platform');
  const backend = () => str(cfg, 'backend');
  const filename = () => str(cfg, 'default_model_filename');

  if (!platform() && (!backend() || backend() === BACKEND.tensorflow)) {
    if (filename() === FILENAME.tensorflowSavedmodel) cfg.platform = PLATFORM.tensorflowSavedmodel;
    else if (filename() === FILENAME.tensorflowGraphdef) cfg.platform = PLATFORM.tensorflowGraphdef;
    else if (!filename() && hasVersion) {
      if (content.has(FILENAME.tensorflowSavedmodel) && (await isDir(path.join(versionPath, FILENAME.tensorflowSavedmodel))))
        cfg.platform = PLATFORM.tensorflowSavedmodel;
      if (content.has(FILENAME.tensorflowGraphdef) && !(await isDir(path.join(versionPath, FILENAME.tensorflowGraphdef))))
        cfg.platform = PLATFORM.tensorflowGraphdef;
    }
  }
  if (platform() === PLATFORM.tensorflowSavedmodel || platform() === PLATFORM.tensorflowGraphdef) {
    if (!backend()) cfg.backend = BACKEND.tensorflow;
    if (!filename())
      cfg.default_model_filename =
        platform() === PLATFORM.tensorflowSavedmodel ? FILENAME.tensorflowSavedmodel : FILENAME.tensorflowGraphdef;
    return;
  }
  if (!backend()) {
    if (platform() === PLATFORM.tensorrt || filename() === FILENAME.tensorrt) cfg.backend = BACKEND.tensorrt;
    else if (
      !platform() &&
      !filename() &&
      hasVersion &&
      content.has(FILENAME.tensorrt) &&
      !(await isDir(path.join(versionPath, FILENAME.tensorrt)))
    )
      cfg.backend = BACKEND.tensorrt;
  }
  if (backend() === BACKEND.tensorrt) {
    if (!platform()) cfg.platform = PLATFORM.tensorrt;
    if (!filename()) cfg.default_model_filename = FILENAME.tensorrt;
    return;
  }
  if (!backend()) {
    if (platform() === PLATFORM.onnxruntime || filename() === FILENAME.onnxruntime) cfg.backend = BACKEND.onnxruntime;
    else if (!platform() && !filename() && hasVersion && content.has(FILENAME.onnxruntime)) cfg.backend = BACKEND.onnxruntime;
  }
  if (backend() === BACKEND.onnxruntime) {
    if (!platform()) cfg.platform = PLATFORM.onnxruntime;
    if (!filename()) cfg.default_model_filename = FILENAME.onnxruntime;
    return;
  }
  if (!backend()) {
    if (filename() === FILENAME.openvino) cfg.backend = BACKEND.openvino;
    else if (!platform() && !filename() && hasVersion && content.has(FILENAME.openvino)) cfg.backend = BACKEND.openvino;
  }
  if (backend() === BACKEND.openvino) {
    if (!filename()) cfg.default_model_filename = FILENAME.openvino;
    return;
  }
  if (!backend()) {
    if (platform() === PLATFORM.pytorch || filename() === FILENAME.pytorch) cfg.backend = BACKEND.pytorch;
    else if (
      !platform() &&
      !filename() &&
      hasVersion &&
      content.has(FILENAME.pytorch) &&
      !(await isDir(path.join(versionPath, FILENAME.pytorch)))
    )
      cfg.backend = BACKEND.pytorch;
  }
  if (backend() === BACKEND.pytorch) {
    if (!platform()) cfg.platform = PLATFORM.pytorch;
    if (!filename()) cfg.default_model_filename = FILENAME.pytorch;
    return;
  }
  if (!backend()) {
    if (filename() === FILENAME.python) cfg.backend = BACKEND.python;
    else if (!platform() && !filename() && hasVersion && content.has(FILENAME.python)) cfg.backend = BACKEND.python;
  }
  if (backend() === BACKEND.python) {
    if (!filename()) cfg.default_model_filename = FILENAME.python;
    return;
  }
  if (!backend() && !platform() && !filename()) {
    const dot = modelName.indexOf('.');
    if (dot < 0) {
      throw new TritonError(
        'Invalid argument',
        `Invalid model name: Could not determine backend for model '${modelName}' with no backend in model configuration. Expected model name of the form 'model.<backend_name>'.`,
      );
    }
    cfg.backend = modelName.slice(dot + 1);
    cfg.default_model_filename = `model.${modelName.slice(dot + 1)}`;
  }
}

/** NormalizeModelConfig: default version policy (latest 1), preferred batch size, pinned-memory flags. */
export function normalizeModelConfig(cfg: PbMessage): void {
  if (cfg.version_policy === undefined) cfg.version_policy = { latest: { num_versions: 1 } };
  if (cfg.dynamic_batching !== undefined) {
    const db = asMsg(cfg.dynamic_batching);
    if (list(db, 'preferred_batch_size').length === 0 && maxBatchSize(cfg) > 0) db.preferred_batch_size = [maxBatchSize(cfg)];
  }
  if (cfg.ensemble_scheduling === undefined) {
    const opt = (cfg.optimization ??= {}) as PbMessage;
    opt.input_pinned_memory ??= { enable: true };
    opt.output_pinned_memory ??= { enable: true };
  }
}

function backendTypeFromPlatform(p: string): string {
  if (p === PLATFORM.tensorflowGraphdef || p === PLATFORM.tensorflowSavedmodel) return 'tensorflow';
  if (p === PLATFORM.tensorrt) return 'tensorrt';
  if (p === PLATFORM.onnxruntime) return 'onnxruntime';
  if (p === PLATFORM.pytorch) return 'pytorch';
  return 'unknown';
}

function backendType(b: string): string {
  return (['tensorflow', 'tensorrt', 'onnxruntime', 'pytorch'] as string[]).includes(b) ? b : 'unknown';
}

/** ValidateModelConfig (the checks that apply outside sequence batching and ensembles). */
export function validateModelConfig(cfg: PbMessage): void {
  const name = str(cfg, 'name');
  const platform = str(cfg, 'platform');
  const backend = str(cfg, 'backend');
  if (!name) throw new TritonError('Invalid argument', "model configuration must specify 'name'");
  if (!backend) {
    if (platform !== PLATFORM.ensemble) throw new TritonError('Invalid argument', `unexpected platform type '${platform}' for ${name}`);
  } else if (platform === PLATFORM.ensemble) {
    throw new TritonError('Invalid argument', `Ensemble model '${name}' must have platform type '${platform}' and empty backend type`);
  }
  if (!platform && !backend) throw new TritonError('Invalid argument', `must specify 'platform' or 'backend' for '${name}'`);
  if (backendTypeFromPlatform(platform) !== backendType(backend))
    throw new TritonError('Invalid argument', `unexpected 'platform' and 'backend' pair, got:${platform}, ${backend}`);
  if (maxBatchSize(cfg) < 0) throw new TritonError('Invalid argument', `'max_batch_size' must be non-negative value for ${name}`);
  if (cfg.version_policy === undefined) throw new TritonError('Invalid argument', `must specify 'version policy' for ${name}`);
  if (cfg.dynamic_batching !== undefined) {
    const db = asMsg(cfg.dynamic_batching);
    for (const size of list<number>(db, 'preferred_batch_size')) {
      if (size <= 0) throw new TritonError('Invalid argument', `dynamic batching preferred size must be positive for ${name}`);
      if (size > maxBatchSize(cfg))
        throw new TritonError('Invalid argument', `dynamic batching preferred size must be <= max batch size for ${name}`);
    }
    const levels = num(db, 'priority_levels');
    if (levels !== 0) {
      const def = num(db, 'default_priority_level');
      if (def === 0 || def > levels)
        throw new TritonError('Invalid argument', `default priority level must be in range [1, ${levels}] for ${name}`);
    }
  }
  if (cfg.ensemble_scheduling === undefined && platform === PLATFORM.ensemble) {
    throw new TritonError(
      'Invalid argument',
      `ensemble scheduling must be set for ensemble ${name} whose platform is ${PLATFORM.ensemble}`,
    );
  }
}

/** GetElementCount: -1 with a variable-size dimension, 0 for no dimensions. */
function elementCount(dims: number[]): number {
  if (dims.includes(-1)) return -1;
  return dims.length ? dims.reduce((a, d) => a * d, 1) : 0;
}

/** ValidateIOShape. */
function validateIOShape(x: ModelIO, maxBatch: number, prefix: string): void {
  if (!x.name) throw new TritonError('Invalid argument', `${prefix}must specify 'name'`);
  // Triton says "model output" here for inputs too.
  if (x.data_type === 'TYPE_INVALID' || typeof x.data_type !== 'string')
    throw new TritonError('Invalid argument', "model output must specify 'data_type'");
  if (x.dims.length === 0) throw new TritonError('Invalid argument', `${prefix}must specify 'dims'`);
  if (x.reshape && x.reshape.shape.length === 0 && maxBatch === 0) {
    throw new TritonError(
      'Invalid argument',
      `${prefix}cannot have empty reshape for non-batching model as scalar tensors are not supported`,
    );
  }
  for (const d of x.dims)
    if (d < 1 && d !== -1)
      throw new TritonError('Invalid argument', `${prefix}dimension must be integer >= 1, or -1 to indicate a variable-size dimension`);
  if (!x.reshape) return;
  for (const d of x.reshape.shape)
    if (d < 1 && d !== -1)
      throw new TritonError(
        'Invalid argument',
        `${prefix}reshape dimensions must be integer >= 1, or -1 to indicate a variable-size dimension`,
      );
  const dimsSize = elementCount(x.dims);
  const reshapeSize = elementCount(x.reshape.shape);
  // an empty reshape means a scalar: dims must then hold one element
  if (dimsSize !== reshapeSize && (reshapeSize !== 0 || dimsSize !== 1))
    throw new TritonError('Invalid argument', `${prefix}has different size for dims and reshape`);
  if (dimsSize === -1) {
    const chunks = (dims: number[]) => {
      const out: number[] = [];
      let cur = 1;
      for (const d of dims) {
        if (d !== -1) cur *= d;
        else {
          out.push(cur);
          cur = 1;
        }
      }
      out.push(cur);
      return out;
    };
    const a = chunks(x.dims);
    const b = chunks(x.reshape.shape);
    if (a.length !== b.length)
      throw new TritonError('Invalid argument', `${prefix}has different number of variable-size dimensions for dims and reshape`);
    if (a.some((v, i) => v !== b[i])) throw new TritonError('Invalid argument', `${prefix}has different size for dims and reshape`);
  }
}

/** ValidateModelIOConfig: every input and output, then the message suffix " for <name>". */
export function validateModelIOConfig(cfg: PbMessage): void {
  const name = str(cfg, 'name');
  const platform = str(cfg, 'platform');
  const wrap = (fn: () => void) => {
    try {
      fn();
    } catch (err) {
      if (err instanceof TritonError) throw new TritonError(err.code, `${err.message} for ${name}`);
      throw err;
    }
  };
  for (const x of inputs(cfg)) {
    wrap(() => {
      validateIOShape(x, maxBatchSize(cfg), 'model input ');
      if ((x.format === 'FORMAT_NHWC' || x.format === 'FORMAT_NCHW') && x.dims.length !== 3)
        throw new TritonError('Invalid argument', 'model input NHWC/NCHW require 3 dims');
      if (platform !== PLATFORM.tensorrt && x.is_shape_tensor)
        throw new TritonError('Invalid argument', 'shape tensors are only supported for TensorRT platform');
    });
  }
  for (const x of outputs(cfg)) {
    wrap(() => {
      validateIOShape(x, maxBatchSize(cfg), 'model output ');
      if (platform !== PLATFORM.tensorrt && x.is_shape_tensor)
        throw new TritonError('Invalid argument', 'shape tensors are only supported for TensorRT platform');
    });
  }
}

/**
 * NormalizeInstanceGroup on a machine without GPUs: one group named after the model when none is
 * given, KIND_AUTO becomes KIND_CPU, groups get names `<model>_<i>`, counts default to 1 (2 for
 * the ONNX Runtime and TensorFlow backends on CPU).
 */
export function normalizeInstanceGroup(cfg: PbMessage): void {
  if (cfg.ensemble_scheduling !== undefined) return;
  const groups = (cfg.instance_group ??= []) as PbMessage[];
  if (groups.length === 0) groups.push({ name: str(cfg, 'name') });
  groups.forEach((g, i) => {
    if (!str(g, 'name')) g.name = `${str(cfg, 'name')}_${i}`;
    if (g.kind === undefined || g.kind === 'KIND_AUTO' || g.kind === 0) g.kind = 'KIND_CPU';
    if (num(g, 'count') < 1) {
      const b = str(cfg, 'backend');
      g.count = g.kind === 'KIND_CPU' && (b === BACKEND.tensorflow || b === BACKEND.onnxruntime) ? 2 : 1;
    }
  });
}

/** ValidateInstanceGroup as a GPU build of Triton answers on a machine with no GPU. */
export function validateInstanceGroup(cfg: PbMessage): void {
  if (cfg.ensemble_scheduling !== undefined) return;
  const name = str(cfg, 'name');
  const groups = instanceGroups(cfg);
  if (groups.length === 0) throw new TritonError('Invalid argument', `must specify one or more 'instance group's for ${name}`);
  for (const g of groups) {
    if (g.kind === 'KIND_MODEL') {
      if (g.gpus.length)
        throw new TritonError(
          'Invalid argument',
          `instance group ${g.name} of model ${name} has kind KIND_MODEL but specifies one or more GPUs`,
        );
    } else if (g.kind === 'KIND_GPU') {
      if (g.gpus.length === 0)
        throw new TritonError('Invalid argument', `instance group ${g.name} of model ${name} has kind KIND_GPU but no GPUs are available`);
      throw new TritonError(
        'Invalid argument',
        `instance group ${g.name} of model ${name} specifies invalid or unsupported gpu id ${g.gpus[0]}. GPUs with at least the minimum required CUDA compute compatibility of 6.000000 are: `,
      );
    } else if (g.kind === 'KIND_CPU') {
      if (g.gpus.length)
        throw new TritonError(
          'Invalid argument',
          `instance group ${g.name} of model ${name} has kind KIND_CPU but specifies one or more GPUs`,
        );
    } else {
      throw new TritonError('Internal', `instance group ${g.name} of model ${name} has unexpected kind KIND_AUTO`);
    }
    if (str(cfg, 'platform') !== PLATFORM.tensorrt && g.profile.length) {
      throw new TritonError(
        'Invalid argument',
        `instance group ${g.name} of model ${name} and platform ${str(cfg, 'platform')}specifies profile field which is only supported for TensorRT models`,
      );
    }
  }
}

/** Instance names as Triton makes them: the group name, with `_<i>` when the group has more than one. */
export function instanceNames(cfg: PbMessage): Array<{ name: string; kind: string }> {
  return instanceGroups(cfg).flatMap((g) =>
    Array.from({ length: g.count }, (_, c) => ({ name: g.count > 1 ? `${g.name}_${c}` : g.name, kind: g.kind })),
  );
}

// ---- JSON form (ModelConfigToJson: proto field names, every primitive printed, int64 as numbers) ----

function fieldJson(f: FieldSpec, v: PbValue | undefined): unknown {
  const t = f.type;
  if (t.kind === 'map') {
    const m = (v ?? {}) as Record<string, PbValue>;
    return Object.fromEntries(
      Object.entries(m).map(([k, x]) => [k, t.value.kind === 'message' ? messageJson(t.value.messageName, asMsg(x)) : x]),
    );
  }
  const one = (x: PbValue | undefined): unknown => {
    if (t.kind === 'message') return messageJson(t.messageName, asMsg(x));
    if (t.kind === 'enum') return x === undefined ? ENUM_SPECS[t.enumName].values[0][0] : x;
    if (x !== undefined) return x;
    return t.scalar === 'string' || t.scalar === 'bytes' ? '' : t.scalar === 'bool' ? false : 0;
  };
  if (f.repeated) return ((v ?? []) as PbValue[]).map(one);
  return one(v);
}

export function messageJson(typeName: string, msg: PbMessage): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of MESSAGE_SPECS[typeName].fields) {
    const v = msg[f.name];
    // unset singular messages and unset oneof members are not printed
    if (!f.repeated && (f.type.kind === 'message' || f.oneof) && v === undefined) continue;
    out[f.name] = fieldJson(f, v);
  }
  return out;
}

export function modelConfigJson(cfg: PbMessage): Record<string, unknown> {
  return messageJson(MODEL_CONFIG, cfg);
}
