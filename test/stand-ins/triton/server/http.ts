/**
 * TEST STAND-IN: Triton 2.34's HTTP/REST front end (KServe v2 + Triton's model-configuration and
 * repository-index extensions). Routes and status codes follow http_server.cc: health and
 * readiness answer 200 or 400 with an empty body, other errors are 400 with `{"error": "..."}`.
 */
import http from 'node:http';
import { inferResponse, normalizeRequest, parseInferRequest, reshapeOutputs } from './infer';
import { verbose } from './log';
import { inputs, maxBatchSize, modelConfigJson, outputs, protocolDataType, str, TritonError } from './model-config';
import type { ModelRepository } from './repository';

export const SERVER_VERSION = '2.34.0';
export const SERVER_EXTENSIONS = [
  'classification',
  'sequence',
  'model_repository',
  'model_repository(unload_dependents)',
  'schedule_policy',
  'model_configuration',
  'system_shared_memory',
  'cuda_shared_memory',
  'binary_tensor_data',
  'parameters',
  'statistics',
  'trace',
  'logging',
];

export interface ServerState {
  repo: ModelRepository;
  /** SERVER_READY vs initialising/exiting. */
  ready: () => boolean;
  strictReadiness: boolean;
  serverId: string;
}

const MODEL_RE = /^\/v2\/models\/([^/]+)(?:\/versions\/([0-9]+))?(?:\/(infer|ready|config|stats|trace\/setting))?$/;

function json(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function empty(res: http.ServerResponse, status: number): void {
  res.writeHead(status, { 'Content-Length': 0 });
  res.end();
}

function errorReply(res: http.ServerResponse, err: unknown): void {
  json(res, 400, { error: err instanceof TritonError ? err.message : (err as Error).message });
}

/** InferenceServer::IsReady with strict readiness: every model version READY (or unloaded). */
function serverReady(s: ServerState): boolean {
  if (!s.ready()) return false;
  if (!s.strictReadiness) return true;
  for (const m of s.repo.states()) {
    if (m.versions.length === 0) return false;
    for (const [, v] of m.versions) if (v.state !== 'READY' && v.reason !== 'unloaded') return false;
  }
  return true;
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function handle(s: ServerState, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const p = url.pathname;
  const method = req.method ?? 'GET';
  verbose('http_server.cc:3442', `HTTP request: ${method === 'GET' ? 0 : 2} ${p}`);
  const m = MODEL_RE.exec(p);
  if (m) {
    const [, rawName, versionStr, kind = ''] = m;
    const name = decodeURIComponent(rawName);
    const version = versionStr ? Number(versionStr) : undefined;
    if (kind === 'ready') {
      if (method !== 'GET') return empty(res, 405);
      let ready: boolean;
      try {
        ready = s.ready() && s.repo.getModel(name, version).state.state === 'READY';
      } catch {
        ready = false;
      }
      return empty(res, ready ? 200 : 400);
    }
    if (kind === '' || kind === 'config') {
      if (method !== 'GET') return empty(res, 405);
      try {
        const { entry, state } = s.repo.getModel(name, version);
        const cfg = state.config;
        if (kind === 'config') return json(res, 200, modelConfigJson(cfg));
        const ready = [...entry.versions.entries()].filter(([, v]) => v.state === 'READY').map(([v]) => String(v));
        const batch = maxBatchSize(cfg) >= 1 ? [-1] : [];
        const io = (x: ReturnType<typeof inputs>[number]) => ({
          name: x.name,
          datatype: protocolDataType(x.data_type),
          shape: [...batch, ...x.dims],
        });
        return json(res, 200, {
          name,
          versions: version !== undefined ? [String(version)] : ready,
          platform: str(cfg, 'platform') || str(cfg, 'backend'),
          inputs: inputs(cfg).map(io),
          outputs: outputs(cfg).map(io),
        });
      } catch (err) {
        return errorReply(res, err);
      }
    }
    if (kind === 'infer') {
      if (method !== 'POST') return empty(res, 405);
      const body = await readBody(req);
      try {
        const { entry, version: v, state } = s.repo.getModel(name, version);
        const headerLength = req.headers['inference-header-content-length'];
        const parsed = parseInferRequest(body, headerLength === undefined ? undefined : Number(headerLength));
        const normalized = normalizeRequest(state.config, entry.name, parsed);
        if (!state.model) throw new TritonError('Unavailable', `'${name}' version ${v} is not at ready state`);
        const outs = reshapeOutputs(state.config, await state.model.execute(normalized));
        const reply = inferResponse(entry.name, String(v), parsed, outs);
        const headers: Record<string, string | number> = {
          'Content-Type': reply.headerLength === undefined ? 'application/json' : 'application/octet-stream',
          'Content-Length': reply.body.length,
        };
        if (reply.headerLength !== undefined) headers['Inference-Header-Content-Length'] = reply.headerLength;
        res.writeHead(200, headers);
        res.end(reply.body);
      } catch (err) {
        verbose('http_server.cc:2985', `[request id: <id_unknown>] Infer failed: ${(err as Error).message}`);
        errorReply(res, err);
      }
      return;
    }
    return json(res, 400, { error: `TEST STAND-IN: /v2/models/<name>/${kind} is not implemented` });
  }
  if (p === '/v2') {
    if (method !== 'GET') return empty(res, 405);
    return json(res, 200, { name: s.serverId, version: SERVER_VERSION, extensions: SERVER_EXTENSIONS });
  }
  if (p === '/v2/health/live' || p === '/v2/health/ready') {
    if (method !== 'GET') return empty(res, 405);
    return empty(res, p.endsWith('live') ? (s.ready() ? 200 : 400) : serverReady(s) ? 200 : 400);
  }
  if (p === '/v2/repository/index') {
    if (method !== 'POST') return empty(res, 405);
    await readBody(req);
    const out: unknown[] = [];
    for (const mdl of s.repo.states()) {
      if (!mdl.versions.length) out.push({ name: mdl.name });
      for (const [v, st] of mdl.versions)
        out.push({ name: mdl.name, version: String(v), state: st.state, ...(st.reason ? { reason: st.reason } : {}) });
    }
    return json(res, 200, out);
  }
  if (/^\/v2\/repository\/models\/[^/]+\/(load|unload)$/.test(p)) {
    return json(res, 400, { error: 'explicit model load / unload is not allowed if polling is enabled' });
  }
  verbose('http_server.cc:3535', `HTTP error: ${method} ${p} - 400`);
  return empty(res, 400);
}

export function startHttp(s: ServerState, port: number, address: string): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    handle(s, req, res).catch((err) => {
      if (!res.headersSent) errorReply(res, err);
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => resolve(server));
  });
}
