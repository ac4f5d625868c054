/**
 * TEST STAND-IN: a KServe v2 (Open Inference Protocol) inference request as Triton 2.34's HTTP
 * front end parses it (JSON tensors, or the binary-data extension with
 * `Inference-Header-Content-Length`) and as Triton's core normalises it against the model config
 * before the backend sees it — same checks, same order, same messages.
 */
import { configDataType, DATA_TYPES, inputs, maxBatchSize, outputs, protocolDataType, TritonError, type ModelIO } from './model-config';
import type { PbMessage } from './pbtxt';

export type TensorData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array
  | string[];

export interface Tensor {
  name: string;
  /** KServe v2 name: FP32, INT64, BOOL, BYTES, … */
  datatype: string;
  shape: number[];
  /** BOOL as Uint8Array of 0/1, BYTES as strings. */
  data: TensorData;
}

export interface ParsedRequest {
  id: string;
  inputs: Tensor[];
  /** Outputs the client asked for, with whether each should come back as binary data. */
  outputs: Array<{ name: string; binary: boolean }>;
  /** Default for outputs not listed (parameters.binary_data_output). */
  binaryDefault: boolean;
  parameters: Record<string, unknown>;
}

/** A request the model will run: inputs shaped as the model sees them (reshape applied, batch dim kept). */
export interface NormalizedRequest {
  id: string;
  batchSize: number;
  inputs: Tensor[];
  requestedOutputs: string[];
  parameters: Record<string, unknown>;
}

const ARRAYS: Record<string, (n: number) => TensorData> = {
  BOOL: (n) => new Uint8Array(n),
  UINT8: (n) => new Uint8Array(n),
  UINT16: (n) => new Uint16Array(n),
  UINT32: (n) => new Uint32Array(n),
  UINT64: (n) => new BigUint64Array(n),
  INT8: (n) => new Int8Array(n),
  INT16: (n) => new Int16Array(n),
  INT32: (n) => new Int32Array(n),
  INT64: (n) => new BigInt64Array(n),
  FP32: (n) => new Float32Array(n),
  FP64: (n) => new Float64Array(n),
  BYTES: (n) => new Array<string>(n).fill(''),
};

export function elementCount(shape: number[]): number {
  return shape.reduce((a, d) => a * d, 1);
}

/**
 * Triton's JSON (rapidjson with kParseNanAndInfFlag / kWriteNanAndInfFlag) reads and writes the
 * bare literals NaN, Infinity and -Infinity, which JSON.parse/stringify do not know: they travel
 * through JS as these marker objects / strings.
 */
class NonFinite {
  constructor(readonly value: number) {}
}
const NON_FINITE_MARK = '\u0000triton-stand-in-non-finite:';

/** JSON.parse that also accepts NaN, Infinity and -Infinity outside strings, as Triton does. */
export function parseTritonJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const marked = text.replace(/"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)/g, (m, lit: string | undefined) =>
      lit ? JSON.stringify(NON_FINITE_MARK + lit) : m,
    );
    if (marked === text) throw err;
    return JSON.parse(marked, (_k, v) =>
      typeof v === 'string' && v.startsWith(NON_FINITE_MARK) ? new NonFinite(Number(v.slice(NON_FINITE_MARK.length))) : v,
    );
  }
}

/** JSON.stringify that writes non-finite numbers as NaN / Infinity / -Infinity, as Triton does. */
export function stringifyTritonJson(value: unknown): string {
  const text = JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? NON_FINITE_MARK + String(v) : v));
  return text.replace(/"\\u0000triton-stand-in-non-finite:(-?Infinity|NaN)"/g, '$1');
}

function typeName(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'number') return Number.isInteger(v) ? (v < 0 ? 'signed-integer' : 'unsigned-integer') : 'double';
  return 'other';
}

/** The value of one JSON element as TritonJson's As<Type> would read it, or its error. */
function element(datatype: string, v: unknown): number | bigint | string {
  const t = typeName(v);
  switch (datatype) {
    case 'BOOL':
      if (t !== 'boolean') throw new Error('attempt to access JSON non-boolean as boolean');
      return v ? 1 : 0;
    case 'UINT8':
    case 'UINT16':
    case 'UINT32':
    case 'UINT64':
      if (t !== 'unsigned-integer') throw new Error('attempt to access JSON non-unsigned-integer as unsigned-integer');
      return datatype === 'UINT64' ? BigInt(v as number) : (v as number);
    case 'INT8':
    case 'INT16':
    case 'INT32':
    case 'INT64':
      if (t !== 'unsigned-integer' && t !== 'signed-integer')
        throw new Error('attempt to access JSON non-signed-integer as signed-integer');
      return datatype === 'INT64' ? BigInt(v as number) : (v as number);
    case 'FP32':
    case 'FP64':
      if (v instanceof NonFinite) return v.value;
      if (typeof v !== 'number') throw new Error('attempt to access JSON non-number as double');
      return v;
    case 'BYTES':
      if (t !== 'string') throw new Error('attempt to access JSON non-string as string');
      return v as string;
    default:
      return 0;
  }
}

/** ReadDataFromJson: nested or flat `data`, element count checked against the shape. */
function readJsonData(name: string, datatype: string, shape: number[], data: unknown): TensorData {
  if (datatype === 'FP16' || datatype === 'BF16') {
    throw new TritonError(
      'Invalid argument',
      `receiving ${datatype} data via JSON is not supported. Please use the binary data format for input ${name}`,
    );
  }
  if (!ARRAYS[datatype]) throw new TritonError('Invalid argument', `invalid datatype for input ${name}`);
  const expected = elementCount(shape);
  const out = ARRAYS[datatype](expected);
  let i = 0;
  const walk = (arr: unknown[]) => {
    for (const el of arr) {
      if (Array.isArray(el)) {
        walk(el);
        continue;
      }
      if (i >= expected) throw new TritonError('Internal', "Unable to parse 'data': Shape does not match true shape of 'data' field");
      let value: number | bigint | string;
      try {
        value = element(datatype, el);
      } catch (err) {
        throw new TritonError('Internal', `Unable to parse 'data': ${(err as Error).message}`);
      }
      (out as unknown as Array<number | bigint | string>)[i++] = value;
    }
  };
  if (!Array.isArray(data)) throw new TritonError('Invalid argument', "Unable to parse 'data': attempt to access JSON non-array as array");
  walk(data);
  if (i !== expected) throw new TritonError('Internal', "Unable to parse 'data': Shape does not match true shape of 'data' field");
  return out;
}

/** Tensor bytes as the binary-data extension carries them (BYTES: 4-byte little-endian length + bytes per element). */
export function tensorFromBytes(name: string, datatype: string, shape: number[], buf: Buffer): TensorData {
  const n = elementCount(shape);
  if (datatype === 'BYTES') {
    const out: string[] = [];
    let p = 0;
    while (p + 4 <= buf.length && out.length < n) {
      const len = buf.readUInt32LE(p);
      out.push(buf.subarray(p + 4, p + 4 + len).toString('utf8'));
      p += 4 + len;
    }
    if (out.length !== n || p !== buf.length)
      throw new TritonError('Invalid argument', `unexpected size ${buf.length} for BYTES input '${name}'`);
    return out;
  }
  const size = DATA_TYPES[configDataType(datatype) ?? '']?.bytes;
  if (!size || !ARRAYS[datatype]) throw new TritonError('Invalid argument', `invalid datatype for input ${name}`);
  if (buf.length !== n * size) {
    throw new TritonError('Invalid argument', `unexpected total byte size ${buf.length} for input '${name}', expecting ${n * size}`);
  }
  const copy = Buffer.from(buf);
  const ab = copy.buffer.slice(copy.byteOffset, copy.byteOffset + copy.length);
  const ctor = ARRAYS[datatype](0).constructor as new (b: ArrayBuffer) => TensorData;
  return new ctor(ab);
}

export function tensorToBytes(t: Tensor): Buffer {
  if (Array.isArray(t.data)) {
    return Buffer.concat(
      t.data.flatMap((s) => {
        const b = Buffer.from(s, 'utf8');
        const len = Buffer.alloc(4);
        len.writeUInt32LE(b.length);
        return [len, b];
      }),
    );
  }
  return Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

function parseError(what: string, message: string): never {
  throw new TritonError('Invalid argument', `Unable to parse '${what}': ${message}`);
}

function memberString(obj: Record<string, unknown>, key: string, what = key): string {
  const v = obj[key];
  if (v === undefined) parseError(what, `attempt to access non-existing object member '${key}'`);
  if (typeof v !== 'string') parseError(what, 'attempt to access JSON non-string as string');
  return v;
}

function memberArray(obj: Record<string, unknown>, key: string): unknown[] {
  const v = obj[key];
  if (v === undefined) parseError(key, `attempt to access non-existing object member '${key}'`);
  if (!Array.isArray(v)) parseError(key, 'attempt to access JSON non-array as array');
  return v;
}

/** EVBufferToInput: the request JSON (plus binary tensor data after `headerLength` bytes, if any). */
export function parseInferRequest(body: Buffer, headerLength: number | undefined): ParsedRequest {
  const jsonPart = headerLength === undefined ? body : body.subarray(0, headerLength);
  let req: Record<string, unknown>;
  try {
    req = parseTritonJson(jsonPart.toString('utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new TritonError('Invalid argument', `failed to parse the request JSON buffer: ${(err as Error).message}`);
  }
  if (!req || typeof req !== 'object' || Array.isArray(req))
    throw new TritonError('Invalid argument', 'failed to parse the request JSON buffer: the request must be a JSON object');
  const id = req.id === undefined ? '' : memberString(req, 'id');
  let binaryDefault = false;
  const parameters: Record<string, unknown> = {};
  if (req.parameters !== undefined) {
    const p = req.parameters as Record<string, unknown>;
    for (const [k, v] of Object.entries(p)) {
      if (k === 'binary_data_output') {
        if (typeof v !== 'boolean') parseError(k, 'attempt to access JSON non-boolean as boolean');
        binaryDefault = v;
      } else if (k.startsWith('triton_'))
        throw new TritonError(
          'Invalid argument',
          "parameter keys starting with 'triton_' are reserved for Triton usage and should not be specified.",
        );
      else if (typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isInteger(v))) parameters[k] = v;
      else if (!['sequence_id', 'sequence_start', 'sequence_end', 'priority', 'timeout'].includes(k))
        throw new TritonError('Invalid argument', `parameter '${k}' has invalid type. It should be either 'int', 'bool', or 'string'.`);
    }
  }
  const inputsJson = memberArray(req, 'inputs');
  let offset = headerLength ?? body.length;
  const tensors: Tensor[] = [];
  for (const raw of inputsJson) {
    const x = (raw ?? {}) as Record<string, unknown>;
    const name = memberString(x, 'name');
    const datatype = memberString(x, 'datatype');
    const shape = memberArray(x, 'shape').map((d) => {
      if (typeof d !== 'number' || !Number.isInteger(d) || d < 0)
        parseError('shape', 'attempt to access JSON non-unsigned-integer as unsigned-integer');
      return d;
    });
    const params = (x.parameters ?? {}) as Record<string, unknown>;
    let data: TensorData;
    if (params.binary_data_size !== undefined) {
      if (headerLength === undefined) {
        throw new TritonError(
          'Invalid argument',
          "must specify valid 'Infer-Header-Content-Length' in request header and 'binary_data_size' when passing inputs in binary data format",
        );
      }
      const size = Number(params.binary_data_size);
      if (offset + size > body.length)
        throw new TritonError('Invalid argument', `unexpected size for input '${name}', expecting ${size} bytes for model`);
      data = tensorFromBytes(name, datatype, shape, body.subarray(offset, offset + size));
      offset += size;
    } else {
      if (x.data === undefined) throw new TritonError('Invalid argument', `expecting 'data' for input '${name}'`);
      data = readJsonData(name, datatype, shape, x.data);
    }
    tensors.push({ name, datatype, shape, data });
  }
  if (offset < body.length && headerLength !== undefined)
    throw new TritonError('Invalid argument', 'unexpected additional input data for model');
  const outs: ParsedRequest['outputs'] = [];
  if (req.outputs !== undefined) {
    for (const raw of memberArray(req, 'outputs')) {
      const o = (raw ?? {}) as Record<string, unknown>;
      const name = memberString(o, 'name');
      const p = (o.parameters ?? {}) as Record<string, unknown>;
      if (p.classification !== undefined)
        throw new TritonError('Unsupported', `TEST STAND-IN: the classification extension is not implemented (output '${name}')`);
      outs.push({ name, binary: p.binary_data === undefined ? binaryDefault : p.binary_data === true });
    }
  }
  return { id, inputs: tensors, outputs: outs, binaryDefault, parameters };
}

function dimsText(dims: number[]): string {
  return `[${dims.join(',')}]`;
}

/** InferenceRequest::Normalize: output names, input count, batch dimension, data types, shapes, reshape. */
export function normalizeRequest(cfg: PbMessage, modelName: string, req: ParsedRequest): NormalizedRequest {
  const logId = `[request id: ${req.id || '<id_unknown>'}] `;
  const configInputs = inputs(cfg);
  const configOutputs = outputs(cfg);
  const byName = new Map<string, ModelIO>(configInputs.map((x) => [x.name, x]));
  const getInput = (name: string) => {
    const x = byName.get(name);
    if (!x) throw new TritonError('Invalid argument', `unexpected inference input '${name}' for model '${modelName}'`);
    return x;
  };
  let requestedOutputs: string[];
  if (req.outputs.length === 0) requestedOutputs = configOutputs.map((o) => o.name);
  else {
    for (const o of req.outputs)
      if (!configOutputs.some((c) => c.name === o.name))
        throw new TritonError('Invalid argument', `unexpected inference output '${o.name}' for model '${modelName}'`);
    requestedOutputs = req.outputs.map((o) => o.name);
  }
  const required = configInputs.filter((x) => !x.optional).length;
  if (req.inputs.length > configInputs.length || req.inputs.length < required) {
    if (configInputs.length === required) {
      throw new TritonError(
        'Invalid argument',
        `${logId}expected ${configInputs.length} inputs but got ${req.inputs.length} inputs for model '${modelName}'`,
      );
    }
    throw new TritonError(
      'Invalid argument',
      `${logId}expected number of inputs between ${required} and ${configInputs.length} but got ${req.inputs.length} inputs for model '${modelName}'`,
    );
  }
  const maxBatch = maxBatchSize(cfg);
  let batchSize = 0;
  const shapes = new Map<Tensor, number[]>();
  for (const t of req.inputs) {
    if (maxBatch === 0) {
      shapes.set(t, [...t.shape]);
      continue;
    }
    getInput(t.name);
    if (t.shape.length === 0)
      throw new TritonError(
        'Invalid argument',
        `${logId}input '${t.name}' has no shape but model requires batch dimension for '${modelName}'`,
      );
    if (batchSize === 0) batchSize = t.shape[0];
    else if (t.shape[0] !== batchSize)
      throw new TritonError('Invalid argument', `${logId}input '${t.name}' batch size does not match other inputs for '${modelName}'`);
    shapes.set(t, t.shape.slice(1));
  }
  if (batchSize > maxBatch)
    throw new TritonError('Invalid argument', `${logId}inference request batch-size must be <= ${maxBatch} for '${modelName}'`);
  const normalized: Tensor[] = [];
  for (const t of req.inputs) {
    const x = getInput(t.name);
    const shape = shapes.get(t) ?? [];
    const expectedType = protocolDataType(x.data_type);
    if (t.datatype !== expectedType) {
      throw new TritonError(
        'Invalid argument',
        `${logId}inference input data-type is '${t.datatype}', model expects '${expectedType}' for '${modelName}'`,
      );
    }
    const matches = x.dims.length === shape.length && x.dims.every((d, i) => d === -1 || d === shape[i]);
    if (!matches) {
      const full = maxBatch > 0 ? [-1, ...x.dims] : x.dims;
      const note =
        maxBatch > 0
          ? 'NOTE: Setting a non-zero max_batch_size in the model config requires a batch dimension to be prepended to each input shape. If you want to specify the full shape including the batch dim in your input dims config, try setting max_batch_size to zero. See the model configuration docs for more info on max_batch_size.'
          : '';
      throw new TritonError(
        'Invalid argument',
        `${logId}unexpected shape for input '${t.name}' for model '${modelName}'. Expected ${dimsText(full)}, got ${dimsText(t.shape)}. ${note}`,
      );
    }
    let modelShape = shape;
    if (x.reshape) {
      const variable = x.dims.map((d, i) => (d === -1 ? shape[i] : undefined)).filter((d): d is number => d !== undefined);
      modelShape = x.reshape.shape.map((d) => (d === -1 ? (variable.shift() ?? 1) : d));
    }
    normalized.push({ ...t, shape: maxBatch > 0 ? [batchSize, ...modelShape] : modelShape });
  }
  return { id: req.id, batchSize, inputs: normalized, requestedOutputs, parameters: req.parameters };
}

/**
 * InferenceResponse::Output::Reshape: an output whose config has a reshape goes back to the client
 * in the config's dims (plus the batch dimension), e.g. a model output [N] declared as dims [1] +
 * reshape [] is answered as [N, 1].
 */
export function reshapeOutputs(cfg: PbMessage, tensors: Tensor[]): Tensor[] {
  const hasBatch = maxBatchSize(cfg) > 0;
  return tensors.map((t) => {
    const o = outputs(cfg).find((x) => x.name === t.name);
    if (!o?.reshape) return t;
    const offset = hasBatch ? 1 : 0;
    const variable = o.reshape.shape.flatMap((d, i) => (d === -1 ? [t.shape[i + offset]] : []));
    const shape = [
      ...(hasBatch && t.shape.length > 0 ? [t.shape[0]] : []),
      ...o.dims.map((d) => (d === -1 ? (variable.shift() ?? -1) : d)),
    ];
    return { ...t, shape };
  });
}

/** JSON value of one tensor element (BOOL as true/false, 64-bit integers as numbers). */
function jsonData(t: Tensor): unknown[] {
  if (Array.isArray(t.data)) return t.data;
  if (t.datatype === 'BOOL') return Array.from(t.data as Uint8Array, (v) => v !== 0);
  if (t.data instanceof BigInt64Array || t.data instanceof BigUint64Array) return Array.from(t.data as BigInt64Array, (v) => Number(v));
  return Array.from(t.data as Float32Array);
}

/** The HTTP response: JSON only, or JSON header + binary tensors (returns the header length). */
export function inferResponse(
  modelName: string,
  version: string,
  req: ParsedRequest,
  outputsOut: Tensor[],
): { body: Buffer; headerLength?: number } {
  const binary: Buffer[] = [];
  const outs = outputsOut.map((t) => {
    const wantBinary = req.outputs.find((o) => o.name === t.name)?.binary ?? req.binaryDefault;
    if (wantBinary) {
      const b = tensorToBytes(t);
      binary.push(b);
      return { name: t.name, datatype: t.datatype, shape: t.shape, parameters: { binary_data_size: b.length } };
    }
    return { name: t.name, datatype: t.datatype, shape: t.shape, data: jsonData(t) };
  });
  const header = Buffer.from(
    stringifyTritonJson({ ...(req.id ? { id: req.id } : {}), model_name: modelName, model_version: version, outputs: outs }),
    'utf8',
  );
  if (!binary.length) return { body: header };
  return { body: Buffer.concat([header, ...binary]), headerLength: header.length };
}
