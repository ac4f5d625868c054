/**
 * TEST STAND-IN for Triton's ONNX Runtime backend (onnxruntime_backend r23.05), running models with
 * onnxruntime-node. It checks the config against the ONNX file as the real backend does (input
 * count, names, data types, dims with and without the implicit batch dimension), auto-completes a
 * config without inputs/outputs, and runs each request as one session run.
 */
import { createRequire } from 'node:module';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type * as Ort from 'onnxruntime-node';
import type { Backend, BackendModel, ModelContext } from './backend';
import { info, warn } from './log';
import { inputs, maxBatchSize, outputs, protocolDataType, str, TritonError, type ModelIO } from './model-config';
import type { NormalizedRequest, Tensor, TensorData } from './infer';
import type { PbMessage } from './pbtxt';

const require = createRequire(import.meta.url);
let ortModule: typeof Ort | undefined;
function ort(): typeof Ort {
  ortModule ??= require('onnxruntime-node') as typeof Ort;
  return ortModule;
}

/** ONNX element type (as onnxruntime-node names it) → config data type. */
const ORT_TO_CONFIG: Record<string, string> = {
  float32: 'TYPE_FP32',
  float64: 'TYPE_FP64',
  float16: 'TYPE_FP16',
  int8: 'TYPE_INT8',
  int16: 'TYPE_INT16',
  int32: 'TYPE_INT32',
  int64: 'TYPE_INT64',
  uint8: 'TYPE_UINT8',
  uint16: 'TYPE_UINT16',
  uint32: 'TYPE_UINT32',
  uint64: 'TYPE_UINT64',
  bool: 'TYPE_BOOL',
  string: 'TYPE_STRING',
};

const PROTOCOL_TO_ORT: Record<string, Ort.Tensor.Type> = {
  FP32: 'float32',
  FP64: 'float64',
  INT8: 'int8',
  INT16: 'int16',
  INT32: 'int32',
  INT64: 'int64',
  UINT8: 'uint8',
  UINT16: 'uint16',
  UINT32: 'uint32',
  UINT64: 'uint64',
  BOOL: 'bool',
  BYTES: 'string',
};

interface TensorInfo {
  type: string;
  dims: number[];
}

function shapeText(dims: number[]): string {
  return `[${dims.join(',')}]`;
}

function infos(meta: readonly Ort.InferenceSession.ValueMetadata[]): Map<string, TensorInfo> {
  const out = new Map<string, TensorInfo>();
  for (const m of meta) {
    if (!m.isTensor) continue;
    // symbolic and unknown dimensions are -1, as ORT's C API reports them
    out.set(m.name, {
      type: ORT_TO_CONFIG[m.type] ?? `TYPE_${m.type.toUpperCase()}`,
      dims: m.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1)),
    });
  }
  return out;
}

/** CompareDimsSupported (backend_common / onnxruntime_utils). */
function compareDims(model: string, tensor: string, modelShape: number[], dims: number[], maxBatch: number, exact: boolean): void {
  if (maxBatch > 0) {
    if (modelShape.length === 0 || modelShape[0] !== -1) {
      throw new TritonError(
        'Invalid argument',
        `model '${model}', tensor '${tensor}': for the model to support batching the shape should have at least 1 dimension and the first dimension must be -1; but shape expected by the model is ${shapeText(modelShape)}`,
      );
    }
    const full = [-1, ...dims];
    const ok = modelShape.length === full.length && full.every((d, i) => !(exact || modelShape[i] !== -1) || modelShape[i] === d);
    if (!ok) {
      throw new TritonError(
        'Invalid argument',
        `model '${model}', tensor '${tensor}': the model expects ${modelShape.length} dimensions (shape ${shapeText(modelShape)}) but the model configuration specifies ${full.length} dimensions (an initial batch dimension because max_batch_size > 0 followed by the explicit tensor shape, making complete shape ${shapeText(full)})`,
      );
    }
  } else {
    const ok = modelShape.length === dims.length && dims.every((d, i) => !(exact || modelShape[i] !== -1) || modelShape[i] === d);
    if (!ok) {
      throw new TritonError(
        'Invalid argument',
        `model '${model}', tensor '${tensor}': the model expects ${modelShape.length} dimensions (shape ${shapeText(modelShape)}) but the model configuration specifies ${dims.length} dimensions (shape ${shapeText(dims)})`,
      );
    }
  }
}

function sorted(names: Iterable<string>): string {
  return [...names].sort().join(', ');
}

async function createSession(ctx: ModelContext, instanceName: string): Promise<Ort.InferenceSession> {
  let file = path.join(ctx.repositoryPath, String(ctx.version), str(ctx.config, 'default_model_filename') || 'model.onnx');
  if (
    await fs.stat(file).then(
      (s) => s.isDirectory(),
      () => false,
    )
  )
    file = path.join(file, 'model.onnx');
  if (
    !(await fs.stat(file).then(
      () => true,
      () => false,
    ))
  )
    throw new TritonError('Unavailable', `unable to find '${file}' for model instance '${instanceName}'`);
  try {
    return await ort().InferenceSession.create(file, { executionProviders: ['cpu'], graphOptimizationLevel: 'all' });
  } catch (err) {
    throw new TritonError('Internal', `onnx runtime error: ${(err as Error).message}`);
  }
}

/** ModelState::AutoCompleteConfig: only when the config lists no inputs or no outputs. */
async function autoComplete(ctx: ModelContext): Promise<void> {
  const cfg = ctx.config;
  const haveInputs = inputs(cfg).length > 0;
  const haveOutputs = outputs(cfg).length > 0;
  if (haveInputs && haveOutputs) {
    info('onnxruntime.cc:668', `skipping model configuration auto-complete for '${ctx.name}': inputs and outputs already specified`);
    return;
  }
  const session = await createSession(ctx, ctx.name);
  try {
    const ins = infos(session.inputMetadata);
    const outs = infos(session.outputMetadata);
    const canBatch = [...ins.values(), ...outs.values()].every((t) => t.dims.length > 0 && t.dims[0] === -1);
    if (canBatch) {
      if (maxBatchSize(cfg) === 0) {
        cfg.max_batch_size = 4;
        warn(
          'onnxruntime.cc:789',
          `autofilled max_batch_size to 4 for model '${ctx.name}' since batching is supporrted but no max_batch_size is specified in model configuration. Must specify max_batch_size to utilize autofill with a larger max batch size`,
        );
      }
      if (maxBatchSize(cfg) > 1 && cfg.dynamic_batching === undefined && cfg.sequence_batching === undefined) cfg.dynamic_batching = {};
    } else if (maxBatchSize(cfg) !== 0) {
      throw new TritonError(
        'Invalid argument',
        `autofill failed for model '${ctx.name}': model does not support batching while non-zero max_batch_size is specified`,
      );
    }
    const complete = (m: Map<string, TensorInfo>): PbMessage[] =>
      [...m.entries()].map(([name, t]) => {
        const dims = t.dims.slice(maxBatchSize(cfg) > 0 ? 1 : 0);
        const entry: PbMessage = dims.length
          ? { name, data_type: t.type, dims }
          : { name, data_type: t.type, dims: [1], reshape: { shape: [] } };
        return entry;
      });
    if (!haveInputs) cfg.input = complete(ins);
    if (!haveOutputs) cfg.output = complete(outs);
  } finally {
    await session.release();
  }
}

/** ModelInstanceState::ValidateInputs / ValidateOutputs. */
function validate(name: string, cfg: PbMessage, session: Ort.InferenceSession): void {
  const ins = infos(session.inputMetadata);
  const outs = infos(session.outputMetadata);
  const configInputs = inputs(cfg);
  const maxBatch = maxBatchSize(cfg);
  if (ins.size !== configInputs.length) {
    throw new TritonError(
      'Invalid argument',
      `unable to load model '${name}', configuration expects ${configInputs.length} inputs, model provides ${ins.size}`,
    );
  }
  const check = (x: ModelIO, model: Map<string, TensorInfo>, kind: 'input' | 'output') => {
    if (kind === 'input' && x.optional && maxBatch !== 0)
      throw new TritonError(
        'Invalid argument',
        `unable to load model '${name}', optional input '${x.name}' is not supported for models that support batching`,
      );
    const t = model.get(x.name);
    if (!t)
      throw new TritonError('Invalid argument', `unexpected inference ${kind} '${x.name}', allowed ${kind}s are: ${sorted(model.keys())}`);
    if (x.data_type !== t.type) {
      throw new TritonError(
        'Invalid argument',
        `unable to load model '${name}', configuration expects datatype ${x.data_type} for ${kind} '${x.name}', model provides TYPE_${protocolDataType(t.type)}`,
      );
    }
    compareDims(name, x.name, t.dims, x.reshape ? x.reshape.shape : x.dims, maxBatch, kind === 'output');
  };
  for (const x of configInputs) check(x, ins, 'input');
  for (const x of outputs(cfg)) check(x, outs, 'output');
}

function ortTensor(t: Tensor): Ort.Tensor {
  const type = PROTOCOL_TO_ORT[t.datatype];
  if (!type)
    throw new TritonError(
      'Invalid argument',
      `TEST STAND-IN: data type ${t.datatype} of input '${t.name}' is not supported by the stand-in's ONNX Runtime backend`,
    );
  const Tensor = ort().Tensor;
  return new Tensor(type, t.data as never, t.shape);
}

function fromOrt(name: string, v: Ort.OnnxValue): Tensor {
  const t = v as Ort.Tensor;
  const datatype = protocolDataType(ORT_TO_CONFIG[t.type] ?? '');
  return { name, datatype, shape: t.dims.map(Number), data: t.data as TensorData };
}

class OnnxModel implements BackendModel {
  private session?: Ort.InferenceSession;

  constructor(private readonly ctx: ModelContext) {}

  async initInstances(instances: Array<{ name: string; kind: string }>): Promise<void> {
    for (const inst of instances) {
      info(
        'onnxruntime.cc:2653',
        `TRITONBACKEND_ModelInstanceInitialize: ${inst.name} (${inst.kind === 'KIND_GPU' ? 'GPU' : 'CPU'} device 0)`,
      );
      // One session serves every instance of the model (the real backend creates one per instance).
      this.session ??= await createSession(this.ctx, inst.name);
      validate(this.ctx.name, this.ctx.config, this.session);
    }
  }

  async execute(req: NormalizedRequest): Promise<Tensor[]> {
    const session = this.session;
    if (!session) throw new TritonError('Internal', `model '${this.ctx.name}' has no instance`);
    const feeds: Record<string, Ort.Tensor> = {};
    for (const t of req.inputs) feeds[t.name] = ortTensor(t);
    let result: Ort.InferenceSession.ReturnType;
    try {
      result = await session.run(feeds, req.requestedOutputs);
    } catch (err) {
      throw new TritonError('Internal', `onnx runtime error: ${(err as Error).message}`);
    }
    return req.requestedOutputs.map((n) => fromOrt(n, result[n]));
  }

  async unload(): Promise<void> {
    await this.session?.release();
    this.session = undefined;
  }
}

export function onnxRuntimeBackend(): Backend {
  return {
    name: 'onnxruntime',
    path: `/opt/tritonserver/backends/onnxruntime (TEST STAND-IN: onnxruntime-node ${(() => {
      try {
        return (require('onnxruntime-node/package.json') as { version: string }).version;
      } catch {
        return '?';
      }
    })()})`,
    async initModel(ctx: ModelContext): Promise<BackendModel> {
      info('onnxruntime.cc:2610', `TRITONBACKEND_ModelInitialize: ${ctx.name} (version ${ctx.version})`);
      if (ctx.autoCompleteConfig) await autoComplete(ctx);
      return new OnnxModel(ctx);
    },
  };
}
