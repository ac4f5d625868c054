import { ApiError } from '@/shared/api/errors';

export interface OipOutput {
  name: string;
  shape: number[];
  datatype: string;
  data: unknown[];
}

export interface OipResponse {
  model_name?: string;
  outputs: OipOutput[];
}

/**
 * JSON.parse that also reads the bare `NaN`, `Infinity` and `-Infinity` Triton writes for
 * non-finite floats (its JSON writer is rapidjson with kWriteNanAndInfFlag), which JSON.parse
 * refuses. Plain JSON takes the fast path; only a text with such a literal outside a string is
 * rewritten (the literals become marker strings, revived as numbers).
 */
export function parseServerJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    if (!/NaN|Infinity/.test(text)) throw err;
  }
  const id = Math.random().toString(36).slice(2);
  // in the rewritten text the marker starts with the escape \u0000; JSON.parse turns it into a NUL
  const escaped = `\\u0000nonfinite-${id}-`;
  const decoded = `\u0000nonfinite-${id}-`;
  const literals: Array<[string, number]> = [
    ['-Infinity', -Infinity],
    ['Infinity', Infinity],
    ['NaN', NaN],
  ];
  let out = '';
  let from = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92)
        i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
      continue;
    }
    if (c === 34) {
      inString = true;
      continue;
    }
    if (c !== 45 && c !== 73 && c !== 78) continue; // '-', 'I', 'N'
    const hit = literals.find(([lit]) => text.startsWith(lit, i));
    if (!hit) continue;
    out += `${text.slice(from, i)}"${escaped}${hit[0]}"`;
    i += hit[0].length - 1;
    from = i + 1;
  }
  out += text.slice(from);
  const values = new Map(literals.map(([lit, v]) => [`${decoded}${lit}`, v]));
  return JSON.parse(out, (_k, v: unknown) => (typeof v === 'string' && v.startsWith(decoded) ? (values.get(v) ?? v) : v));
}

/** POST /v2/models/<model>/infer with clear errors for the cases users meet. */
export async function postInfer(
  baseUrl: string,
  model: string,
  body: string | Uint8Array,
  opts: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<OipResponse> {
  const url = `${baseUrl.replace(/\/+$/, '')}/v2/models/${encodeURIComponent(model)}/infer`;
  const signals = [AbortSignal.timeout(opts.timeoutMs ?? 300_000), ...(opts.signal ? [opts.signal] : [])];
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: body as unknown as BodyInit,
      signal: AbortSignal.any(signals),
    });
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    const cause = (err as { cause?: { code?: string } }).cause;
    const what =
      cause?.code === 'ECONNREFUSED'
        ? 'nothing is listening there (is the model server running?)'
        : (err as Error).name === 'TimeoutError'
          ? `no answer within ${Math.round((opts.timeoutMs ?? 300_000) / 1000)} s`
          : (cause?.code ?? (err as Error).message);
    throw new ApiError('INFER_UNREACHABLE', `Could not send the inference request to ${url}: ${what}.`, { url }, 'InferenceError');
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = parseServerJson(text);
  } catch {
    json = undefined;
  }
  if (res.status !== 200) {
    const msg =
      (json as { error?: string; detail?: unknown } | undefined)?.error ??
      JSON.stringify((json as { detail?: unknown } | undefined)?.detail ?? text.slice(0, 500));
    const hint = res.status === 404 ? ` (is the model name "${model}" right? It is Properties.Name in the template)` : '';
    throw new ApiError(
      'INFER_FAILED',
      `The model server answered HTTP ${res.status} to the inference request${hint}: ${msg}`,
      { url, status: res.status, body: text.slice(0, 4000), serverMessage: typeof msg === 'string' ? msg : String(msg) },
      'InferenceError',
    );
  }
  const outputs = (json as OipResponse | undefined)?.outputs;
  if (!Array.isArray(outputs))
    throw new ApiError(
      'INFER_BAD_RESPONSE',
      `The model server's answer has no "outputs" list: ${text.slice(0, 300)}`,
      { url },
      'InferenceError',
    );
  return json as OipResponse;
}
