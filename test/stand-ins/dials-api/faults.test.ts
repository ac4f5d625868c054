/**
 * Fault injection of the DIALS API stand-in: each fault mode happens exactly as programmed (how
 * often, on which route, after how many requests), and the stand-in serves normally afterwards.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startDialsStandIn, type DialsStandIn } from './dials-stand-in';
import { call, listAll, rawGet, schemaProblems } from './test-helpers';

let s: DialsStandIn;
beforeEach(async () => {
  s = await startDialsStandIn();
});
afterEach(() => s.close());

const secret = () => ({ 'X-CLIENT-SECRET': s.secretKey, accept: 'application/json' });

describe('gateway errors', () => {
  it('N × 429 with Retry-After, then the page', async () => {
    const rule = s.faults.status('th2', 429, 2, 3);
    for (let i = 0; i < 2; i++) {
      const r = await call(s, 'th2/', { query: { page_size: 1 } });
      expect([r.status, r.headers.get('retry-after')]).toEqual([429, '3']);
      expect(r.text).toContain('429 Too Many Requests');
    }
    expect((await call(s, 'th2/', { query: { page_size: 1 } })).status).toBe(200);
    expect(rule.fired).toBe(2);
    expect(s.requests.map((r) => r.faults)).toEqual([['status'], ['status'], []]);
  });

  it("500 is Django's error page; 502/503/504 are nginx pages; each only as often as asked", async () => {
    for (const status of [500, 502, 503, 504]) {
      s.faults.status('run:list', status, 1);
      const r = await call(s, 'run/');
      expect(r.status).toBe(status);
      expect(r.headers.get('content-type')).toContain('text/html');
      expect(r.text).toContain(status === 500 ? 'Server Error (500)' : `<h1>${status} `);
      expect(r.headers.get('retry-after')).toBeNull();
      expect((await call(s, 'run/')).status).toBe(200);
    }
  });

  it('faults hit only their route; skip lets the first requests through', async () => {
    s.faults.add({ route: 'th2:list', skip: 2, times: 1, fault: { kind: 'status', status: 503 } });
    expect((await call(s, 'run/')).status).toBe(200);
    expect((await call(s, 'th2/')).status).toBe(200);
    expect((await call(s, `th2/15191836/398100/1/250/`)).status).toBe(200);
    expect((await call(s, 'th2/')).status).toBe(200);
    expect((await call(s, 'th2/')).status).toBe(503);
    expect((await call(s, 'th2/')).status).toBe(200);
  });

  it('gateway faults come before authentication (the gateway answers, not DIALS)', async () => {
    s.faults.status('auth:device-token', 502);
    const r = await call(s, 'auth/device-token/', { auth: null, body: { device_code: 'x' } });
    expect(r.status).toBe(502);
    expect((await call(s, 'th2/', { auth: null, query: {} })).status).toBe(403);
  });
});

describe('dropped connections', () => {
  it('drop-mid-page: status and headers arrive, then about half of the records, then the socket is destroyed', async () => {
    s.faults.dropMidPage('th2:list', 1, 0.5);
    const url = `${s.apiUrl}th2/?run_number=398100&me_id=250&page_size=10`;
    const cut = await rawGet(url, secret());
    expect(cut.status).toBe(200);
    expect(cut.complete).toBe(false);
    expect(cut.received.startsWith('{"next":"http://')).toBe(true);
    expect(cut.received.match(/"run_number":/g)?.length).toBe(5);
    expect(() => JSON.parse(cut.received)).toThrow();
    expect(s.stats.drops).toBe(1);
    const full = await rawGet(url, secret());
    expect(full.complete).toBe(true);
    expect(JSON.parse(full.received).results.length).toBe(10);
    expect(full.received.startsWith(cut.received.slice(0, 2000))).toBe(true);
  });

  it('fetch() sees a dropped page as a failed body read; the walk resumes from the last good next', async () => {
    const query = { run_number: 398100, me_id: 251, fields: 'ls_number', page_size: 10 };
    s.faults.dropMidPage('th2:list', 1, 0.5, 2); // the third page breaks
    const first = await listAll(s, 'th2', query, { maxPages: 2 });
    await expect(listAll(s, 'th2', query, { resumeFrom: first.next, maxPages: 1 })).rejects.toThrow();
    const rest = await listAll(s, 'th2', query, { resumeFrom: first.next });
    expect([...first.results, ...rest.results].map((r) => r.ls_number)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
  });

  it('reset closes the connection before any byte', async () => {
    s.faults.reset('run');
    const r = await rawGet(`${s.apiUrl}run/`, secret());
    expect([r.status, r.received]).toEqual([null, '']);
    expect(r.error).toMatch(/socket hang up|ECONNRESET/);
    expect((await call(s, 'run/')).status).toBe(200);
  });

  it('a drop on a non-list route cuts its JSON body in half', async () => {
    s.faults.dropMidPage('th2:get');
    const r = await rawGet(`${s.apiUrl}th2/15191836/398100/1/250/`, secret());
    expect(r.complete).toBe(false);
    expect(r.received.length).toBeGreaterThan(1000);
    expect(r.received.endsWith('}')).toBe(false);
  });
});

describe('slow pages', () => {
  it('latencyMs delays every API response at least that long; setLatency changes it per route', async () => {
    const slow = await startDialsStandIn({ latencyMs: 60 });
    try {
      const t0 = performance.now();
      expect((await call(slow, 'run/')).status).toBe(200);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(55);
      slow.faults.setLatency(0);
      slow.faults.setLatency(80, 'th2');
      const t1 = performance.now();
      await call(slow, 'th2/', { query: { page_size: 1, fields: 'ls_number' } });
      expect(performance.now() - t1).toBeGreaterThanOrEqual(75);
    } finally {
      await slow.close();
    }
  });

  it('a delay fault slows one page', async () => {
    s.faults.add({ route: 'run', fault: { kind: 'delay', ms: 70 } });
    const t0 = performance.now();
    await call(s, 'run/');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(65);
    expect(s.requests[0].faults).toEqual(['delay']);
    expect(s.faults.active()).toEqual([]);
  });
});

describe('token expiry mid-walk', () => {
  it('the current access token expires now: the next page is 403 access_token_expired; after a refresh the walk goes on', async () => {
    const t = s.auth.issueUserToken();
    const query = { run_number: 398102, me_id: 250, fields: 'ls_number', page_size: 50 };
    const first = await listAll(s, 'th2', query, { auth: t.access_token as string, maxPages: 2 });
    s.auth.expireAccessTokens();
    const refused = await call(s, first.next!, { auth: t.access_token as string });
    expect([refused.status, refused.json]).toEqual([403, { detail: 'Access token has expired.', code: 'access_token_expired' }]);
    const fresh = (await call(s, 'auth/refresh-token/', { auth: null, body: { refresh_token: t.refresh_token } })).json;
    const rest = await listAll(s, 'th2', query, { auth: fresh.access_token, resumeFrom: first.next });
    expect([...first.results, ...rest.results].map((r) => r.ls_number)).toEqual(Array.from({ length: 180 }, (_, i) => i + 1));
  });
});

describe('schema violations', () => {
  it('a record without a field, with null, or with a wrong type breaks the client model where it says', async () => {
    s.faults.schema('th2:list', 'entries', 'missing', { record: 1 });
    const a = (await call(s, 'th2/', { query: { page_size: 3 } })).json.results;
    expect(schemaProblems('LumisectionHistogram2D', a[0])).toEqual([]);
    expect(schemaProblems('LumisectionHistogram2D', a[1])).toEqual(['LumisectionHistogram2D.entries is missing']);

    s.faults.schema('th2:list', 'data', 'wrong-type');
    const b = (await call(s, 'th2/', { query: { page_size: 1 } })).json.results[0];
    expect(schemaProblems('LumisectionHistogram2D', b)).toEqual([
      'LumisectionHistogram2D.data should be list[list[float]], got "not-a-list"',
    ]);

    s.faults.schema('run', 'run_number', 'wrong-type');
    const c = (await call(s, 'run/')).json.results[0];
    expect(schemaProblems('Run', c)).toEqual([`Run.run_number should be int, got "${c.run_number}"`]);

    s.faults.schema('th2:get', 'me', 'null');
    const d = (await call(s, 'th2/15191836/398100/1/250/')).json;
    expect(schemaProblems('LumisectionHistogram2D', d)).toEqual(['LumisectionHistogram2D.me should be str, got null']);

    s.faults.schema('mes', 'dim', 'wrong-type', { value: 2.5 });
    const e = (await call(s, 'mes/')).json[0];
    expect(schemaProblems('MonitoringElement', e)).toEqual(['MonitoringElement.dim should be int, got 2.5']);

    // and the next responses are whole again
    expect(schemaProblems('LumisectionHistogram2D', (await call(s, 'th2/', { query: { page_size: 1 } })).json.results[0])).toEqual([]);
  });
});

describe('request log', () => {
  it('records method, path, decoded query, route, status, workspace and faults', async () => {
    s.faults.status('th2', 503);
    await call(s, 'th2/', { query: { me__regex: 'PXLayer_2$', run_number: 398100 }, workspace: 'tracker' });
    await call(s, 'th2/', { query: { me__regex: 'PXLayer_2$', run_number: 398100 }, workspace: 'tracker' });
    await call(s, 'nope/');
    expect(s.requests.map((r) => [r.method, r.path, r.routeId, r.status, r.faults])).toEqual([
      ['GET', '/api/v1/th2/', 'th2:list', 503, ['status']],
      ['GET', '/api/v1/th2/', 'th2:list', 200, []],
      ['GET', '/api/v1/nope/', null, 404, []],
    ]);
    expect(s.requests[1].query).toEqual([
      ['me__regex', 'PXLayer_2$'],
      ['run_number', '398100'],
    ]);
    expect([s.requests[1].headers.workspace, s.requests[1].workspace, s.requests[1].records]).toEqual(['tracker', 'tracker', 10]);
    s.clearRequests();
    expect(s.requests).toEqual([]);
  });

  it("a path without the trailing slash is redirected like Django's APPEND_SLASH", async () => {
    const r = await call(s, 'th2', { query: { page_size: 1 } });
    expect([r.status, r.headers.get('location')]).toEqual([301, '/api/v1/th2/?page_size=1']);
  });
});
