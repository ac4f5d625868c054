import { promises as fs } from 'node:fs';

export interface OnnxValueShape {
  name: string;
  /** Numbers for fixed sizes, strings for symbolic/dynamic dimensions ('' when unnamed). */
  shape: Array<number | string>;
  /** The tensor's element type as a DISM DataType (FP32, INT32, BOOL, BYTES, …); undefined when not a tensor. */
  dataType?: string;
}

/** onnxruntime's element types as DISM DataTypes (Triton's, without TYPE_; BYTES is Triton's STRING). */
const ORT_DATA_TYPES: Record<string, string> = {
  bool: 'BOOL',
  uint8: 'UINT8',
  uint16: 'UINT16',
  uint32: 'UINT32',
  uint64: 'UINT64',
  int8: 'INT8',
  int16: 'INT16',
  int32: 'INT32',
  int64: 'INT64',
  float16: 'FP16',
  float32: 'FP32',
  float64: 'FP64',
  string: 'BYTES',
  bfloat16: 'BF16',
};

export type OnnxShapes = { inputs: OnnxValueShape[]; outputs: OnnxValueShape[] } | { note: string };

interface CacheEntry {
  mtimeMs: number;
  shapes: OnnxShapes;
}
const cache = new Map<string, CacheEntry>();

/**
 * Input/output shapes of an ONNX model from onnxruntime's session metadata. Falls back to a note
 * (never a guess) when onnxruntime-node or its metadata API is unavailable.
 */
export async function readOnnxShapes(file: string): Promise<OnnxShapes> {
  const st = await fs.stat(file);
  const hit = cache.get(file);
  if (hit && hit.mtimeMs === st.mtimeMs) return hit.shapes;
  let ort: typeof import('onnxruntime-node');
  try {
    ort = await import('onnxruntime-node');
  } catch (err) {
    return { note: `ONNX shape check skipped: onnxruntime-node could not be loaded (${(err as Error).message}).` };
  }
  let session;
  try {
    session = await ort.InferenceSession.create(file);
  } catch (err) {
    return { note: `ONNX shape check skipped: ${file} could not be opened by onnxruntime (${(err as Error).message.split('\n')[0]}).` };
  }
  try {
    type Meta = { name: string; isTensor: boolean; type?: string; shape?: ReadonlyArray<number | string> };
    const meta = session as unknown as { inputMetadata?: ReadonlyArray<Meta>; outputMetadata?: ReadonlyArray<Meta> };
    if (!meta.inputMetadata || !meta.outputMetadata) {
      return { note: 'ONNX shape check skipped: this onnxruntime-node has no session.inputMetadata (needs 1.22 or newer).' };
    }
    const conv = (m: Meta): OnnxValueShape => ({
      name: m.name,
      shape: m.isTensor && m.shape ? [...m.shape] : [],
      ...(m.isTensor && m.type ? { dataType: ORT_DATA_TYPES[m.type] ?? m.type.toUpperCase() } : {}),
    });
    const shapes = { inputs: meta.inputMetadata.map(conv), outputs: meta.outputMetadata.map(conv) };
    cache.set(file, { mtimeMs: st.mtimeMs, shapes });
    return shapes;
  } finally {
    await session.release();
  }
}

export function formatShape(shape: Array<number | string>): string {
  return `[${shape.map((d) => (typeof d === 'number' && d >= 0 ? String(d) : typeof d === 'string' && d ? d : '?')).join(', ')}]`;
}

/**
 * How Triton's ONNX Runtime backend (CompareDimsSupported) finds config dims `dims` and a model
 * tensor's shape different: the rank must be equal; a model dimension that varies (symbolic or
 * -1) takes any config size; otherwise the sizes must be equal, for outputs even where the model's
 * size varies (`exact`). Triton's -1 in the config does not match a fixed model size.
 */
export function dimsMismatch(dims: number[], shape: Array<number | string>, exact = false): string | undefined {
  if (dims.length !== shape.length)
    return `the model's tensor has ${shape.length} dimension${shape.length === 1 ? '' : 's'}, not ${dims.length}`;
  for (let i = 0; i < dims.length; i++) {
    const s = shape[i];
    const varies = typeof s !== 'number' || s < 0;
    if (varies && !exact) continue;
    if (varies && dims[i] === -1) continue;
    if (varies) return `dimension ${i} varies in the model (${typeof s === 'string' && s ? s : '?'}) but is ${dims[i]} in the template`;
    if (dims[i] !== s) return `dimension ${i} is ${dims[i]} in the template but ${s} in the model`;
  }
  return undefined;
}
