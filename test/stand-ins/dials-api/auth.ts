/**
 * TEST STAND-IN: DIALS's authentication (cms-DQM/dials v1.12.0 backend/cern_auth and
 * utils/rest_framework_cern_sso) with the stand-in playing CERN's Keycloak too:
 * - device flow: GET auth/new-device/ → {device_code, verification_uri_complete, expires_in};
 *   POST auth/device-token/ {device_code} → 400 {"detail", "code"} with Keycloak's error
 *   (authorization_pending, slow_down, expired_token, access_denied, invalid_grant) or the token;
 * - POST auth/refresh-token/ {refresh_token} → a new token (a refused refresh token is an unhandled
 *   Keycloak error in DIALS: a 500 page);
 * - data routes accept `X-CLIENT-SECRET: <api client secret>` or `Authorization: Bearer <JWT>`;
 *   every failure is 403 (DRF turns 401 into 403 because DIALS's authenticators send no
 *   WWW-Authenticate) with DIALS's `{"detail", "code"}` body.
 * Access and refresh tokens are HS256 JWTs signed with a per-instance key; the verification URL
 * points at a small approval page of the stand-in (what auth.cern.ch/auth/realms/cern/device is).
 */
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { djangoBadRequest, djangoServerError, drfError, HttpError } from './responses';

export interface AuthOptions {
  /** Access token lifetime, seconds (stand-in default 1200; CERN's realm decides in production). */
  accessTokenLifetimeS?: number;
  /** Refresh token lifetime, seconds (stand-in default 36 000). */
  refreshTokenLifetimeS?: number;
  /** Device code lifetime, seconds (Keycloak's default 600). */
  deviceCodeLifetimeS?: number;
  /**
   * Minimum seconds between two polls of the same device code; faster polls get `slow_down`
   * (Keycloak's default interval is 5; DIALS does not pass the interval on, clients use 5). 0 = off.
   */
  pollIntervalS?: number;
  /** Approve a device by itself after this many pending polls (0 = only by approve()/the page). */
  autoApproveAfterPolls?: number;
  /** API client secret keys accepted in X-CLIENT-SECRET → client id. */
  secretKeys?: Record<string, string>;
  /** The user a device sign-in authenticates (CERN e-groups decide the default workspace). */
  user?: { username?: string; name?: string; cernRoles?: string[] };
}

export const DEFAULT_SECRET_KEY = 'dials-stand-in-secret-key';
/** The audience (DIALS's confidential Keycloak client) the stand-in's tokens are issued for. */
export const TOKEN_AUDIENCE = 'cms-dials-stand-in-confidential-app';

export interface Principal {
  kind: 'user' | 'api-client';
  subject: string;
  cernRoles: string[];
}

interface Device {
  deviceCode: string;
  userCode: string;
  expiresAt: number;
  state: 'pending' | 'approved' | 'denied';
  lastPollAt: number | null;
  pendingPolls: number;
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

export class AuthServer {
  readonly accessTtlS: number;
  readonly refreshTtlS: number;
  readonly deviceTtlS: number;
  pollIntervalS: number;
  autoApproveAfterPolls: number;
  readonly secretKeys: Record<string, string>;
  readonly user: Required<NonNullable<AuthOptions['user']>>;
  private readonly key = randomBytes(32);
  private readonly devices = new Map<string, Device>();
  private readonly expiredAccess = new Set<string>();
  private readonly revokedRefresh = new Set<string>();
  private readonly issuedAccess = new Set<string>();
  private readonly issuedRefresh = new Set<string>();
  /** The clock tokens and device codes are checked against (tests may replace it to move time). */
  clock: () => number = Date.now;

  constructor(opts: AuthOptions = {}) {
    this.accessTtlS = opts.accessTokenLifetimeS ?? 1200;
    this.refreshTtlS = opts.refreshTokenLifetimeS ?? 36000;
    this.deviceTtlS = opts.deviceCodeLifetimeS ?? 600;
    this.pollIntervalS = opts.pollIntervalS ?? 5;
    this.autoApproveAfterPolls = opts.autoApproveAfterPolls ?? 0;
    this.secretKeys = opts.secretKeys ?? { [DEFAULT_SECRET_KEY]: 'cms-dials-stand-in-api-client' };
    this.user = {
      username: 'standin',
      name: 'Stand-in Physicist',
      cernRoles: ['cms-dqm-runregistry-offline-tracker-certifiers'],
      ...opts.user,
    };
  }

  now(): number {
    return this.clock();
  }

  // ── device flow ──

  newDevice(baseUrl: string): { device_code: string; verification_uri_complete: string; expires_in: number } {
    const letters = 'BCDFGHJKLMNPQRSTVWXZ';
    const bytes = randomBytes(8);
    const userCode = [...bytes].map((b, i) => letters[b % letters.length] + (i === 3 ? '-' : '')).join('');
    const device: Device = {
      deviceCode: randomUUID() + randomUUID(),
      userCode,
      expiresAt: this.now() + this.deviceTtlS * 1000,
      state: 'pending',
      lastPollAt: null,
      pendingPolls: 0,
    };
    this.devices.set(device.deviceCode, device);
    return {
      device_code: device.deviceCode,
      verification_uri_complete: `${baseUrl}/auth/realms/cern/device?user_code=${userCode}`,
      expires_in: this.deviceTtlS,
    };
  }

  /** POST auth/device-token/: the token, or Keycloak's refusal as DIALS relays it. */
  deviceToken(body: Record<string, unknown>): Record<string, unknown> {
    const code = body.device_code;
    if (typeof code !== 'string' || !code) throw djangoBadRequest("Attribute 'device_code' not found in request body.");
    const d = this.devices.get(code);
    const refuse = (error: string, description: string) => drfError(400, description, error);
    if (!d) throw refuse('invalid_grant', 'Device code not valid');
    const now = this.now();
    if (now >= d.expiresAt) throw refuse('expired_token', 'Device code is expired');
    const tooSoon = this.pollIntervalS > 0 && d.lastPollAt !== null && now - d.lastPollAt < this.pollIntervalS * 1000;
    d.lastPollAt = now;
    if (tooSoon) throw refuse('slow_down', 'Slow down');
    if (d.state === 'denied') throw refuse('access_denied', 'The end user denied the authorization request');
    if (d.state === 'pending') {
      d.pendingPolls++;
      if (this.autoApproveAfterPolls > 0 && d.pendingPolls >= this.autoApproveAfterPolls) d.state = 'approved';
      throw refuse('authorization_pending', 'The authorization request is still pending');
    }
    this.devices.delete(code);
    return this.issue({ kind: 'user', subject: this.user.username, cernRoles: this.user.cernRoles });
  }

  /** Devices waiting for the user, newest last. */
  pendingDevices(): Array<{ userCode: string; deviceCode: string; expiresAt: number }> {
    return [...this.devices.values()]
      .filter((d) => d.state === 'pending')
      .map((d) => ({ userCode: d.userCode, deviceCode: d.deviceCode, expiresAt: d.expiresAt }));
  }

  private findDevice(userCode?: string): Device {
    const all = [...this.devices.values()].filter((d) => d.state === 'pending');
    const d = userCode === undefined ? all[all.length - 1] : all.find((x) => x.userCode === userCode.toUpperCase());
    if (!d)
      throw new Error(
        userCode === undefined
          ? 'DIALS stand-in: no device is waiting for approval'
          : `DIALS stand-in: no pending device with user code ${userCode}`,
      );
    return d;
  }

  /** The user approves the sign-in (the newest pending device when no user code is given). */
  approve(userCode?: string): void {
    this.findDevice(userCode).state = 'approved';
  }

  deny(userCode?: string): void {
    this.findDevice(userCode).state = 'denied';
  }

  /** Make a device code expire now (the next poll gets expired_token). */
  expireDevice(deviceCode?: string): void {
    const d = deviceCode ? this.devices.get(deviceCode) : [...this.devices.values()].pop();
    if (!d) throw new Error('DIALS stand-in: no such device');
    d.expiresAt = this.now();
  }

  // ── tokens ──

  private sign(payload: Record<string, unknown>): string {
    const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: 'dials-stand-in' }));
    const body = b64url(JSON.stringify(payload));
    const sig = createHmac('sha256', this.key).update(`${head}.${body}`).digest('base64url');
    return `${head}.${body}.${sig}`;
  }

  private verify(token: string): { payload: Record<string, any> } | { error: 'not-jwt' | 'signature' } {
    const parts = token.split('.');
    if (parts.length !== 3) return { error: 'not-jwt' };
    let payload: Record<string, any>;
    try {
      payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
      JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
    } catch {
      return { error: 'not-jwt' };
    }
    if (typeof payload !== 'object' || payload === null) return { error: 'not-jwt' };
    const expected = createHmac('sha256', this.key).update(`${parts[0]}.${parts[1]}`).digest();
    const given = Buffer.from(parts[2], 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { error: 'signature' };
    return { payload };
  }

  /** A token response as DIALS's DeviceTokenSerializer writes it (the fields the client reads + session_state, scope). */
  issue(p: Principal): Record<string, unknown> {
    const iat = Math.floor(this.now() / 1000);
    const session = randomUUID();
    const accessJti = randomUUID();
    const refreshJti = randomUUID();
    const common = { iat, iss: 'https://auth.cern.ch/auth/realms/cern', sub: p.subject, sid: session, azp: TOKEN_AUDIENCE };
    const access = this.sign({
      ...common,
      exp: iat + this.accessTtlS,
      jti: accessJti,
      aud: TOKEN_AUDIENCE,
      typ: 'Bearer',
      cern_roles: p.cernRoles,
      preferred_username: p.subject,
      name: p.kind === 'user' ? this.user.name : p.subject,
      scope: 'openid profile email',
    });
    const refresh = this.sign({
      ...common,
      exp: iat + this.refreshTtlS,
      jti: refreshJti,
      aud: 'https://auth.cern.ch/auth/realms/cern',
      typ: 'Refresh',
      cern_roles: p.cernRoles,
    });
    this.issuedAccess.add(accessJti);
    this.issuedRefresh.add(refreshJti);
    return {
      access_token: access,
      expires_in: this.accessTtlS,
      refresh_expires_in: this.refreshTtlS,
      refresh_token: refresh,
      token_type: 'Bearer',
      session_state: session,
      scope: 'openid profile email',
    };
  }

  /** A signed-in user's token without going through the device flow (test shortcut). */
  issueUserToken(): Record<string, unknown> {
    return this.issue({ kind: 'user', subject: this.user.username, cernRoles: this.user.cernRoles });
  }

  /** POST auth/refresh-token/. */
  refresh(body: Record<string, unknown>): Record<string, unknown> {
    const token = body.refresh_token;
    if (typeof token !== 'string' || !token) throw djangoBadRequest("Attribute 'refresh_token' not found in request body.");
    const v = this.verify(token);
    // Keycloak refuses (invalid_grant); DIALS does not catch KeycloakPostError here → Django's 500 page.
    if ('error' in v) throw djangoServerError();
    const p = v.payload;
    if (p.typ !== 'Refresh' || this.revokedRefresh.has(p.jti) || Math.floor(this.now() / 1000) >= p.exp) throw djangoServerError();
    return this.issue({ kind: 'user', subject: String(p.sub), cernRoles: Array.isArray(p.cern_roles) ? p.cern_roles : [] });
  }

  /** Every access token issued so far is expired from now on (the next request with one gets 403 access_token_expired). */
  expireAccessTokens(): void {
    for (const j of this.issuedAccess) this.expiredAccess.add(j);
  }

  /** Every refresh token issued so far is refused from now on (a sign-in is needed). */
  expireRefreshTokens(): void {
    for (const j of this.issuedRefresh) this.revokedRefresh.add(j);
  }

  /**
   * Authenticate a data request like DIALS: X-CLIENT-SECRET first (when present), else the Bearer
   * token. Throws the 403 DIALS sends.
   */
  authenticate(headers: Record<string, string | string[] | undefined>): Principal {
    const h = (name: string) => {
      const v = headers[name];
      return Array.isArray(v) ? v[v.length - 1] : v;
    };
    const secret = h('x-client-secret');
    if (secret !== undefined) {
      const clientId = this.secretKeys[secret];
      if (!clientId) throw drfError(403, 'Token is invalid or expired', 'token_not_valid');
      return { kind: 'api-client', subject: clientId, cernRoles: [] };
    }
    const authorization = h('authorization');
    if (authorization === undefined) throw drfError(403, 'Authorization header not found.', 'authorization_not_found');
    const token = authorization.split('Bearer ').pop()!;
    const v = this.verify(token);
    if ('error' in v) {
      if (v.error === 'not-jwt') throw drfError(403, 'Token is invalid or expired', 'token_not_valid');
      throw drfError(403, 'Found and invalid jws signature while decoding the access token.', 'access_token_invalid_jws_signature');
    }
    const p = v.payload;
    if (p.aud !== TOKEN_AUDIENCE || p.typ !== 'Bearer')
      throw drfError(403, 'Unexpected error validating token.', 'access_token_unexpected_error');
    if (this.expiredAccess.has(p.jti) || Math.floor(this.now() / 1000) >= p.exp)
      throw drfError(403, 'Access token has expired.', 'access_token_expired');
    if (typeof p.iat === 'number' && p.iat > Math.floor(this.now() / 1000) + 1)
      throw drfError(403, 'Access token not yet valid.', 'access_token_not_yet_valid');
    return { kind: 'user', subject: String(p.sub), cernRoles: Array.isArray(p.cern_roles) ? p.cern_roles : [] };
  }

  // ── the approval page (what the verification URL opens) ──

  approvalPage(userCode: string | null, message?: string): string {
    const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
    const pending = userCode
      ? [...this.devices.values()].find((d) => d.userCode === userCode.toUpperCase() && d.state === 'pending')
      : undefined;
    const form = pending
      ? `<p>Sign in to DIALS as <b>${esc(this.user.name)}</b> (${esc(this.user.username)}) on this device? Code <code>${esc(pending.userCode)}</code>.</p>
<form method="post"><input type="hidden" name="user_code" value="${esc(pending.userCode)}"><button name="action" value="approve">Yes, sign in</button> <button name="action" value="deny">No</button></form>`
      : `<p>${userCode ? `No sign-in is waiting for code <code>${esc(userCode)}</code>.` : 'No user code given.'}</p>`;
    return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>DIALS stand-in sign-in (TEST)</title></head>
<body><p><b>TEST STAND-IN</b> of CERN single sign-on for the DIALS API stand-in. Never used outside tests.</p>
${message ? `<p id="result">${esc(message)}</p>` : form}
</body></html>
`;
  }

  /** POST of the approval page. */
  submitApproval(userCode: string, action: string): string {
    try {
      if (action === 'approve') this.approve(userCode);
      else this.deny(userCode);
      return this.approvalPage(
        null,
        action === 'approve' ? 'Device login successful. You can close this page and return to the application.' : 'Sign-in refused.',
      );
    } catch (err) {
      throw new HttpError(400, this.approvalPage(null, (err as Error).message), 'text/html; charset=utf-8');
    }
  }
}
