import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createBackend, type Backend } from '../../backend/api/create-backend';
import { jsonNestingExceeds, startBrowserHost, type BrowserHost } from '../../backend/host/browser-host';
import { MAX_MESSAGE_DEPTH } from '../../shared/api/ws-protocol';

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
  host = await startBrowserHost({ backend, staticDir });
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

  it('accepts the token, sets an HttpOnly cookie and a CSP, and then accepts the cookie alone', async () => {
    const res = await fetch(host.url);
    expect(res.status).toBe(200);
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    const again = await fetch(`http://127.0.0.1:${host.port}/`, { headers: { cookie: cookie.split(';')[0] } });
    expect(again.status).toBe(200);
  });

  it('never serves files outside the renderer folder', async () => {
    const res = await fetch(`http://127.0.0.1:${host.port}/..%2fsecret.txt?token=${host.token}`);
    expect(res.status).toBe(404);
  });

  it('refuses sockets without the token, with a wrong token, or from a foreign origin', async () => {
    expect((await wsOpen(`ws://127.0.0.1:${host.port}/api`)).status).toBe(403);
    expect((await wsOpen(`ws://127.0.0.1:${host.port}/api?token=nope`)).status).toBe(403);
    expect((await wsOpen(`ws://127.0.0.1:${host.port}/api?token=${host.token}`, { origin: 'https://evil.example' })).status).toBe(403);
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
