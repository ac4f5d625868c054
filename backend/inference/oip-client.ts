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
    json = JSON.parse(text);
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
      { url, status: res.status, body: text.slice(0, 4000) },
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
