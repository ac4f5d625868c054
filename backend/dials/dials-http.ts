import { DialsError, DialsHttpError, signInRequired } from './dials-errors';

/**
 * HTTP to one DIALS instance, the way the DIALS Python client talks to it (`accept:
 * application/json`, `Workspace` header, credentials in headers), plus what a long download needs:
 * retries with exponential backoff on 429, 5xx and dropped connections (honouring `Retry-After`),
 * a timeout per request, cancellation, and a second try after renewing refused credentials.
 *
 * Privacy: requests go only to `<instance>/api/v1/…`; redirects are not followed (credentials would
 * travel with them), and `next` links are never followed as sent — callers take their `next_token`
 * and ask the instance again. Nothing here logs or returns a header.
 */

export interface DialsCredentials {
  /** Headers that authenticate a request (Authorization or X-CLIENT-SECRET). */
  headers(signal?: AbortSignal): Promise<Record<string, string>>;
  /** DIALS refused the credentials: renew them once (refresh the token); false when only a new sign-in helps. */
  renew?(signal?: AbortSignal): Promise<boolean>;
}

export interface RetryPolicy {
  /** Tries per request in total (1 = no retry). */
  attempts: number;
  /** First backoff; doubled at every retry, with ±25 % jitter, at most maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is shortened to it. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseDelayMs: 1000, maxDelayMs: 30_000, maxRetryAfterMs: 120_000 };

export interface RetryNotice {
  route: string;
  attempt: number;
  delayMs: number;
  /** "HTTP 503", "connection dropped (…)", … */
  reason: string;
}

export interface HttpStats {
  requests: number;
  bytes: number;
  retries: number;
}

export interface DialsHttpOptions {
  /** Base URL of the instance (no trailing slash needed). */
  instance: string;
  credentials: DialsCredentials | null;
  /** Sent as the `Workspace` header on data routes; null = the user's default workspace. */
  workspace?: string | null;
  retry?: Partial<RetryPolicy>;
  /** Per request, including reading the body. */
  timeoutMs?: number;
  onRetry?(notice: RetryNotice): void;
  /** Replaceable for tests. */
  sleep?(ms: number, signal?: AbortSignal): Promise<void>;
}

export type QueryParams = Record<string, string | number | undefined | null>;

export interface RequestOptions {
  signal?: AbortSignal;
  /** Send credentials (default true). */
  auth?: boolean;
  /** Send the Workspace header (default true; the OMS proxy and auth routes ignore it). */
  workspace?: boolean;
  /** Tries for this request instead of the policy's (e.g. a token refresh DIALS answers 500 when refused). */
  attempts?: number;
}

/** DIALS's authentication failures (all 403, see the stand-in's README): a new token or sign-in helps. */
const AUTH_CODES = new Set([
  'authorization_not_found',
  'token_not_valid',
  'access_token_expired',
  'access_token_invalid_jws_signature',
  'access_token_unexpected_error',
  'not_authenticated',
  'authentication_failed',
]);

const RETRY_STATUSES = new Set([429, 500, 502, 503, 504]);

export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Seconds or an HTTP date → milliseconds from now (null when absent or unreadable). */
export function retryAfterMs(header: string | null, now = Date.now()): number | null {
  if (!header) return null;
  const s = header.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000;
  const t = Date.parse(s);
  return Number.isNaN(t) ? null : Math.max(0, t - now);
}

/** The readable part of an error body: DRF's `detail`, a JSON list, or the text of an HTML page. */
function bodyText(text: string): { detail: string | null; code: string | null; summary: string } {
  try {
    const j = JSON.parse(text) as unknown;
    if (j && typeof j === 'object' && !Array.isArray(j)) {
      const o = j as Record<string, unknown>;
      const detail = typeof o.detail === 'string' ? o.detail : null;
      const code = typeof o.code === 'string' ? o.code : null;
      return { detail, code, summary: detail ?? JSON.stringify(j).slice(0, 300) };
    }
    if (Array.isArray(j)) return { detail: j.map(String).join(' '), code: null, summary: j.map(String).join(' ').slice(0, 300) };
  } catch {
    /* not JSON */
  }
  const plain = text
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return { detail: null, code: null, summary: plain.slice(0, 200) };
}

function networkReason(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  const code = e?.cause?.code;
  const msg = e?.cause?.message ?? e?.message ?? String(err);
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host name not found';
  if (code === 'ECONNRESET' || /socket hang up|other side closed/i.test(msg)) return 'connection dropped';
  if (/terminated|premature close|aborted/i.test(msg)) return 'connection dropped while the answer was being read';
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || /timeout/i.test(msg)) return 'no answer in time';
  return msg;
}

export class DialsHttp {
  readonly instance: string;
  readonly workspace: string | null;
  readonly stats: HttpStats = { requests: 0, bytes: 0, retries: 0 };
  private readonly retry: RetryPolicy;
  private readonly timeoutMs: number;

  constructor(private readonly opts: DialsHttpOptions) {
    this.instance = opts.instance.replace(/\/+$/, '');
    this.workspace = opts.workspace ?? null;
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
    this.timeoutMs = opts.timeoutMs ?? 120_000;
  }

  /** `<instance>/api/v1/<route>?<params>` — the only URLs requests go to. */
  url(route: string, params: QueryParams = {}): string {
    const u = new URL(`${this.instance}/api/v1/${route.replace(/^\/+/, '')}`);
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.searchParams.set(k, String(v));
    return u.toString();
  }

  /** What the job log shows of a request: route and query, never headers. */
  describe(route: string, params: QueryParams = {}): string {
    const u = new URL(this.url(route, params));
    return `${u.pathname.replace(/^.*\/api\/v1\//, '')}${u.search}`;
  }

  async get(route: string, params: QueryParams = {}, opts: RequestOptions = {}): Promise<unknown> {
    return this.request('GET', route, params, undefined, opts);
  }

  async post(route: string, body: unknown, opts: RequestOptions = {}): Promise<unknown> {
    return this.request('POST', route, {}, body, opts);
  }

  private async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    await (this.opts.sleep ?? abortableSleep)(ms, signal);
  }

  private backoff(attempt: number): number {
    const d = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1));
    return Math.round(d * (0.75 + Math.random() * 0.5));
  }

  private async request(method: 'GET' | 'POST', route: string, params: QueryParams, body: unknown, opts: RequestOptions): Promise<unknown> {
    const url = this.url(route, params);
    const shown = this.describe(route, params);
    let renewed = false;
    const attempts = opts.attempts ?? this.retry.attempts;
    for (let attempt = 1; ; attempt++) {
      opts.signal?.throwIfAborted();
      const headers: Record<string, string> = { accept: 'application/json' };
      if (body !== undefined) headers['content-type'] = 'application/json';
      if (opts.workspace !== false && this.workspace) headers.Workspace = this.workspace;
      if (opts.auth !== false) {
        if (!this.opts.credentials) throw signInRequired(this.instance, 'You are not signed in to DIALS.');
        Object.assign(headers, await this.opts.credentials.headers(opts.signal));
      }
      const timeout = AbortSignal.timeout(this.timeoutMs);
      const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
      let status: number;
      let text: string;
      let retryAfter: string | null;
      this.stats.requests++;
      try {
        const res = await fetch(url, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          redirect: 'manual',
          signal,
        });
        status = res.status;
        retryAfter = res.headers.get('retry-after');
        text = await res.text();
        this.stats.bytes += text.length;
      } catch (err) {
        if (opts.signal?.aborted) throw opts.signal.reason;
        const reason = networkReason(timeout.aborted ? new Error('timeout') : err);
        if (attempt < attempts) {
          await this.retryAfter(shown, attempt, this.backoff(attempt), reason, opts.signal);
          continue;
        }
        throw new DialsError(
          'DIALS_UNREACHABLE',
          `Cannot reach DIALS at ${this.instance} (${reason}; tried ${attempt} times). Check the network (VPN, proxy) and that the instance URL is right; then try again.`,
          { instance: this.instance, route: shown, reason },
        );
      }
      if (status >= 200 && status < 300) {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          throw new DialsError(
            'DIALS_BAD_RESPONSE',
            `DIALS answered ${shown} with something that is not JSON (${bodyText(text).summary.slice(0, 80) || 'an empty body'}). Is ${this.instance} a DIALS API address?`,
            { route: shown },
          );
        }
      }
      const info = bodyText(text);
      if (RETRY_STATUSES.has(status) && attempt < attempts) {
        const asked = retryAfterMs(retryAfter);
        const delay = asked !== null ? Math.min(asked, this.retry.maxRetryAfterMs) : this.backoff(attempt);
        await this.retryAfter(shown, attempt, delay, `HTTP ${status}`, opts.signal);
        continue;
      }
      if (status === 403 && info.code && AUTH_CODES.has(info.code)) {
        const renew = this.opts.credentials?.renew;
        if (!renewed && renew) {
          if (!(await renew.call(this.opts.credentials, opts.signal))) throw signInRequired(this.instance, 'Your DIALS session has ended.');
          renewed = true;
          attempt--;
          continue;
        }
        throw signInRequired(
          this.instance,
          info.code === 'authorization_not_found'
            ? 'DIALS asks for a sign-in.'
            : `DIALS refused the sign-in (${info.detail ?? info.code}): it has expired or is not valid for ${this.instance}.`,
        );
      }
      throw this.statusError(status, info, shown, attempt);
    }
  }

  private async retryAfter(route: string, attempt: number, delayMs: number, reason: string, signal?: AbortSignal): Promise<void> {
    this.stats.retries++;
    this.opts.onRetry?.({ route, attempt, delayMs, reason });
    await this.sleep(delayMs, signal);
  }

  private statusError(
    status: number,
    info: { detail: string | null; code: string | null; summary: string },
    route: string,
    tries: number,
  ): DialsHttpError {
    const ws = this.workspace ?? 'your default workspace';
    if (status === 403)
      return new DialsHttpError(
        'DIALS_FORBIDDEN',
        `DIALS refused access to ${ws} (403: ${info.summary || 'forbidden'}). Reading a workspace needs membership of its e-group (e.g. cms-dqm-runregistry-offline-tracker-certifiers for tracker): ask to be added, or choose another workspace.`,
        status,
        info.detail,
        info.code,
      );
    if (status === 404 && info.detail && /^Workspace '.*' not found$/.test(info.detail))
      return new DialsHttpError(
        'DIALS_UNKNOWN_WORKSPACE',
        `DIALS has no workspace "${this.workspace}" (${info.detail}). Choose one of the workspaces DIALS lists (leave it empty for your default workspace).`,
        status,
        info.detail,
        info.code,
      );
    if (status === 429)
      return new DialsHttpError(
        'DIALS_SERVER_ERROR',
        `DIALS is asking to slow down (429) and kept doing so after ${tries} tries. Wait a few minutes and try again.`,
        status,
        info.detail,
        info.code,
      );
    if (status >= 500)
      return new DialsHttpError(
        'DIALS_SERVER_ERROR',
        `DIALS failed on ${route} (HTTP ${status}${info.summary ? `: ${info.summary}` : ''})${tries > 1 ? `, also after ${tries} tries` : ''}. Try again later.`,
        status,
        info.detail,
        info.code,
      );
    if (status >= 300 && status < 400)
      return new DialsHttpError(
        'DIALS_BAD_RESPONSE',
        `DIALS answered ${route} with a redirect (HTTP ${status}), which DISM Studio does not follow: your credentials go only to ${this.instance}. Check the instance URL.`,
        status,
        info.detail,
        info.code,
      );
    if (status === 400)
      return new DialsHttpError(
        'DIALS_BAD_REQUEST',
        `DIALS did not accept ${route} (400: ${info.summary}).`,
        status,
        info.detail,
        info.code,
      );
    return new DialsHttpError(
      'DIALS_SERVER_ERROR',
      `DIALS answered ${route} with HTTP ${status}${info.summary ? ` (${info.summary})` : ''}.`,
      status,
      info.detail,
    );
  }
}
