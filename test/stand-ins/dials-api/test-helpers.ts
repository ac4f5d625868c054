/**
 * Helpers for the DIALS API stand-in's own tests: requests the way the public Python client makes
 * them, and a checker of records against the client's field lists (client-models.json).
 */
import http from 'node:http';
import clientModels from './client-models.json';
import type { DialsStandIn } from './dials-stand-in';

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

export interface CallOptions {
  query?: Record<string, string | number | boolean | Array<string | number>>;
  headers?: Record<string, string>;
  /** `secret` (default): X-CLIENT-SECRET; a string: Bearer token; null: no credentials. */
  auth?: 'secret' | string | null;
  workspace?: string;
  method?: string;
  body?: unknown;
}

/** Query string like cmsdials' cleandict() + requests: lists joined with commas, None dropped. */
export function queryString(query: CallOptions['query'] = {}): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null) p.append(k, Array.isArray(v) ? v.join(',') : String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

export async function call(s: DialsStandIn, path: string, opts: CallOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
  const auth = opts.auth === undefined ? 'secret' : opts.auth;
  if (auth === 'secret') headers['X-CLIENT-SECRET'] = s.secretKey;
  else if (auth !== null) headers.Authorization = `Bearer ${auth}`;
  if (opts.workspace !== undefined) headers.Workspace = opts.workspace;
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  const url = path.startsWith('http') ? path : `${s.apiUrl}${path}${queryString(opts.query)}`;
  const r = await fetch(url, {
    method: opts.method ?? (opts.body === undefined ? 'GET' : 'POST'),
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    redirect: 'manual',
  });
  const text = await r.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: r.status, headers: r.headers, text, json };
}

/**
 * Walk every page like cmsdials' list_all: take `next_token` out of `next` and send it with the
 * original filters. Returns all results and the number of pages.
 */
export async function listAll(
  s: DialsStandIn,
  resource: string,
  query: CallOptions['query'] = {},
  opts: Omit<CallOptions, 'query'> & { maxPages?: number; resumeFrom?: string | null } = {},
): Promise<{ results: any[]; pages: number; next: string | null }> {
  const results: any[] = [];
  let next: string | null = opts.resumeFrom ?? null;
  let pages = 0;
  const seen = new Set<string>();
  do {
    const token = next ? new URL(next).searchParams.get('next_token') : null;
    if (token !== null) {
      if (seen.has(token)) throw new Error(`${resource}: next_token ${token} came back twice — the walk would never end`);
      seen.add(token);
    }
    const r = await call(s, `${resource}/`, { ...opts, query: { ...query, ...(token ? { next_token: token } : {}) } });
    if (r.status !== 200) throw new Error(`${resource}: HTTP ${r.status}: ${r.text.slice(0, 300)}`);
    results.push(...r.json.results);
    next = r.json.next;
    pages++;
  } while (next && (opts.maxPages === undefined || pages < opts.maxPages));
  return { results, pages, next };
}

/** Raw GET that reports what arrived before the connection ended (for dropped-connection faults). */
export function rawGet(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number | null; received: string; complete: boolean; error: string | null }> {
  return new Promise((resolve) => {
    let received = '';
    let status: number | null = null;
    const req = http.get(url, { headers }, (res) => {
      status = res.statusCode ?? null;
      res.setEncoding('utf8');
      res.on('data', (c: string) => (received += c));
      res.on('end', () => resolve({ status, received, complete: true, error: null }));
      res.on('aborted', () => resolve({ status, received, complete: false, error: 'aborted' }));
      res.on('error', (e) => resolve({ status, received, complete: false, error: e.message }));
    });
    req.on('error', (e) => resolve({ status, received, complete: false, error: e.message }));
  });
}

type ModelName = keyof typeof clientModels.models;

function typeOk(type: string, v: unknown): boolean {
  switch (type) {
    case 'int':
      return Number.isInteger(v);
    case 'float':
      return typeof v === 'number' && Number.isFinite(v);
    case 'str':
      return typeof v === 'string';
    case 'str?':
      return v === null || typeof v === 'string';
    case 'bool':
      return typeof v === 'boolean';
    case 'datetime':
      return typeof v === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(v) && !Number.isNaN(Date.parse(v));
    case 'url?':
      return v === null || (typeof v === 'string' && /^https?:\/\/[^/]+\//.test(v));
    case 'list':
      return Array.isArray(v);
    case 'list[float]':
      return Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x));
    case 'list[list[float]]':
      return Array.isArray(v) && v.every((row) => Array.isArray(row) && row.every((x) => typeof x === 'number' && Number.isFinite(x)));
    default:
      throw new Error(`unknown type ${type} in client-models.json`);
  }
}

/**
 * What is wrong with `rec` for the client's pydantic model: missing keys, wrong types. The server
 * may send extra keys (pydantic ignores them) only where `allowExtra` lists them.
 */
export function schemaProblems(model: ModelName, rec: Record<string, unknown>, allowExtra: string[] = []): string[] {
  const fields = clientModels.models[model].fields as Record<string, string>;
  const problems: string[] = [];
  for (const [k, type] of Object.entries(fields)) {
    if (!(k in rec)) problems.push(`${model}.${k} is missing`);
    else if (!typeOk(type, rec[k])) problems.push(`${model}.${k} should be ${type}, got ${JSON.stringify(rec[k])?.slice(0, 60)}`);
  }
  for (const k of Object.keys(rec)) if (!(k in fields) && !allowExtra.includes(k)) problems.push(`${model}: unexpected key ${k}`);
  return problems;
}

export const CLIENT_FILTERS = clientModels.filters;
