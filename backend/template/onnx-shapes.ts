import { promises as fs } from 'node:fs';

export interface OnnxValueShape {
  name: string;
  /** Numbers for fixed sizes, strings for symbolic/dynamic dimensions ('' when unnamed). */
  shape: Array<number | string>;
}

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
    const meta = session as unknown as {
      inputMetadata?: ReadonlyArray<{ name: string; isTensor: boolean; shape?: ReadonlyArray<number | string> }>;
      outputMetadata?: ReadonlyArray<{ name: string; isTensor: boolean; shape?: ReadonlyArray<number | string> }>;
    };
    if (!meta.inputMetadata || !meta.outputMetadata) {
      return { note: 'ONNX shape check skipped: this onnxruntime-node has no session.inputMetadata (needs 1.22 or newer).' };
    }
    const conv = (m: { name: string; isTensor: boolean; shape?: ReadonlyArray<number | string> }) => ({
      name: m.name,
      shape: m.isTensor && m.shape ? [...m.shape] : [],
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

/** Differences between a template's Dims and an ONNX tensor shape ('' / symbolic / -1 match anything). */
export function dimsMismatch(dims: number[], shape: Array<number | string>): string | undefined {
  if (dims.length !== shape.length) return `rank ${dims.length} vs ${shape.length}`;
  for (let i = 0; i < dims.length; i++) {
    const s = shape[i];
    if (typeof s !== 'number' || s < 0 || dims[i] === -1) continue;
    if (dims[i] !== s) return `dimension ${i} is ${dims[i]} in the template but ${s} in the model`;
  }
  return undefined;
}
