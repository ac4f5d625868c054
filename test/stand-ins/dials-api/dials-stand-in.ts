/**
 * TEST STAND-IN for the DIALS API (https://cmsdials-api.web.cern.ch/api/v1/) — never used by DISM
 * Studio outside tests. DIALS's servers cannot be reached from development machines or CI, so this
 * serves the same routes, query parameters, cursor pagination, auth flow, record fields and error
 * bodies as the real API (facts from the public client cms-DQM/dials-py v1.5.0 and the server
 * cms-DQM/dials v1.12.0; see README.md) from a seeded in-memory world, on 127.0.0.1, with fault
 * injection for the failures a client must survive. Point a client at `url` as its base URL.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createGzip } from 'node:zlib';
import { AuthServer, DEFAULT_SECRET_KEY, type AuthOptions, type Principal } from './auth';
import { BadPosition, decodeCursor, InvalidCursor, paginate, type Cursor } from './cursor';
import { breakRecord, Faults, type Fault } from './faults';
import { OMS_FLOAT_KEYS, omsQuery } from './oms';
import { djangoNotFound, djangoServerError, drfError, drfValidation, gatewayError, HttpError, pyFloat, toJson } from './responses';
import { fieldSet, parseFilters, selectFields, TABLES, type Rec, type Table } from './tables';
import { DEFAULT_WORKSPACE, PRODUCTION_WORKSPACES, World, type WorkspaceDef, type WorldOptions } from './world';

export {
  bulkRuns,
  BARREL_ME_IDS,
  EXPRESS_2025F,
  PIXEL_BARREL_ME,
  PIXEL_MODEL_ID,
  PIXEL_MODEL_OLD_ID,
  PRODUCTION_DISAGREEMENTS,
  ZEROBIAS_2025F,
  World,
} from './world';
export { DEFAULT_SECRET_KEY, TOKEN_AUDIENCE } from './auth';
export type { Fault, FaultRule } from './faults';

/** DIALS's page size when the request has no (valid) page_size, and its cap. */
export const DEFAULT_PAGE_SIZE = 10;
export const MAX_PAGE_SIZE = 500;

export interface DialsStandInOptions extends WorldOptions, AuthOptions {
  /** Port on 127.0.0.1 (default: a free one). */
  port?: number;
  /** Latency of every API response, ms (e.g. 50 for a slow link). */
  latencyMs?: number;
  /** gzip JSON when the client accepts it, as production's nginx does (default false: saves CPU in tests). */
  gzip?: boolean;
  /** Called after each request (the CLI prints them). */
  onRequest?: (entry: LoggedRequest) => void;
}

/** A request as the stand-in saw it; secrets never appear (Authorization / X-CLIENT-SECRET are redacted, bodies are reduced to their keys). */
export interface LoggedRequest {
  at: number;
  method: string;
  path: string;
  /** Query parameters in request order, decoded. */
  query: Array<[string, string]>;
  headers: Record<string, string>;
  /** e.g. `th2:list`, `auth:device-token`; null for unknown paths. */
  routeId: string | null;
  bodyKeys?: string[];
  workspace?: string;
  status?: number;
  /** Faults applied to this request. */
  faults: string[];
  /** Records written (lists). */
  records?: number;
}

export interface DialsStandIn {
  /** Base URL, like the client's PRODUCTION_BASE_URL: `http://127.0.0.1:<port>/`. */
  url: string;
  /** `${url}api/v1/` */
  apiUrl: string;
  /** A valid X-CLIENT-SECRET (the client's secret-key credentials). */
  secretKey: string;
  /** The seeded data: workspaces, datasets, runs, MEs, expected records; inject exact maps here. */
  state: World;
  /** Device flow control: approve/deny, expire tokens, issue a token directly. */
  auth: AuthServer;
  faults: Faults;
  /** Every request so far (oldest first). */
  requests: LoggedRequest[];
  clearRequests(): void;
  /** Totals since start: list pages completed, records written, body bytes written, connections dropped. */
  stats: { pages: number; records: number; bytes: number; drops: number };
  /** The JSON object the stand-in serves for a detail route, e.g. record('th2', [datasetId, run, ls, meId]). */
  record(resource: string, ids: number[], workspace?: string): Rec | null;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Route {
  id: string;
  methods: string[];
  /** Needs X-CLIENT-SECRET or a Bearer token. */
  authenticated: boolean;
  handle(ctx: RequestCtx): Promise<void>;
}

interface RequestCtx {
  req: http.IncomingMessage;
  params: URLSearchParams;
  absoluteUrl: string;
  baseUrl: string;
  body: Record<string, unknown>;
  /** The integers (or pk) of a detail route, as matched. */
  ids: string[];
  principal: Principal | null;
  faults: Fault[];
  entry: LoggedRequest;
  send(status: number, json: string): Promise<void>;
  /** Stream `{prefix}rec0,rec1,…{suffix}`; records are rendered one at a time as they are written (bounded memory). */
  sendPage(prefix: string, count: number, render: (i: number) => string, suffix: string): Promise<void>;
}

export async function startDialsStandIn(options: DialsStandInOptions = {}): Promise<DialsStandIn> {
  const world = new World(options);
  const auth = new AuthServer(options);
  const faults = new Faults(options.latencyMs ?? 0);
  const requests: LoggedRequest[] = [];
  const stats = { pages: 0, records: 0, bytes: 0, drops: 0 };
  const sockets = new Set<Socket>();

  // ── workspace routing (utils/db_router.py) ──
  const workspaceOf = (ctx: RequestCtx): WorkspaceDef => {
    const header = ctx.req.headers.workspace;
    const name = Array.isArray(header) ? header[header.length - 1] : header;
    let ws: string;
    if (name) {
      ctx.entry.workspace = name;
      if (!world.workspaces.has(name)) throw drfError(404, `Workspace '${name}' not found`);
      ws = name;
    } else {
      const roles = ctx.principal?.cernRoles ?? [];
      ws = PRODUCTION_WORKSPACES.find(([, egroup]) => roles.includes(egroup))?.[0] ?? DEFAULT_WORKSPACE;
    }
    ctx.entry.workspace = ws;
    if (faults.forbiddenWorkspaces.has(ws)) throw drfError(403, 'You do not have permission to perform this action.');
    return world.workspace(ws);
  };

  const intList = (ctx: RequestCtx, name: string, message: string): number[] => {
    const raw = ctx.params.get(name);
    if (raw === null) throw djangoServerError(); // None.split(",") → AttributeError
    const items = raw.split(',');
    if (items.some((x) => !/^\s*[+-]?\d+\s*$/.test(x))) throw drfValidation(message);
    return items.map((x) => Number.parseInt(x, 10));
  };

  // ── routes ──
  const listRoute = (t: Table): Route => ({
    id: `${t.resource}:list`,
    methods: ['GET'],
    authenticated: true,
    async handle(ctx) {
      const ws = workspaceOf(ctx);
      const f = parseFilters(ctx.params, t.filters);
      const fields = ctx.params.get('fields');
      const wanted = fieldSet(fields);
      const schema = ctx.faults.find((x): x is Extract<Fault, { kind: 'schema' }> => x.kind === 'schema');
      const render = (rec: Rec, i: number) => {
        const out = selectFields(rec, fields);
        if (schema && i === (schema.record ?? 0)) breakRecord(out, schema);
        return toJson(out, t.floatKeys);
      };
      if (!t.paginated) {
        const rows = [...t.rows({ world, ws, f }, null, false)];
        await ctx.sendPage('[', rows.length, (i) => render(rows[i].record(wanted), i), ']');
        return;
      }
      if (ctx.params.has('order_by'))
        throw new HttpError(
          501,
          JSON.stringify({
            detail: 'DIALS stand-in: order_by is not implemented; DIALS orders by the primary key, which is what the stand-in does.',
          }),
        );
      const pageSize = pageSizeOf(ctx.params.get('page_size'));
      const token = ctx.params.get('next_token');
      let cursor: Cursor | null = null;
      if (token !== null) {
        try {
          cursor = decodeCursor(token);
        } catch (err) {
          if (err instanceof InvalidCursor) throw drfError(404, 'Invalid cursor');
          throw err;
        }
      }
      let page;
      try {
        page = paginate((pos, rev) => t.rows({ world, ws, f }, pos, rev), cursor, pageSize, ctx.absoluteUrl);
      } catch (err) {
        if (err instanceof BadPosition) throw djangoServerError();
        throw err;
      }
      const rows = page.page;
      await ctx.sendPage(
        `{"next":${JSON.stringify(page.next)},"previous":${JSON.stringify(page.previous)},"results":[`,
        rows.length,
        (i) => render(rows[i].record(wanted), i),
        ']}',
      );
    },
  });

  const detailRoute = (t: Table, idPattern: 'int' | 'pk', n: number): Route & { match: RegExp } => ({
    id: `${t.resource}:get`,
    methods: ['GET'],
    authenticated: true,
    match: new RegExp(
      `^${t.resource}/${Array(n)
        .fill(idPattern === 'int' ? '(\\d+)' : '([^/.]+)')
        .join('/')}/$`,
    ),
    async handle(ctx) {
      const ws = workspaceOf(ctx);
      const ids = ctx.ids;
      if (ids.some((x) => !/^\d+$/.test(x))) throw drfError(404, 'Not found.');
      const rec = t.get!(world, ws, ids.map(Number));
      if (!rec) throw drfError(404, `No ${t.model} matches the given query.`);
      const out = selectFields(rec, ctx.params.get('fields'));
      const schema = ctx.faults.find((x): x is Extract<Fault, { kind: 'schema' }> => x.kind === 'schema');
      if (schema) breakRecord(out, schema);
      await ctx.send(200, toJson(out, t.floatKeys));
    },
  });

  const countRoute = (t: Table): Route => ({
    id: `${t.resource}:count`,
    methods: ['GET'],
    authenticated: true,
    async handle(ctx) {
      const ws = workspaceOf(ctx);
      const f = parseFilters(ctx.params, t.filters);
      let n = 0;
      for (const _ of t.rows({ world, ws, f }, null, false)) n++;
      await ctx.send(200, JSON.stringify({ count: n }));
    },
  });

  const fixed = new Map<string, Route>([
    [
      'auth/new-device/',
      {
        id: 'auth:new-device',
        methods: ['GET'],
        authenticated: false,
        handle: (ctx) => ctx.send(200, JSON.stringify(auth.newDevice(ctx.baseUrl))),
      },
    ],
    [
      'auth/device-token/',
      {
        id: 'auth:device-token',
        methods: ['POST'],
        authenticated: false,
        handle: (ctx) => ctx.send(200, JSON.stringify(auth.deviceToken(ctx.body))),
      },
    ],
    [
      'auth/refresh-token/',
      {
        id: 'auth:refresh-token',
        methods: ['POST'],
        authenticated: false,
        handle: (ctx) => ctx.send(200, JSON.stringify(auth.refresh(ctx.body))),
      },
    ],
    [
      'auth/workspaces/',
      {
        id: 'auth:workspaces',
        methods: ['GET'],
        authenticated: true,
        handle: (ctx) => ctx.send(200, JSON.stringify({ workspaces: PRODUCTION_WORKSPACES.map(([n]) => n) })),
      },
    ],
    [
      'auth/user-default-workspace/',
      {
        id: 'auth:user-default-workspace',
        methods: ['GET'],
        authenticated: true,
        handle: (ctx) =>
          ctx.send(
            200,
            JSON.stringify({
              workspace: PRODUCTION_WORKSPACES.find(([, g]) => (ctx.principal?.cernRoles ?? []).includes(g))?.[0] ?? DEFAULT_WORKSPACE,
            }),
          ),
      },
    ],
    ...Object.values(TABLES).map((t) => [`${t.resource}/`, listRoute(t)] as [string, Route]),
    ...['run', 'lumisection', 'file-index'].map((r) => [`${r}/count/`, countRoute(TABLES[r])] as [string, Route]),
    [
      'ml-bad-lumisection/cert-json/',
      {
        id: 'ml-bad-lumisection:cert-json',
        methods: ['GET'],
        authenticated: true,
        async handle(ctx) {
          const msg = 'dataset_id and run_number must be valid integers and model_ids a valid list of integers';
          const datasets = intList(ctx, 'dataset_id__in', msg);
          const runs = intList(ctx, 'run_number__in', msg);
          const models = intList(ctx, 'model_id__in', msg);
          const ws = workspaceOf(ctx);
          const preds = ws.badLumis
            .filter((b) => datasets.includes(b.datasetId) && runs.includes(b.run) && models.includes(b.modelId))
            .sort((a, b) => a.datasetId - b.datasetId || a.run - b.run || a.ls - b.ls || a.modelId - b.modelId || a.meId - b.meId);
          const parts: string[] = [];
          for (const run of [...new Set(runs)]) {
            const byLs = new Map<number, string[]>();
            for (const p of preds.filter((x) => x.run === run)) {
              const m = ws.models.find((x) => x.modelId === p.modelId);
              if (!m) throw djangoServerError(); // models[model_id] KeyError
              byLs.set(p.ls, [
                ...(byLs.get(p.ls) ?? []),
                `{"model_id":${p.modelId},"me_id":${p.meId},"filename":${JSON.stringify(m.filename)},"me":${JSON.stringify(m.targetMe)},"mse":${pyFloat(p.mse)}}`,
              ]);
            }
            parts.push(`"${run}":{${[...byLs].map(([ls, list]) => `"${ls}":[${list.join(',')}]`).join(',')}}`);
          }
          await ctx.send(200, `{${parts.join(',')}}`);
        },
      },
    ],
    [
      'ml-bad-lumisection/golden-json/',
      {
        id: 'ml-bad-lumisection:golden-json',
        methods: ['GET'],
        authenticated: true,
        async handle(ctx) {
          const msg = 'dataset_id__in and run_number__in, and model_id__in a valid list of integers';
          const datasets = intList(ctx, 'dataset_id__in', msg);
          const runs = intList(ctx, 'run_number__in', msg);
          const models = intList(ctx, 'model_id__in', msg);
          const ws = workspaceOf(ctx);
          const out: Record<string, number[][]> = {};
          for (const run of runs) {
            const bad = new Set(
              ws.badLumis.filter((b) => datasets.includes(b.datasetId) && b.run === run && models.includes(b.modelId)).map((b) => b.ls),
            );
            const all: number[] = [];
            for (const d of ws.datasets.filter((x) => datasets.includes(x.datasetId))) {
              const r = world.runOf(d, run);
              if (r) for (let ls = 1; ls <= r.lsCount; ls++) all.push(ls);
            }
            const good = all.filter((ls) => !bad.has(ls)).sort((a, b) => a - b);
            if (!good.length) continue;
            // utils/common.py list_to_range: groupby(enumerate(sorted), key=value-index)
            const ranges: number[][] = [];
            good.forEach((ls, i) => {
              const last = ranges[ranges.length - 1];
              if (last && ls - i === last[2]) last[1] = ls;
              else ranges.push([ls, ls, ls - i]);
            });
            out[String(run)] = ranges.map(([a, b]) => [a, b]);
          }
          await ctx.send(200, JSON.stringify(out));
        },
      },
    ],
    [
      'oms-proxy/',
      {
        id: 'oms-proxy:list',
        methods: ['GET'],
        authenticated: true,
        handle: (ctx) => ctx.send(200, toJson(omsQuery(world, ctx.params), OMS_FLOAT_KEYS)),
      },
    ],
  ]);

  const detailRoutes = [
    detailRoute(TABLES.th1, 'int', 4),
    detailRoute(TABLES.th2, 'int', 4),
    detailRoute(TABLES.lumisection, 'int', 3),
    detailRoute(TABLES.run, 'int', 2),
    detailRoute(TABLES['file-index'], 'int', 2),
    detailRoute(TABLES['ml-bad-lumisection'], 'int', 5),
    detailRoute(TABLES['dataset-index'], 'pk', 1),
    detailRoute(TABLES['ml-models-index'], 'pk', 1),
    detailRoute(TABLES.mes, 'pk', 1),
  ];
  const mesOfRun: Route & { match: RegExp } = {
    id: 'mes:run',
    methods: ['GET'],
    authenticated: true,
    match: /^mes\/(\d+)\/(\d+)\/$/,
    async handle(ctx) {
      const ws = workspaceOf(ctx);
      const [ds, run] = ctx.ids.map(Number);
      const d = ws.datasets.find((x) => x.datasetId === ds);
      const r = d && world.runOf(d, run);
      if (!d || !r || r.lsCount < 1) throw djangoServerError(); // no first lumisection → AttributeError
      await ctx.send(200, JSON.stringify(world.mesInRun(ws, r).map((m) => ({ me_id: m.meId, me: m.me, dim: m.dim }))));
    },
  };

  const matchRoute = (rest: string): { route: Route; ids: string[] } | null => {
    const f = fixed.get(rest);
    if (f) return { route: f, ids: [] };
    for (const r of [mesOfRun, ...detailRoutes]) {
      const m = r.match.exec(rest);
      if (m) return { route: r, ids: m.slice(1) };
    }
    return null;
  };

  // ── HTTP ──
  const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end(`DIALS stand-in bug: ${(err as Error).stack}`);
      } else res.destroy();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}/`;

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
    const search = q < 0 ? '' : rawUrl.slice(q + 1);
    const params = new URLSearchParams(search);
    const host = req.headers.host ?? `127.0.0.1:${port}`;
    const baseUrl = `http://${host}`;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      headers[k] = ['authorization', 'x-client-secret', 'cookie'].includes(k) ? '[redacted]' : String(v);
    const entry: LoggedRequest = {
      at: Date.now(),
      method: req.method ?? 'GET',
      path,
      query: [...params],
      headers,
      routeId: null,
      faults: [],
    };
    requests.push(entry);
    const finish = () => options.onRequest?.(entry);
    res.on('close', finish);

    const writeRaw = (status: number, body: string, contentType: string, extra: Record<string, string> = {}) => {
      entry.status = status;
      const buf = Buffer.from(body, 'utf8');
      res.writeHead(status, {
        'Content-Type': contentType,
        'Content-Length': String(buf.length),
        'X-DIALS-Stand-In': 'test-only',
        ...extra,
      });
      res.end(buf);
      stats.bytes += buf.length;
    };
    const sendError = (e: HttpError) => writeRaw(e.status, e.body, e.contentType, e.headers);

    // The approval page of the device flow (CERN SSO's /device page in production).
    if (path === '/auth/realms/cern/device') {
      entry.routeId = 'sso:device';
      if (req.method === 'POST') {
        const form = new URLSearchParams(await readText(req));
        try {
          return writeRaw(200, auth.submitApproval(form.get('user_code') ?? '', form.get('action') ?? ''), 'text/html; charset=utf-8');
        } catch (err) {
          if (err instanceof HttpError) return sendError(err);
          throw err;
        }
      }
      return writeRaw(200, auth.approvalPage(params.get('user_code')), 'text/html; charset=utf-8');
    }

    if (!path.startsWith('/api/v1/')) return sendError(djangoNotFound());
    const rest = path.slice('/api/v1/'.length);
    const matched = matchRoute(rest);
    if (!matched && !rest.endsWith('/') && matchRoute(`${rest}/`)) {
      // Django's APPEND_SLASH
      entry.status = 301;
      res.writeHead(301, { Location: `${path}/${search ? `?${search}` : ''}`, 'Content-Length': '0' });
      return void res.end();
    }
    if (!matched) return sendError(djangoNotFound());
    const { route, ids } = matched;
    entry.routeId = route.id;

    // Infrastructure in front of DIALS first: latency, gateway errors, resets.
    const taken = faults.take(route.id);
    entry.faults = taken.map((f) => f.kind);
    const latency = faults.latencyFor(route.id) + taken.filter((f) => f.kind === 'delay').reduce((a, f) => a + (f as { ms: number }).ms, 0);
    if (latency > 0) await sleep(latency);
    if (taken.some((f) => f.kind === 'reset')) {
      stats.drops++;
      entry.status = 0;
      return void req.socket.destroy();
    }
    const gateway = taken.find((f): f is Extract<Fault, { kind: 'status' }> => f.kind === 'status');
    if (gateway) return sendError(gatewayError(gateway.status, gateway.retryAfterS));

    const drop = taken.find((f): f is Extract<Fault, { kind: 'drop-mid-page' }> => f.kind === 'drop-mid-page');
    const acceptsGzip = options.gzip === true && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const dropSocket = () => {
      stats.drops++;
      req.socket.destroy();
    };

    // Streams a JSON body; honours back-pressure; with a drop fault, stops part-way and kills the socket.
    const stream = async (status: number, count: number, pieceAt: (i: number) => string, dropAfter: number | null) => {
      entry.status = status;
      res.writeHead(status, {
        'Content-Type': 'application/json',
        Vary: acceptsGzip ? 'Accept, Workspace, Accept-Encoding' : 'Accept, Workspace',
        Allow: route.methods.join(', '),
        'X-Frame-Options': 'DENY',
        'X-Content-Type-Options': 'nosniff',
        'X-DIALS-Stand-In': 'test-only',
        ...(acceptsGzip ? { 'Content-Encoding': 'gzip' } : {}),
      });
      const gz = acceptsGzip ? createGzip({ level: 1 }) : null;
      if (gz) gz.pipe(res);
      const out = gz ?? res;
      for (let i = 0; i < count; i++) {
        if (dropAfter !== null && i === dropAfter) {
          await new Promise<void>((r) => (gz ? gz.flush(() => r()) : r()));
          await new Promise<void>((r) => res.write('', () => r()));
          return dropSocket();
        }
        if (res.destroyed) return;
        const buf = Buffer.from(pieceAt(i), 'utf8');
        stats.bytes += buf.length;
        if (!out.write(buf))
          await new Promise<void>((r) => {
            // whichever comes first; the other listener is removed so a long page does not pile them up
            const done = () => {
              out.off('drain', done);
              res.off('close', done);
              r();
            };
            out.once('drain', done);
            res.once('close', done);
          });
      }
      out.end();
    };

    const ctx: RequestCtx = {
      req,
      params,
      absoluteUrl: `${baseUrl}${rawUrl}`,
      baseUrl,
      body: {},
      principal: null,
      faults: taken,
      entry,
      ids,
      send: async (status, json) => {
        if (drop) {
          const half = Math.floor(json.length * (drop.fraction ?? 0.5));
          const halves = [json.slice(0, half), json.slice(half)];
          return stream(status, 2, (i) => halves[i], 1);
        }
        return stream(status, 1, () => json, null);
      },
      sendPage: async (prefix, count, render, suffix) => {
        // pieces: prefix, record 0, ",record 1", …, suffix
        const pieceAt = (i: number) => (i === 0 ? prefix : i === count + 1 ? suffix : i === 1 ? render(0) : `,${render(i - 1)}`);
        let dropAfter: number | null = null;
        if (drop) dropAfter = count ? 1 + Math.floor(count * (drop.fraction ?? 0.5)) : 1;
        await stream(200, count + 2, pieceAt, dropAfter);
        entry.records = dropAfter === null ? count : Math.max(0, dropAfter - 1);
        stats.records += entry.records;
        if (dropAfter === null) stats.pages++;
      },
    };

    try {
      if (req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH')
        ctx.body = parseBody(req.headers['content-type'], await readText(req));
      entry.bodyKeys = Object.keys(ctx.body);
      if (route.authenticated) ctx.principal = auth.authenticate(req.headers);
      if (!route.methods.includes(req.method ?? 'GET')) throw drfError(405, `Method "${req.method}" not allowed.`);
      await route.handle(ctx);
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      if (res.headersSent) return void res.destroy();
      if (drop) {
        // a dropped connection while sending an error: half of it, then the socket goes
        entry.status = err.status;
        res.writeHead(err.status, { 'Content-Type': err.contentType, ...err.headers });
        res.write(err.body.slice(0, Math.floor(err.body.length / 2)), () => dropSocket());
        return;
      }
      sendError(err);
    }
  }

  return {
    url,
    apiUrl: `${url}api/v1/`,
    secretKey: Object.keys(auth.secretKeys)[0] ?? DEFAULT_SECRET_KEY,
    state: world,
    auth,
    faults,
    requests,
    clearRequests: () => void requests.splice(0),
    stats,
    record(resource, ids, workspace = DEFAULT_WORKSPACE) {
      const t = TABLES[resource];
      if (!t?.get) throw new Error(`DIALS stand-in: no detail route for ${resource}`);
      return t.get(world, world.workspace(workspace), ids);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function pageSizeOf(raw: string | null): number {
  // DRF _positive_int(strict=True, cutoff=500); anything invalid falls back to the default.
  if (raw === null || !/^\s*[+-]?\d+\s*$/.test(raw)) return DEFAULT_PAGE_SIZE;
  const n = Number.parseInt(raw, 10);
  if (n <= 0) return DEFAULT_PAGE_SIZE;
  return Math.min(n, MAX_PAGE_SIZE);
}

function readText(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 1_000_000) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** DRF's parsers: JSON (the client's), form and multipart-free urlencoded; bad JSON is DRF's 400. */
function parseBody(contentType: string | undefined, text: string): Record<string, unknown> {
  if (!text) return {};
  if (String(contentType ?? '').includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text));
  try {
    const v = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? v : {};
  } catch (err) {
    throw drfError(400, `JSON parse error - ${(err as Error).message}`);
  }
}
