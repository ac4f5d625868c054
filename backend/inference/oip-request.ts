import type { NumericArray } from '../../shared/pipeline/ndarray';
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
  /** The JSON body, built as text (large requests would be slow through JSON.stringify). */
  body: string;
  inputs: Array<{ name: string; datatype: string; shape: number[] }>;
}

/** LS per request so a request stays around `maxValues` numbers (≈ 10 MB of JSON for 2 M). */
export function batchSize(signature: SignatureEntry[], maxValues: number): number {
  const perLs = signature.reduce((a, s) => a + s.dims.slice(1).reduce((x, d) => x * Math.max(1, d), 1), 0) || 1;
  return Math.max(1, Math.floor(maxValues / perLs));
}

function intText(v: number): string {
  // numpy's astype(int32): truncate toward zero.
  return String(Math.trunc(v) | 0);
}

function valueText(datatype: string, v: number | boolean | string | null): string {
  if (datatype === 'BOOL') return v === true || v === 1 || v === 'true' ? 'true' : 'false';
  if (datatype === 'BYTES') return JSON.stringify(v === null ? '' : String(v));
  const num = typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : v === null ? 0 : Number(v);
  if (/^U?INT/.test(datatype)) return String(Math.trunc(Number.isFinite(num) ? num : 0));
  // JSON has no NaN: send null as numpy's tolist()+json would refuse; DIALS sends numbers only.
  return Number.isFinite(num) ? String(num) : 'null';
}

function joinInts(data: NumericArray, from: number, to: number): string {
  const parts = new Array<string>(to - from);
  for (let i = from; i < to; i++) parts[i - from] = intText(data[i]);
  return parts.join(',');
}

export function buildRequests(signature: SignatureEntry[], metadataInputs: MetadataInput[], data: InferenceInputs, maxValues = 2_000_000): RequestBatch[] {
  if (data.maps.length !== signature.length) throw new Error(`expected ${signature.length} map stacks (one per InputSignature entry), got ${data.maps.length}`);
  const per = batchSize(signature, maxValues);
  const batches: RequestBatch[] = [];
  for (let start = 0; start < data.n; start += per) {
    const n = Math.min(per, data.n - start);
    const parts: string[] = [];
    const inputs: RequestBatch['inputs'] = [];
    signature.forEach((s, k) => {
      const [ny, nx] = s.dims.slice(1);
      const size = ny * nx;
      const shape = [n, ny, nx];
      inputs.push({ name: s.name, datatype: s.dataType, shape });
      parts.push(`{"name":${JSON.stringify(s.name)},"shape":[${shape.join(',')}],"datatype":${JSON.stringify(s.dataType)},"data":[${joinInts(data.maps[k], start * size, (start + n) * size)}]}`);
    });
    for (const m of metadataInputs) {
      const col = data.metadata[m.name];
      if (!col) throw new Error(`no values for metadata input ${m.name}`);
      const values: string[] = [];
      for (let i = start; i < start + n; i++) values.push(valueText(m.dataType, col[i] ?? null));
      inputs.push({ name: m.name, datatype: m.dataType, shape: [n] });
      parts.push(`{"name":${JSON.stringify(m.name)},"shape":[${n}],"datatype":${JSON.stringify(m.dataType)},"data":[${values.join(',')}]}`);
    }
    batches.push({ start, n, inputs, body: `{"inputs":[${parts.join(',')}]}` });
  }
  return batches;
}
