import type { OipOutput } from './oip-client';

/**
 * A non-finite float as the text NaN / Infinity / -Infinity: the result travels as JSON (the API,
 * the saved inference file), where NaN would silently become null.
 */
export function finiteOrText(v: unknown): unknown {
  if (typeof v !== 'number' || Number.isFinite(v)) return v;
  return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
}

/** Reshape a flat C-order list to nested arrays of `shape`. */
function nest(data: unknown[], shape: number[], offset = 0): unknown {
  if (shape.length === 0) return finiteOrText(data[offset]);
  const [d, ...rest] = shape;
  const size = rest.reduce((a, b) => a * b, 1);
  return Array.from({ length: d }, (_, i) => nest(data, rest, offset + i * size));
}

/**
 * Split each output of one batch into per-LS values: outputs whose first dimension is the batch
 * size give one value (or nested array) per LS; others are returned as batch-level outputs.
 */
export function splitOutputs(outputs: OipOutput[], n: number): { perLs: Array<Record<string, unknown>>; unbatched: string[] } {
  const perLs: Array<Record<string, unknown>> = Array.from({ length: n }, () => ({}));
  const unbatched: string[] = [];
  for (const o of outputs) {
    const shape = o.shape ?? [o.data.length];
    if (shape[0] !== n || !Array.isArray(o.data)) {
      unbatched.push(o.name);
      continue;
    }
    const rest = shape.slice(1);
    const size = rest.reduce((a, b) => a * b, 1);
    for (let i = 0; i < n; i++) perLs[i][o.name] = rest.length === 0 ? finiteOrText(o.data[i]) : nest(o.data, rest, i * size);
  }
  return { perLs, unbatched };
}

export function truthy(v: unknown): boolean {
  return v === true || (typeof v === 'number' && v !== 0) || v === 'true' || v === 'True';
}

export interface Disagreement {
  index: number;
  run?: number;
  ls?: number;
  server: boolean;
  preview: boolean;
}

/** Every LS where the FlaggingKey output and the preview's flag differ. */
export function compareFlags(
  server: unknown[],
  preview: boolean[],
  runs?: ArrayLike<number>,
  lumis?: ArrayLike<number>,
): { compared: number; agree: number; disagreements: Disagreement[] } {
  const n = Math.min(server.length, preview.length);
  const disagreements: Disagreement[] = [];
  for (let i = 0; i < n; i++) {
    const s = truthy(server[i]);
    if (s !== preview[i])
      disagreements.push({
        index: i,
        ...(runs ? { run: runs[i] } : {}),
        ...(lumis ? { ls: lumis[i] } : {}),
        server: s,
        preview: preview[i],
      });
  }
  return { compared: n, agree: n - disagreements.length, disagreements };
}
