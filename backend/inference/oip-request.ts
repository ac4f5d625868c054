import type { NumericArray } from '@/shared/pipeline/ndarray';
import type { MetadataInput, SignatureEntry } from '../build-local/template-source';

/**
 * Open Inference Protocol (V2) requests exactly as DIALS sends them to a model server: one input per
 * InputSignature entry (`INT32`, shape [N, ny, nx], data flattened in C order), then one input per
 * InputMetadata attribute named `<Meta>__<Attr>` with its DataType and shape [N].
 */
export interface InferenceInputs {
  n: number;
  /** Per InputSignature entry (same order): N maps of ny × nx, C order. */
  maps: NumericArray[];
  /** Per metadata input name (`<Meta>__<Attr>`): N values. */
  metadata: Record<string, ArrayLike<number | boolean | string | null>>;
}

export interface RequestBatch {
  start: number;
  n: number;
  /** The JSON body as UTF-8 bytes; map data is written as ASCII directly (number→string conversion dominates otherwise). */
  body: Uint8Array;
  inputs: Array<{ name: string; datatype: string; shape: number[] }>;
}

/**
 * LS per request: a request stays around `maxValues` numbers (≈ 10 MB of JSON for 2 M), and holds at
 * most `maxBatchSize` LS when the model declares one (Triton's MaxBatchSize > 0): Triton refuses a
 * request whose batch is larger ("inference request batch-size must be <= 8"), before it looks at
 * anything else, so a larger request would hide every other answer.
 */
export function batchSize(signature: SignatureEntry[], maxValues: number, maxBatchSize = 0): number {
  const perLs = signature.reduce((a, s) => a + s.dims.slice(1).reduce((x, d) => x * Math.max(1, d), 1), 0) || 1;
  const byValues = Math.max(1, Math.floor(maxValues / perLs));
  return maxBatchSize > 0 ? Math.min(byValues, maxBatchSize) : byValues;
}

/**
 * A float as Python's json.dumps writes it (DIALS is Python): non-finite values as the bare
 * literals NaN, Infinity and -Infinity. Not JSON, but what Python clients send and what both model
 * servers read: Triton's parser (rapidjson with kParseNanAndInfFlag) and MLServer's (Python's json).
 * `null` would be refused by Triton ("attempt to access JSON non-number as double").
 */
export function floatText(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  return String(v);
}

function valueText(datatype: string, v: number | boolean | string | null): string {
  if (datatype === 'BOOL') return v === true || v === 1 || v === 'true' ? 'true' : 'false';
  if (datatype === 'BYTES') return JSON.stringify(v === null ? '' : String(v));
  const num = typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : v === null ? 0 : Number(v);
  if (/^U?INT/.test(datatype)) return String(Math.trunc(Number.isFinite(num) ? num : 0));
  return floatText(num);
}

/**
 * `data[from..to)` as comma-separated INT32 ASCII, converted like numpy's astype(int32) (truncate,
 * wrap to 32 bits). About 10× faster than String()/join for the millions of values of a request.
 */
export function encodeInt32Ascii(data: ArrayLike<number>, from: number, to: number): Uint8Array {
  const out = Buffer.allocUnsafe(Math.max(0, to - from) * 12);
  const digits = new Uint8Array(10);
  let p = 0;
  for (let i = from; i < to; i++) {
    if (i > from) out[p++] = 44; // ','
    let v = Math.trunc(data[i]) | 0;
    if (v < 0) {
      out[p++] = 45; // '-'
      if (v === -2147483648) {
        p += out.write('2147483648', p, 'latin1');
        continue;
      }
      v = -v;
    }
    if (v < 10) {
      out[p++] = 48 + v;
      continue;
    }
    let d = 0;
    while (v > 0) {
      const q = (v / 10) | 0;
      digits[d++] = 48 + (v - q * 10);
      v = q;
    }
    while (d > 0) out[p++] = digits[--d];
  }
  return out.subarray(0, p);
}

export function buildRequests(
  signature: SignatureEntry[],
  metadataInputs: MetadataInput[],
  data: InferenceInputs,
  maxValues = 2_000_000,
  maxBatchSize = 0,
): RequestBatch[] {
  if (data.maps.length !== signature.length)
    throw new Error(`expected ${signature.length} map stacks (one per InputSignature entry), got ${data.maps.length}`);
  const per = batchSize(signature, maxValues, maxBatchSize);
  const batches: RequestBatch[] = [];
  for (let start = 0; start < data.n; start += per) {
    const n = Math.min(per, data.n - start);
    const parts: Array<string | Uint8Array> = [];
    const inputs: RequestBatch['inputs'] = [];
    signature.forEach((s, k) => {
      const [ny, nx] = s.dims.slice(1);
      const size = ny * nx;
      const shape = [n, ny, nx];
      inputs.push({ name: s.name, datatype: s.dataType, shape });
      parts.push(
        `{"name":${JSON.stringify(s.name)},"shape":[${shape.join(',')}],"datatype":${JSON.stringify(s.dataType)},"data":[`,
        encodeInt32Ascii(data.maps[k], start * size, (start + n) * size),
        ']}',
      );
    });
    for (const m of metadataInputs) {
      const col = data.metadata[m.name];
      if (!col) throw new Error(`no values for metadata input ${m.name}`);
      const values: string[] = [];
      for (let i = start; i < start + n; i++) values.push(valueText(m.dataType, col[i] ?? null));
      inputs.push({ name: m.name, datatype: m.dataType, shape: [n] });
      parts.push(`{"name":${JSON.stringify(m.name)},"shape":[${n}],"datatype":${JSON.stringify(m.dataType)},"data":[${values.join(',')}]}`);
    }
    const pieces: Uint8Array[] = [Buffer.from('{"inputs":[')];
    parts.forEach((p, i) => {
      // inputs are separated by ',' (each input is opened by a string part starting with '{')
      if (i > 0 && typeof p === 'string' && p.startsWith('{')) pieces.push(Buffer.from(','));
      pieces.push(typeof p === 'string' ? Buffer.from(p) : p);
    });
    pieces.push(Buffer.from(']}'));
    batches.push({ start, n, inputs, body: Buffer.concat(pieces) });
  }
  return batches;
}
