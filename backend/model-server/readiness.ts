/** Open Inference Protocol readiness: the server and the model must both answer 200. */
export interface ReadinessState {
  server: boolean;
  model: boolean;
  /** Last connection problem, e.g. "connection refused" while the server boots. */
  detail?: string;
}

async function ok(url: string, timeoutMs: number): Promise<{ ok: boolean; detail?: string }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer().catch(() => undefined);
    return { ok: res.status === 200, detail: res.status === 200 ? undefined : `HTTP ${res.status}` };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    return { ok: false, detail: cause?.code === 'ECONNREFUSED' ? 'connection refused' : (cause?.code ?? (err as Error).message) };
  }
}

export async function checkReady(baseUrl: string, modelName: string, timeoutMs = 2000): Promise<ReadinessState> {
  const server = await ok(`${baseUrl}/v2/health/ready`, timeoutMs);
  const model = server.ok
    ? await ok(`${baseUrl}/v2/models/${encodeURIComponent(modelName)}/ready`, timeoutMs)
    : { ok: false, detail: undefined };
  return { server: server.ok, model: model.ok, detail: server.detail ?? model.detail };
}

export class NotReadyError extends Error {
  override name = 'NotReadyError';
  constructor(
    readonly last: ReadinessState,
    readonly timeoutMs: number,
  ) {
    super(`not ready within ${Math.round(timeoutMs / 1000)} s`);
  }
}

/**
 * Poll until ready, the timeout passes (NotReadyError), `stop` resolves (its value is thrown —
 * e.g. the container exited), or the signal aborts.
 */
export async function waitUntilReady(
  baseUrl: string,
  modelName: string,
  opts: {
    timeoutMs: number;
    intervalMs?: number;
    signal?: AbortSignal;
    stop?: Promise<Error>;
    onPoll?: (s: ReadinessState, elapsedMs: number) => void;
  },
): Promise<number> {
  const t0 = Date.now();
  let stopped: Error | undefined;
  void opts.stop?.then((e) => (stopped = e));
  // A poll must not outlive a stop: a connection the engine's port proxy accepted for a container
  // that then exits can stay pending with no socket left (fetch's timeout timer does not keep the
  // process alive), and the CLI would quit silently with exit code 0.
  const stoppedPoll = opts.stop?.then((e): never => {
    throw e;
  });
  stoppedPoll?.catch(() => undefined);
  for (;;) {
    if (opts.signal?.aborted) throw opts.signal.reason instanceof Error ? opts.signal.reason : new Error('Cancelled');
    if (stopped) throw stopped;
    const last = await (stoppedPoll ? Promise.race([checkReady(baseUrl, modelName), stoppedPoll]) : checkReady(baseUrl, modelName));
    const elapsed = Date.now() - t0;
    if (last.server && last.model) return elapsed;
    if (stopped) throw stopped;
    opts.onPoll?.(last, elapsed);
    if (elapsed >= opts.timeoutMs) throw new NotReadyError(last, opts.timeoutMs);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, opts.intervalMs ?? 100);
      void opts.stop?.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
