import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../fs/atomic-write';
import { DialsError, DialsHttpError, signInRequired } from './dials-errors';
import { abortableSleep, DialsHttp, type DialsCredentials } from './dials-http';
import { checkRecord } from './records';

/**
 * Signing in to DIALS exactly as the DIALS Python client does (`cmsdials/auth/client.py`): the
 * device flow (`auth/new-device/`, then `auth/device-token/` every 5 s while the answer is
 * `authorization_pending`), bearer tokens refreshed through `auth/refresh-token/` before they
 * expire (when less than 10 % of their lifetime is left), and the client-secret credentials
 * (`X-CLIENT-SECRET`, what the CLI's DIALS_TOKEN holds).
 *
 * Tokens are cached per DIALS instance in the user-data folder (`dials/credentials/`, folder 0700,
 * files 0600) — never in a project folder, never in a log or an API answer.
 */

/** cmsdials hard-codes 5 s; DIALS drops Keycloak's `interval`. */
export const DEVICE_POLL_INTERVAL_S = 5;
/** Refresh when less than this share of the access token's lifetime is left (cmsdials: 10 %)… */
const REFRESH_SHARE = 0.1;
/** …or less than this many seconds (a request may take that long). */
const REFRESH_MARGIN_S = 60;

export interface CachedToken {
  instance: string;
  tokenType: string;
  accessToken: string;
  refreshToken: string;
  /** ms since the epoch */
  expiresAt: number;
  refreshExpiresAt: number;
  /** Lifetime of the access token in seconds when it was issued. */
  lifetimeS: number;
  user: string | null;
}

/** Display name from the token's claims (not verified: only shown to the user who signed in). */
export function userOfToken(accessToken: string): string | null {
  try {
    const claims = JSON.parse(Buffer.from(accessToken.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
    const login = typeof claims.preferred_username === 'string' ? claims.preferred_username : null;
    const name = typeof claims.name === 'string' ? claims.name : null;
    return login && name ? `${name} (${login})` : (login ?? name);
  } catch {
    return null;
  }
}

/** Where the tokens of each DIALS instance are kept. */
export class DialsTokenStore {
  readonly dir: string;
  constructor(userDataDir: string) {
    this.dir = path.join(userDataDir, 'dials', 'credentials');
  }

  /** One file per instance: its host for the reader, a hash of the whole base URL so ports and paths stay apart. */
  file(instance: string): string {
    const base = instance.replace(/\/+$/, '');
    let host = 'instance';
    try {
      host = new URL(base).host.replace(/[^A-Za-z0-9.-]/g, '_');
    } catch {
      /* not a URL: the hash alone names it */
    }
    const hash = createHash('sha256').update(base).digest('hex').slice(0, 12);
    return path.join(this.dir, `${host}-${hash}.json`);
  }

  async load(instance: string): Promise<CachedToken | null> {
    let text: string;
    try {
      text = await fs.readFile(this.file(instance), 'utf8');
    } catch {
      return null;
    }
    try {
      const t = JSON.parse(text) as CachedToken;
      const ok =
        typeof t.accessToken === 'string' &&
        typeof t.refreshToken === 'string' &&
        typeof t.tokenType === 'string' &&
        Number.isFinite(t.expiresAt) &&
        Number.isFinite(t.refreshExpiresAt);
      return ok ? { ...t, instance: instance.replace(/\/+$/, '') } : null;
    } catch {
      return null; // a damaged cache is the same as none: sign in again
    }
  }

  async save(token: CachedToken): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    await fs.chmod(this.dir, 0o700).catch(() => undefined);
    const file = this.file(token.instance);
    await writeFileAtomic(file, `${JSON.stringify(token, null, 2)}\n`, { mode: 0o600 });
    // An older file of ours keeps its bits through the atomic write; tokens are 0600 whatever it had.
    await fs.chmod(file, 0o600);
  }

  async remove(instance: string): Promise<boolean> {
    return fs.rm(this.file(instance)).then(
      () => true,
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return false;
        throw err;
      },
    );
  }
}

function tokenFromAnswer(instance: string, body: unknown, where: string, now: number): CachedToken {
  const t = checkRecord('Token', body, where);
  return {
    instance: instance.replace(/\/+$/, ''),
    tokenType: t.token_type,
    accessToken: t.access_token,
    refreshToken: t.refresh_token,
    expiresAt: now + t.expires_in * 1000,
    refreshExpiresAt: now + t.refresh_expires_in * 1000,
    lifetimeS: t.expires_in,
    user: userOfToken(t.access_token),
  };
}

export interface DeviceCode {
  deviceCode: string;
  url: string;
  /** The code the user sees on the CERN page (the `user_code` parameter of the URL). */
  userCode: string;
  expiresAt: number;
}

export interface DeviceFlowOptions {
  signal?: AbortSignal;
  onDevice(device: DeviceCode): void;
  /** Each poll that was still pending (for logs). */
  onPending?(): void;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  pollIntervalS?: number;
}

/** The device flow: resolves with the token once the user approved, or fails (expired, denied). */
export async function deviceSignIn(http: DialsHttp, opts: DeviceFlowOptions): Promise<CachedToken> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? abortableSleep;
  const d = checkRecord(
    'Device',
    await http.get('auth/new-device/', {}, { auth: false, workspace: false, signal: opts.signal }),
    'auth/new-device/',
  );
  let userCode = '';
  try {
    userCode = new URL(d.verification_uri_complete).searchParams.get('user_code') ?? '';
  } catch {
    /* shown without a code */
  }
  const device: DeviceCode = {
    deviceCode: d.device_code,
    url: d.verification_uri_complete,
    userCode,
    expiresAt: now() + d.expires_in * 1000,
  };
  opts.onDevice(device);
  let interval = (opts.pollIntervalS ?? DEVICE_POLL_INTERVAL_S) * 1000;
  for (;;) {
    await sleep(interval, opts.signal);
    if (now() >= device.expiresAt)
      throw new DialsError(
        'DIALS_SIGN_IN_FAILED',
        'The sign-in code expired before it was approved. Start the sign-in again and approve it within the time shown.',
      );
    try {
      const body = await http.post(
        'auth/device-token/',
        { device_code: device.deviceCode },
        { auth: false, workspace: false, signal: opts.signal },
      );
      return tokenFromAnswer(http.instance, body, 'auth/device-token/', now());
    } catch (err) {
      if (!(err instanceof DialsHttpError) || err.status !== 400) throw err;
      const code = err.bodyCode ?? '';
      const detail = err.detail ?? '';
      if (code === 'authorization_pending' || /authorization_pending|still pending/.test(detail)) {
        opts.onPending?.();
        continue;
      }
      if (code === 'slow_down' || /slow down/i.test(detail)) {
        interval += 5000; // RFC 8628: back off by 5 s
        continue;
      }
      if (code === 'access_denied' || /denied/i.test(detail))
        throw new DialsError(
          'DIALS_SIGN_IN_FAILED',
          'The sign-in was refused on the CERN page. Start the sign-in again if that was a mistake.',
        );
      if (code === 'expired_token' || /expired/i.test(detail))
        throw new DialsError(
          'DIALS_SIGN_IN_FAILED',
          'The sign-in code expired before it was approved. Start the sign-in again and approve it within the time shown.',
        );
      throw new DialsError(
        'DIALS_SIGN_IN_FAILED',
        `DIALS did not accept the sign-in (${detail || code || 'HTTP 400'}). Start the sign-in again.`,
      );
    }
  }
}

/** Refresh with the refresh token; any refusal (DIALS answers 500 for an expired one) means: sign in again. */
export async function refreshToken(http: DialsHttp, token: CachedToken, signal?: AbortSignal, now = Date.now): Promise<CachedToken> {
  let body: unknown;
  try {
    // DIALS answers a refused refresh token with a 500 page: one more try is enough to tell it from a hiccup.
    body = await http.post(
      'auth/refresh-token/',
      { refresh_token: token.refreshToken },
      { auth: false, workspace: false, signal, attempts: 2 },
    );
  } catch (err) {
    if (err instanceof DialsError && err.code === 'DIALS_UNREACHABLE') throw err;
    if (signal?.aborted) throw err;
    throw signInRequired(token.instance, 'Your DIALS session has ended.');
  }
  return tokenFromAnswer(token.instance, body, 'auth/refresh-token/', now());
}

/** The access token expires soon enough that it should be refreshed before the next request. */
export function needsRefresh(token: CachedToken, now: number): boolean {
  const left = (token.expiresAt - now) / 1000;
  return left < Math.max(REFRESH_MARGIN_S, token.lifetimeS * REFRESH_SHARE);
}

/**
 * Bearer credentials from the token cache: refreshed (and saved) before they expire; one refresh at
 * a time however many requests run in parallel.
 */
export class CachedTokenCredentials implements DialsCredentials {
  private refreshing: Promise<CachedToken> | null = null;
  private current: CachedToken | null = null;

  constructor(
    private readonly instance: string,
    private readonly store: DialsTokenStore,
    private readonly authHttp: DialsHttp,
    private readonly now: () => number = Date.now,
  ) {}

  async token(signal?: AbortSignal): Promise<CachedToken> {
    this.current ??= await this.store.load(this.instance);
    const t = this.current;
    if (!t) throw signInRequired(this.instance, 'You are not signed in to DIALS.');
    if (this.now() >= t.refreshExpiresAt) throw signInRequired(this.instance, 'Your DIALS session has ended.');
    if (needsRefresh(t, this.now())) return this.refresh(signal);
    return t;
  }

  async headers(signal?: AbortSignal): Promise<Record<string, string>> {
    const t = await this.token(signal);
    return { Authorization: `${t.tokenType} ${t.accessToken}` };
  }

  async renew(signal?: AbortSignal): Promise<boolean> {
    try {
      await this.refresh(signal);
      return true;
    } catch (err) {
      if (err instanceof DialsError && err.code === 'DIALS_SIGN_IN_REQUIRED') return false;
      throw err;
    }
  }

  private refresh(signal?: AbortSignal): Promise<CachedToken> {
    if (!this.refreshing) {
      const base = this.current!;
      this.refreshing = (async () => {
        try {
          const fresh = await refreshToken(this.authHttp, base, signal, this.now);
          await this.store.save(fresh);
          this.current = fresh;
          return fresh;
        } finally {
          this.refreshing = null;
        }
      })();
    }
    return this.refreshing;
  }
}

/** The DIALS Python client's secret-key credentials (`X-CLIENT-SECRET`): what DIALS_TOKEN holds for scripts. */
export class ClientSecretCredentials implements DialsCredentials {
  constructor(private readonly secret: string) {}
  async headers(): Promise<Record<string, string>> {
    return { 'X-CLIENT-SECRET': this.secret };
  }
}
