import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createBackend, type Backend } from '@/backend/api/create-backend';
import { jsonNestingExceeds, startBrowserHost, type BrowserHost } from '@/backend/host/browser-host';
import { MAX_MESSAGE_DEPTH } from '@/shared/api/ws-protocol';

let backend: Backend;
let host: BrowserHost;
let tmp: string;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'dism-host-'));
  const staticDir = path.join(tmp, 'renderer');
  mkdirSync(staticDir);
  writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(path.join(tmp, 'secret.txt'), 'outside the static root');
  backend = await createBackend({ host: { kind: 'browser' }, userDataDir: path.join(tmp, 'ud'), pollEngine: false });
  host = await startBrowserHost({ backend, staticDir, extraHosts: ['127.0.0.1:9000'] });
});
afterAll(async () => {
  await host.close();
  await backend.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

function wsOpen(url: string, headers: Record<string, string> = {}): Promise<{ ws?: WebSocket; status?: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve({ ws }));
    ws.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode }));
    ws.once('error', () => resolve({ status: -1 }));
  });
}

/** A GET with exactly these headers (fetch will not let a test set Host). */
function httpGet(
  pathAndQuery: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: host.port, path: pathAndQuery, headers: { host: `127.0.0.1:${host.port}`, ...headers } },
      (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const sessionCookie = async () => (await httpGet(`/?token=${host.token}`)).headers['set-cookie']![0].split(';')[0];

function call(ws: WebSocket, method: string, input: unknown): Promise<any> {
  return new Promise((resolve) => {
    const id = Math.floor(Math.random() * 1e9);
    ws.on('message', (d) => {
      const m = JSON.parse(String(d));
      if (m.t === 'reply' && m.id === id) resolve(m.reply);
    });
    ws.send(JSON.stringify({ t: 'call', id, method, input }));
  });
}

describe('browser host', () => {
  it('binds to 127.0.0.1 and prints a URL with the token', () => {
    expect(host.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${host.port}/\\?token=[0-9a-f]{48}$`));
  });

  it('refuses HTTP requests without the token or with a wrong one', async () => {
    expect((await fetch(`http://127.0.0.1:${host.port}/`)).status).toBe(403);
    expect((await fetch(`http://127.0.0.1:${host.port}/?token=wrong`)).status).toBe(403);
    expect((await fetch(`http://127.0.0.1:${host.port}/assets/x.js`)).status).toBe(403);
  });

  it('accepts the token once in the URL and answers with a session cookie bound to the port, not the token', async () => {
    const res = await fetch(host.url);
    expect(res.status).toBe(200);
    const cookie = res.headers.get('set-cookie')!;
    expect(host.cookieName).toBe(`dism_session_${host.port}`);
    const [pair, ...attributes] = cookie.split(';').map((p) => p.trim());
    expect(pair.startsWith(`dism_session_${host.port}=`)).toBe(true);
    expect(pair).not.toContain(host.token);
    expect(attributes).toEqual(['HttpOnly', 'SameSite=Strict', 'Path=/']);
    const again = await fetch(`http://127.0.0.1:${host.port}/`, { headers: { cookie: pair } });
    expect(again.status).toBe(200);
    expect(again.headers.get('set-cookie')).toBeNull();
  });

  it('refuses the token itself as a cookie, a cookie named for another port, and a wrong session', async () => {
    const value = (await sessionCookie()).split('=')[1];
    for (const cookie of [
      `dism_token=${host.token}`,
      `dism_session_${host.port}=${host.token}`,
      `dism_session_${host.port + 1}=${value}`,
      `dism_session_${host.port}=${'0'.repeat(64)}`,
    ]) {
      expect((await httpGet('/', { cookie })).status, cookie).toBe(403);
    }
  });

  it('answers only to its own host:port (and --allow-host names), before using Host anywhere', async () => {
    const ok = await httpGet(`/?token=${host.token}`);
    expect(ok.headers['content-security-policy']).toContain(`connect-src 'self' ws://127.0.0.1:${host.port};`);
    expect((await httpGet(`/?token=${host.token}`, { host: `localhost:${host.port}` })).headers['content-security-policy']).toContain(
      `ws://localhost:${host.port};`,
    );
    expect((await httpGet(`/?token=${host.token}`, { host: '127.0.0.1:9000' })).status).toBe(200);
    for (const bad of [
      `evil.example:${host.port}`,
      `127.0.0.1:${host.port + 1}`,
      '127.0.0.1',
      `127.0.0.1:${host.port}; script-src *`,
      `127.0.0.1:${host.port}\tx`,
      `[::1]:${host.port}`,
    ]) {
      const res = await httpGet(`/?token=${host.token}`, { host: bad });
      expect(res.status, bad).toBe(421);
      expect(res.headers['content-security-policy']).toBeUndefined();
      expect(res.headers['set-cookie']).toBeUndefined();
    }
    const rebound = await httpGet(`/?token=${host.token}`, { host: `attacker.example:${host.port}` });
    expect(rebound.body).toBe(
      `DISM Studio answers only as 127.0.0.1:${host.port} or localhost:${host.port} or 127.0.0.1:9000; this request asked for "attacker.example:${host.port}". ` +
        "If you forwarded a different local port (ssh -L 9000:127.0.0.1:8765), open the URL with the server's port, or restart it with --allow-host 127.0.0.1:9000.\n",
    );
  });

  it('refuses requests that a browser marks as coming from another page', async () => {
    expect((await httpGet(`/?token=${host.token}`, { origin: `http://127.0.0.1:${host.port + 1}` })).status).toBe(403);
    expect((await httpGet(`/?token=${host.token}`, { origin: `http://127.0.0.1:${host.port}` })).status).toBe(200);
  });

  it('never serves files outside the renderer folder', async () => {
    const res = await fetch(`http://127.0.0.1:${host.port}/..%2fsecret.txt?token=${host.token}`);
    expect(res.status).toBe(404);
  });

  it('refuses sockets without a key, with a wrong one, from another origin or for another host', async () => {
    const api = `ws://127.0.0.1:${host.port}/api`;
    const own = { origin: `http://127.0.0.1:${host.port}` };
    expect((await wsOpen(api)).status).toBe(403);
    expect((await wsOpen(`${api}?token=nope`)).status).toBe(403);
    expect((await wsOpen(`${api}?token=${host.token}`, { origin: 'https://evil.example' })).status).toBe(403);
    // Another local server's page (other port), a page on localhost talking to 127.0.0.1, a sandboxed frame:
    for (const origin of [`http://127.0.0.1:${host.port + 1}`, `http://localhost:${host.port}`, 'null', `https://127.0.0.1:${host.port}`]) {
      expect((await wsOpen(api, { ...own, origin, cookie: await sessionCookie() })).status, origin).toBe(403);
    }
    expect((await wsOpen(`${api}?token=${host.token}`, { host: `evil.example:${host.port}` })).status).toBe(421);
    expect(
      (await wsOpen(`${api}?token=${host.token}`, { host: `evil.example:${host.port}`, origin: `http://evil.example:${host.port}` }))
        .status,
    ).toBe(421);
  });

  it('opens a socket for the browser with its session cookie alone, from its own origin', async () => {
    const { ws } = await wsOpen(`ws://127.0.0.1:${host.port}/api`, {
      origin: `http://127.0.0.1:${host.port}`,
      cookie: await sessionCookie(),
    });
    expect(ws).toBeDefined();
    expect(await call(ws!, 'app.info', {})).toMatchObject({ ok: true });
    ws!.close();
  });

  it('accepts a socket with the token and answers API calls, including schema errors', async () => {
    const { ws } = await wsOpen(`ws://127.0.0.1:${host.port}/api?token=${host.token}`, { origin: `http://127.0.0.1:${host.port}` });
    expect(ws).toBeDefined();
    const ok = await call(ws!, 'app.info', {});
    expect(ok).toMatchObject({ ok: true, result: { host: 'browser' } });
    const bad = await call(ws!, 'fs.listDir', { dir: 7 });
    expect(bad).toMatchObject({ ok: false, error: { name: 'SchemaError' } });
    ws!.close();
  });
});

describe('JSON nesting pre-check of incoming messages', () => {
  const bytes = (s: string) => Buffer.from(s);
  const nest = (d: number) => `${'['.repeat(d)}${']'.repeat(d)}`;
  it(`lets ${MAX_MESSAGE_DEPTH} levels through and stops ${MAX_MESSAGE_DEPTH + 1}`, () => {
    expect(jsonNestingExceeds(bytes(nest(MAX_MESSAGE_DEPTH)), MAX_MESSAGE_DEPTH)).toBe(false);
    expect(jsonNestingExceeds(bytes(nest(MAX_MESSAGE_DEPTH + 1)), MAX_MESSAGE_DEPTH)).toBe(true);
    expect(jsonNestingExceeds(bytes(`{"a":${nest(MAX_MESSAGE_DEPTH - 1)}}`), MAX_MESSAGE_DEPTH)).toBe(false);
  });
  it('ignores brackets inside strings, including after escaped quotes', () => {
    expect(jsonNestingExceeds(bytes(JSON.stringify({ text: '['.repeat(1000) })), MAX_MESSAGE_DEPTH)).toBe(false);
    expect(jsonNestingExceeds(bytes(JSON.stringify({ text: `"\\"${'{'.repeat(1000)}` })), MAX_MESSAGE_DEPTH)).toBe(false);
  });
});
