/**
 * Sign-in against the DIALS API stand-in exactly as cmsdials does it: the device flow with
 * authorization_pending / slow_down / expired_token / access_denied, bearer tokens that expire and
 * refresh, the client-secret path, and DIALS's 403 bodies; workspace routing by e-group and header.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startDialsStandIn, TOKEN_AUDIENCE, type DialsStandIn, type DialsStandInOptions } from './dials-stand-in';
import { call, schemaProblems } from './test-helpers';

let s: DialsStandIn;
const open: DialsStandIn[] = [];
async function standIn(opts: DialsStandInOptions = {}): Promise<DialsStandIn> {
  const x = await startDialsStandIn({ pollIntervalS: 0, ...opts });
  open.push(x);
  return x;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((x) => x.close()));
});

const poll = (x: DialsStandIn, deviceCode: string) => call(x, 'auth/device-token/', { auth: null, body: { device_code: deviceCode } });
const newDevice = async (x: DialsStandIn) => (await call(x, 'auth/new-device/', { auth: null })).json;

describe('device authorization flow', () => {
  it('new-device → authorization_pending → the user approves on the verification page → a token that works', async () => {
    s = await standIn();
    const device = await newDevice(s);
    expect(schemaProblems('auth.Device', device)).toEqual([]);
    expect(device.expires_in).toBe(600);
    const verification = new URL(device.verification_uri_complete);
    expect(verification.pathname).toBe('/auth/realms/cern/device');
    expect(verification.searchParams.get('user_code')).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);

    const pending = await poll(s, device.device_code);
    expect(pending.status).toBe(400);
    expect(pending.text).toContain('authorization_pending'); // what cmsdials looks for
    expect(pending.json).toEqual({ detail: 'The authorization request is still pending', code: 'authorization_pending' });

    // the page the verification URL opens, and its approve button
    const page = await fetch(device.verification_uri_complete);
    expect(await page.text()).toContain('TEST STAND-IN');
    const approve = await fetch(`${s.url}auth/realms/cern/device`, {
      method: 'POST',
      body: new URLSearchParams({ user_code: verification.searchParams.get('user_code')!, action: 'approve' }),
    });
    expect(await approve.text()).toContain('Device login successful');

    const token = await poll(s, device.device_code);
    expect(token.status).toBe(200);
    expect(schemaProblems('auth.DeviceToken', token.json, ['session_state', 'scope'])).toEqual([]);
    expect([token.json.token_type, token.json.expires_in, token.json.refresh_expires_in]).toEqual(['Bearer', 1200, 36000]);
    const claims = JSON.parse(Buffer.from(token.json.access_token.split('.')[1], 'base64url').toString());
    expect(claims.aud).toBe(TOKEN_AUDIENCE);
    expect(claims.exp - claims.iat).toBe(1200);

    expect((await call(s, 'run/', { auth: token.json.access_token })).status).toBe(200);
    // the device code is used up
    expect((await poll(s, device.device_code)).json).toEqual({ detail: 'Device code not valid', code: 'invalid_grant' });
  });

  it('polling faster than the interval gets slow_down; exactly at the interval it is accepted', async () => {
    s = await standIn({ pollIntervalS: 5 });
    let now = Date.now();
    s.auth.clock = () => now;
    const { device_code } = await newDevice(s);
    expect((await poll(s, device_code)).json.code).toBe('authorization_pending');
    now += 4999;
    expect((await poll(s, device_code)).json).toEqual({ detail: 'Slow down', code: 'slow_down' });
    now += 5000;
    expect((await poll(s, device_code)).json.code).toBe('authorization_pending');
  });

  it('a device code expires after expires_in (expired_token at the second it ends, pending just before)', async () => {
    s = await standIn({ deviceCodeLifetimeS: 60 });
    const start = Date.now();
    let now = start;
    s.auth.clock = () => now;
    const { device_code, expires_in } = await newDevice(s);
    expect(expires_in).toBe(60);
    now = start + 59_999;
    expect((await poll(s, device_code)).json.code).toBe('authorization_pending');
    now = start + 60_000;
    expect((await poll(s, device_code)).json).toEqual({ detail: 'Device code is expired', code: 'expired_token' });
  });

  it('a refused sign-in is access_denied; expireDevice() ends a pending one', async () => {
    s = await standIn();
    const a = await newDevice(s);
    s.auth.deny();
    expect((await poll(s, a.device_code)).json).toEqual({ detail: 'The end user denied the authorization request', code: 'access_denied' });
    const b = await newDevice(s);
    s.auth.expireDevice(b.device_code);
    expect((await poll(s, b.device_code)).json.code).toBe('expired_token');
  });

  it('autoApproveAfterPolls approves by itself after that many pending polls', async () => {
    s = await standIn({ autoApproveAfterPolls: 2 });
    const { device_code } = await newDevice(s);
    expect((await poll(s, device_code)).json.code).toBe('authorization_pending');
    expect((await poll(s, device_code)).json.code).toBe('authorization_pending');
    expect((await poll(s, device_code)).status).toBe(200);
  });

  it("a missing device_code is Django's plain-text 400; bad JSON is DRF's parse error", async () => {
    s = await standIn();
    const r = await call(s, 'auth/device-token/', { auth: null, body: {} });
    expect([r.status, r.text]).toEqual([400, "Attribute 'device_code' not found in request body."]);
    const bad = await fetch(`${s.apiUrl}auth/device-token/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{oops',
    });
    expect(bad.status).toBe(400);
    expect((await bad.json()).detail).toMatch(/^JSON parse error/);
    expect((await call(s, 'auth/device-token/', { auth: null })).json).toEqual({ detail: 'Method "GET" not allowed.' });
  });
});

describe('access and refresh tokens', () => {
  it('an access token is refused from the second it expires: 403 access_token_expired (DRF turns 401 into 403)', async () => {
    s = await standIn({ accessTokenLifetimeS: 100 });
    const start = Math.floor(Date.now() / 1000) * 1000;
    let now = start;
    s.auth.clock = () => now;
    const t = s.auth.issueUserToken();
    now = start + 99_999;
    expect((await call(s, 'run/', { auth: t.access_token as string })).status).toBe(200);
    now = start + 100_000;
    const r = await call(s, 'run/', { auth: t.access_token as string });
    expect([r.status, r.json]).toEqual([403, { detail: 'Access token has expired.', code: 'access_token_expired' }]);
  });

  it('expireAccessTokens() makes the current token expire now; refresh-token gives a new pair that works', async () => {
    s = await standIn();
    const t = s.auth.issueUserToken();
    expect((await call(s, 'run/', { auth: t.access_token as string })).status).toBe(200);
    s.auth.expireAccessTokens();
    expect((await call(s, 'run/', { auth: t.access_token as string })).json.code).toBe('access_token_expired');
    const fresh = await call(s, 'auth/refresh-token/', { auth: t.access_token as string, body: { refresh_token: t.refresh_token } });
    expect(fresh.status).toBe(200);
    expect(schemaProblems('auth.DeviceToken', fresh.json, ['session_state', 'scope'])).toEqual([]);
    expect(fresh.json.access_token).not.toBe(t.access_token);
    expect((await call(s, 'run/', { auth: fresh.json.access_token })).status).toBe(200);
  });

  it("a refused refresh token is an unhandled Keycloak error in DIALS: Django's 500 page; a missing one is a text 400", async () => {
    s = await standIn({ refreshTokenLifetimeS: 50 });
    const start = Math.floor(Date.now() / 1000) * 1000;
    let now = start;
    s.auth.clock = () => now;
    const t = s.auth.issueUserToken();
    now = start + 50_000;
    const expired = await call(s, 'auth/refresh-token/', { auth: null, body: { refresh_token: t.refresh_token } });
    expect(expired.status).toBe(500);
    expect(expired.text).toContain('Server Error (500)');
    now = start + 49_999;
    expect((await call(s, 'auth/refresh-token/', { auth: null, body: { refresh_token: t.refresh_token } })).status).toBe(200);
    s.auth.expireRefreshTokens();
    expect((await call(s, 'auth/refresh-token/', { auth: null, body: { refresh_token: t.refresh_token } })).status).toBe(500);
    expect((await call(s, 'auth/refresh-token/', { auth: null, body: { refresh_token: 'garbage' } })).status).toBe(500);
    const missing = await call(s, 'auth/refresh-token/', { auth: null, body: {} });
    expect([missing.status, missing.text]).toEqual([400, "Attribute 'refresh_token' not found in request body."]);
  });

  it("every authentication failure is 403 with DIALS's detail and code", async () => {
    s = await standIn();
    const other = await standIn();
    const foreign = other.auth.issueUserToken().access_token as string;
    const cases: Array<[string, Record<string, string>, object]> = [
      ['no credentials', {}, { detail: 'Authorization header not found.', code: 'authorization_not_found' }],
      ['not a JWT', { Authorization: 'Bearer 123456789' }, { detail: 'Token is invalid or expired', code: 'token_not_valid' }],
      [
        "another instance's token",
        { Authorization: `Bearer ${foreign}` },
        { detail: 'Found and invalid jws signature while decoding the access token.', code: 'access_token_invalid_jws_signature' },
      ],
      [
        'a refresh token as access token',
        { Authorization: `Bearer ${s.auth.issueUserToken().refresh_token}` },
        { detail: 'Unexpected error validating token.', code: 'access_token_unexpected_error' },
      ],
      ['wrong secret key', { 'X-CLIENT-SECRET': '123456789' }, { detail: 'Token is invalid or expired', code: 'token_not_valid' }],
    ];
    for (const [what, headers, body] of cases) {
      const r = await call(s, 'th2/', { auth: null, headers });
      expect([what, r.status, r.json]).toEqual([what, 403, body]);
    }
    // new-device needs no credentials at all
    expect((await call(s, 'auth/new-device/', { auth: null })).status).toBe(200);
  });
});

describe('client secret key (cmsdials.auth.secret_key: X-CLIENT-SECRET)', () => {
  it('a configured key authenticates; it takes precedence over an Authorization header', async () => {
    s = await standIn({ secretKeys: { 'ci-key': 'ci-client' } });
    expect(s.secretKey).toBe('ci-key');
    expect((await call(s, 'dataset-index/', { auth: null, headers: { 'X-CLIENT-SECRET': 'ci-key' } })).status).toBe(200);
    expect(
      (await call(s, 'dataset-index/', { auth: null, headers: { 'X-CLIENT-SECRET': 'ci-key', Authorization: 'Bearer nonsense' } })).status,
    ).toBe(200);
    expect(
      (
        await call(s, 'dataset-index/', {
          auth: null,
          headers: { 'X-CLIENT-SECRET': 'nope', Authorization: `Bearer ${s.auth.issueUserToken().access_token}` },
        })
      ).status,
    ).toBe(403);
  });

  it('secrets never reach the request log', async () => {
    s = await standIn();
    const t = s.auth.issueUserToken();
    await call(s, 'run/', { auth: t.access_token as string });
    await call(s, 'run/');
    await call(s, 'auth/refresh-token/', { auth: null, body: { refresh_token: t.refresh_token } });
    const logged = JSON.stringify(s.requests);
    expect(logged).not.toContain(t.access_token as string);
    expect(logged).not.toContain(t.refresh_token as string);
    expect(logged).not.toContain(s.secretKey);
    expect(s.requests[0].headers.authorization).toBe('[redacted]');
    expect(s.requests[2].bodyKeys).toEqual(['refresh_token']);
  });
});

describe('workspaces', () => {
  it("the Workspace header picks the database; an unknown one is 404; without it the user's e-group decides", async () => {
    s = await standIn({ user: { cernRoles: ['cms-dqm-runregistry-offline-csc-certifiers'] } });
    const token = s.auth.issueUserToken().access_token as string;
    const mesOf = async (opts: { workspace?: string }) => (await call(s, 'mes/', { auth: token, ...opts })).json.map((m: any) => m.me);
    expect((await mesOf({}))[0]).toMatch(/^CSC\//);
    expect((await call(s, 'auth/user-default-workspace/', { auth: token })).json).toEqual({ workspace: 'csc' });
    expect((await mesOf({ workspace: 'tracker' }))[0]).toMatch(/^PixelPhase1\//);
    expect(await mesOf({ workspace: 'hcal' })).toEqual([]);
    const unknown = await call(s, 'mes/', { auth: token, workspace: 'pixel' });
    expect([unknown.status, unknown.json]).toEqual([404, { detail: "Workspace 'pixel' not found" }]);
    expect((await call(s, 'auth/workspaces/', { auth: token })).json).toEqual({
      workspaces: ['csc', 'ecal', 'egamma', 'hcal', 'jetmet', 'muon_staging', 'tracker'],
    });
    // secret-key clients carry no e-groups: the default workspace
    expect((await call(s, 'auth/user-default-workspace/')).json).toEqual({ workspace: 'tracker' });
    expect(s.requests.filter((r) => r.routeId === 'mes:list').map((r) => r.workspace)).toEqual(['csc', 'tracker', 'hcal', 'pixel']);
  });

  it('forbidWorkspace() answers 403 for that workspace only', async () => {
    s = await standIn();
    s.faults.forbidWorkspace('csc');
    const r = await call(s, 'mes/', { workspace: 'csc' });
    expect([r.status, r.json]).toEqual([403, { detail: 'You do not have permission to perform this action.' }]);
    expect((await call(s, 'mes/', { workspace: 'tracker' })).status).toBe(200);
  });
});
