import { promises as fs } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DialsSignInEvent } from '@/shared/api/contract/dials';
import { DialsConnection } from '@/backend/dials/dials-connection';
import { DialsHttp } from '@/backend/dials/dials-http';
import { JobManager } from '@/backend/jobs/job-manager';
import { DialsService } from '@/backend/dials/dials-service';
import { dialsTestWorld, type DialsTestWorld } from './helpers';

/**
 * Sign-in against the DIALS API stand-in as the DIALS Python client does it (device flow, refresh,
 * secret key), the token cache (user-data folder, 0600, per instance, deleted on sign-out), and the
 * privacy rules: credentials go only to the chosen instance and never into a log.
 */

let w: DialsTestWorld | null = null;
afterEach(async () => {
  await w?.close();
  w = null;
});

/** One clock for the stand-in's Keycloak and our client, moved by the client's sleeps. */
function sharedClock(world: DialsTestWorld) {
  const clock = { t: Date.now() };
  world.dials.auth.clock = () => clock.t;
  return {
    clock,
    now: () => clock.t,
    sleep: async (ms: number, signal?: AbortSignal) => {
      signal?.throwIfAborted();
      clock.t += ms;
      await new Promise((r) => setTimeout(r, 1));
    },
  };
}

function serviceWith(world: DialsTestWorld, opts: ConstructorParameters<typeof DialsService>[1]) {
  const events = new Map<string, DialsSignInEvent[]>();
  const logs: string[] = [];
  const jobs = new JobManager({
    update: () => undefined,
    log: (l) => logs.push(l.text),
    chunk: (c) => events.set(c.jobId, [...(events.get(c.jobId) ?? []), c.data as DialsSignInEvent]),
  });
  const service = new DialsService({ jobs, settings: world.settings, userDataDir: world.userDataDir, version: 'test' }, opts);
  return { service, jobs, events, logs };
}

const deviceTokenAnswers = (world: DialsTestWorld) =>
  world.dials.requests.filter((r) => r.routeId === 'auth:device-token').map((r) => r.status);

describe('DIALS sign-in (device flow)', () => {
  it('polls every 5 s while pending, then caches the token 0600 in the user-data folder, never in the project or a log', async () => {
    w = await dialsTestWorld({ standIn: { autoApproveAfterPolls: 2 } });
    const { now, sleep } = sharedClock(w);
    const { service, jobs, events, logs } = serviceWith(w, { now, sleep });
    const job = await service.signIn(w.projectDir);
    const end = await jobs.wait(job.id);
    expect(end.state).toBe('succeeded');
    expect(end.result).toMatchObject({
      signedIn: true,
      user: 'Stand-in Physicist (standin)',
      workspaces: expect.arrayContaining(['tracker']),
      defaultWorkspace: 'tracker',
    });
    expect(deviceTokenAnswers(w)).toEqual([400, 400, 200]);
    const device = events.get(job.id)![0] as Extract<DialsSignInEvent, { type: 'device' }>;
    expect(device.url).toMatch(/\/auth\/realms\/cern\/device\?user_code=[A-Z]{4}-[A-Z]{4}$/);
    expect(device.userCode).toBe(new URL(device.url).searchParams.get('user_code'));
    expect(events.get(job.id)![1]).toEqual({ type: 'signed-in', user: 'Stand-in Physicist (standin)' });

    const dir = path.join(w.userDataDir, 'dials', 'credentials');
    const files = await fs.readdir(dir);
    expect(files).toEqual([expect.stringMatching(/^127\.0\.0\.1_\d+-[0-9a-f]{12}\.json$/)]);
    expect((await fs.stat(dir)).mode & 0o777).toBe(0o700);
    expect((await fs.stat(path.join(dir, files[0]))).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(await fs.readFile(path.join(dir, files[0]), 'utf8'));
    // nowhere else: not in the project, not in the job's log or result
    const projectFiles = await fs.readdir(w.projectDir, { recursive: true });
    for (const f of projectFiles) {
      const st = await fs.stat(path.join(w.projectDir, f));
      if (st.isFile()) expect(await fs.readFile(path.join(w.projectDir, f), 'utf8')).not.toContain(saved.accessToken);
    }
    const everything = JSON.stringify({ logs, end, events: [...events.values()] });
    expect(everything).not.toContain(saved.accessToken);
    expect(everything).not.toContain(saved.refreshToken);
    expect(logs.join('\n')).not.toContain(w.dials.auth.pendingDevices()[0]?.deviceCode ?? 'no-device-left');

    // the account after a restart of the back end: from the cache
    expect(await w.service.account(w.projectDir)).toMatchObject({ signedIn: true, user: 'Stand-in Physicist (standin)' });
    // sign out deletes the file
    expect(await w.service.signOut(w.projectDir)).toMatchObject({ signedIn: false, user: null });
    expect(await fs.readdir(dir)).toEqual([]);
  });

  it('slows down by 5 s when DIALS says slow_down', async () => {
    w = await dialsTestWorld({ standIn: { autoApproveAfterPolls: 2 } });
    const { now, sleep, clock } = sharedClock(w);
    const t0 = clock.t;
    const { service, jobs } = serviceWith(w, { now, sleep, pollIntervalS: 2 });
    const job = await service.signIn(w.projectDir);
    expect((await jobs.wait(job.id)).state).toBe('succeeded');
    const polls = w.dials.requests.filter((r) => r.routeId === 'auth:device-token');
    // at 2 s: pending; at 4 s: too soon → slow_down; then every 7 s
    expect(polls.map((r) => r.status)).toEqual([400, 400, 400, 200]);
    expect(clock.t - t0).toBe(2000 + 2000 + 7000 + 7000);
  });

  it('a refused, expired or unknown device code ends the sign-in with what to do', async () => {
    w = await dialsTestWorld();
    const { now, sleep, clock } = sharedClock(w);
    const { service, jobs, events } = serviceWith(w, { now, sleep });
    const denied = await service.signIn(w.projectDir);
    for (let i = 0; i < 100 && !events.get(denied.id); i++) await new Promise((r) => setTimeout(r, 5));
    w.dials.auth.deny();
    expect((await jobs.wait(denied.id)).error).toMatchObject({
      code: 'DIALS_SIGN_IN_FAILED',
      message: 'The sign-in was refused on the CERN page. Start the sign-in again if that was a mistake.',
    });
    const expired = await service.signIn(w.projectDir);
    const end = await jobs.wait(expired.id);
    expect(end.error).toMatchObject({
      code: 'DIALS_SIGN_IN_FAILED',
      message: expect.stringContaining('The sign-in code expired before it was approved'),
    });
    // it gave up when the device expired (600 s), not earlier
    expect(clock.t).toBeGreaterThanOrEqual(Date.now() + 600_000 - 60_000);
  });

  it('the sign-in can be cancelled while it waits', async () => {
    w = await dialsTestWorld();
    const { service, jobs, events } = serviceWith(w, {});
    const job = await service.signIn(w.projectDir);
    for (let i = 0; i < 200 && !events.get(job.id); i++) await new Promise((r) => setTimeout(r, 5));
    expect(events.get(job.id)?.[0].type).toBe('device');
    await jobs.cancel(job.id);
    expect((await jobs.wait(job.id)).state).toBe('cancelled');
  });
});

describe('DIALS tokens', () => {
  it('are refreshed before they expire (less than 10 % of the lifetime left), once for parallel requests', async () => {
    w = await dialsTestWorld({ standIn: { accessTokenLifetimeS: 1200 } });
    const { now, sleep, clock } = sharedClock(w);
    await w.signIn();
    const conn = new DialsConnection(w.dials.url, { userDataDir: w.userDataDir, now, sleep });
    const before = await conn.tokens.load(conn.instance);
    clock.t += 1000_000; // 200 s left of 1200: more than 10 %
    await conn.account();
    expect(w.dials.requests.filter((r) => r.routeId === 'auth:refresh-token')).toHaveLength(0);
    clock.t += 90_000; // 110 s left: less than 10 %
    await Promise.all([conn.account(), conn.client(null).mes(), conn.client(null).mes()]);
    expect(w.dials.requests.filter((r) => r.routeId === 'auth:refresh-token')).toHaveLength(1);
    const after = await conn.tokens.load(conn.instance);
    expect(after!.accessToken).not.toBe(before!.accessToken);
    expect(after!.expiresAt).toBe(clock.t + 1200_000);
  });

  it('refused by DIALS (expired there): refreshed once and the request repeated; a dead session asks to sign in again', async () => {
    w = await dialsTestWorld();
    await w.signIn();
    const conn = new DialsConnection(w.dials.url, { userDataDir: w.userDataDir });
    w.dials.auth.expireAccessTokens();
    expect((await conn.client(null).mes()).length).toBeGreaterThan(0);
    const mesAnswers = w.dials.requests.filter((r) => r.routeId === 'mes:list').map((r) => r.status);
    expect(mesAnswers).toEqual([403, 200]);

    w.dials.auth.expireAccessTokens();
    w.dials.auth.expireRefreshTokens();
    const fresh = new DialsConnection(w.dials.url, { userDataDir: w.userDataDir });
    await expect(fresh.client(null).mes()).rejects.toMatchObject({
      code: 'DIALS_SIGN_IN_REQUIRED',
      message: expect.stringMatching(/^Your DIALS session has ended\. Sign in to DIALS/),
    });
    expect(await fresh.account()).toMatchObject({ signedIn: false });
  });

  it('are kept per instance', async () => {
    w = await dialsTestWorld();
    await w.signIn();
    const other = new DialsConnection('https://dev-cmsdials-api.web.cern.ch', { userDataDir: w.userDataDir });
    expect(await other.account()).toMatchObject({ signedIn: false, instance: 'https://dev-cmsdials-api.web.cern.ch' });
    expect(other.tokens.file(other.instance)).not.toBe(other.tokens.file(w.dials.url));
    expect(await w.service.account(w.projectDir)).toMatchObject({ signedIn: true });
  });

  it('a client secret (DIALS_TOKEN) is sent as X-CLIENT-SECRET, like the Python client’s secret-key credentials', async () => {
    w = await dialsTestWorld();
    const conn = new DialsConnection(w.dials.url, { userDataDir: w.userDataDir, clientSecret: w.dials.secretKey });
    expect(await conn.account()).toMatchObject({ signedIn: true, user: 'client secret (DIALS_TOKEN)' });
    const r = w.dials.requests.find((x) => x.routeId === 'auth:workspaces')!;
    expect(r.headers['x-client-secret']).toBe('[redacted]');
    expect(r.headers.authorization).toBeUndefined();
    await expect(conn.signIn({ onDevice: () => undefined })).rejects.toMatchObject({ code: 'DIALS_BAD_REQUEST' });
    const wrong = new DialsConnection(w.dials.url, { userDataDir: w.userDataDir, clientSecret: 'not-the-secret' });
    await expect(wrong.client(null).mes()).rejects.toMatchObject({ code: 'DIALS_SIGN_IN_REQUIRED' });
  });
});

describe('credentials go only to the chosen instance', () => {
  it('a redirect is not followed (the credentials would go with it)', async () => {
    let elsewhere = 0;
    const other = http.createServer((_q, s) => {
      elsewhere++;
      s.end('{}');
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    const target = `http://127.0.0.1:${(other.address() as AddressInfo).port}/steal`;
    const redirecting = http.createServer((_q, s) => {
      s.writeHead(302, { location: target });
      s.end();
    });
    await new Promise<void>((r) => redirecting.listen(0, '127.0.0.1', r));
    try {
      const h = new DialsHttp({
        instance: `http://127.0.0.1:${(redirecting.address() as AddressInfo).port}`,
        credentials: { headers: async () => ({ Authorization: 'Bearer SECRET-TOKEN' }) },
      });
      const err = await h.get('mes/').catch((e: Error) => e);
      expect(err).toMatchObject({ code: 'DIALS_BAD_RESPONSE' });
      expect((err as Error).message).toContain('does not follow: your credentials go only to');
      expect((err as Error).message).not.toContain('SECRET-TOKEN');
      expect(elsewhere).toBe(0);
    } finally {
      other.close();
      redirecting.close();
    }
  });

  it('pages are asked from the instance again with the next_token of `next`; the link itself (any host) is never followed', async () => {
    let elsewhere = 0;
    const other = http.createServer((_q, s) => {
      elsewhere++;
      s.end('{}');
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    const asked: string[] = [];
    const run = (n: number) => ({ dataset_id: 1, dataset: '/A/B/DQMIO', run_number: n, ls_count: 3 });
    const instance = http.createServer((q, s) => {
      asked.push(q.url!);
      const token = new URL(q.url!, 'http://x').searchParams.get('next_token');
      const next = token ? null : `http://127.0.0.1:${(other.address() as AddressInfo).port}/api/v1/run/?next_token=abc%3D&page_size=1`;
      s.setHeader('content-type', 'application/json');
      s.end(JSON.stringify({ next, previous: null, results: [run(token ? 2 : 1)] }));
    });
    await new Promise<void>((r) => instance.listen(0, '127.0.0.1', r));
    try {
      const { DialsClient } = await import('@/backend/dials/dials-client');
      const c = new DialsClient(
        new DialsHttp({
          instance: `http://127.0.0.1:${(instance.address() as AddressInfo).port}`,
          credentials: { headers: async () => ({}) },
        }),
      );
      const all = await c.all('run/', 'Run', { page_size: 1, dataset_id: 1 });
      expect(all.map((r) => r.run_number)).toEqual([1, 2]);
      expect(asked).toEqual(['/api/v1/run/?page_size=1&dataset_id=1', '/api/v1/run/?page_size=1&dataset_id=1&next_token=abc%3D']);
      expect(elsewhere).toBe(0);
    } finally {
      other.close();
      instance.close();
    }
  });
});
