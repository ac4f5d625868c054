import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { contentSecurityPolicy } from '../../shared/api/csp';
import { TOKEN_COOKIE, WS_PATH, type ClientMessage, type ServerMessage } from '../../shared/api/ws-protocol';
import type { Backend } from '../api/create-backend';

export interface BrowserHostOptions {
  backend: Backend;
  /** Built renderer (index.html + assets). */
  staticDir: string;
  port?: number;
  /** Fixed token (tests); a random 24-byte token otherwise. */
  token?: string;
}

export interface BrowserHost {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

function sameToken(a: string | undefined | null, b: string): boolean {
  if (!a) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieToken(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === TOKEN_COOKIE) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

/** Only the loopback names the server is bound to may open the socket (blocks cross-site WebSockets). */
function originAllowed(origin: string | undefined, host: string | undefined): boolean {
  if (!origin) return true; // non-browser clients (tests, scripts) send no Origin; they still need the token
  try {
    const o = new URL(origin);
    return o.host === host && (o.hostname === '127.0.0.1' || o.hostname === 'localhost' || o.hostname === '[::1]');
  } catch {
    return false;
  }
}

/**
 * Serves the built renderer and the API over a WebSocket on 127.0.0.1 only. Every HTTP request and
 * socket must carry the token (URL `?token=` once, then an HttpOnly SameSite=Strict cookie).
 */
export async function startBrowserHost(opts: BrowserHostOptions): Promise<BrowserHost> {
  const token = opts.token ?? randomBytes(24).toString('hex');
  const staticRoot = path.resolve(opts.staticDir);

  const refuse = (res: ServerResponse, status = 403) => {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    res.end(status === 403
      ? 'DISM Studio: access denied. Open the URL with ?token=… that `npm run serve` printed in its terminal.\n'
      : 'Not found\n');
  };

  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const queryToken = url.searchParams.get('token');
      const authorised = sameToken(queryToken, token) || sameToken(cookieToken(req), token);
      if (!authorised) return refuse(res);
      if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 404);
      const headers: Record<string, string> = {
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'cross-origin-opener-policy': 'same-origin',
        'content-security-policy': contentSecurityPolicy([`ws://${req.headers.host ?? '127.0.0.1'}`]),
      };
      if (sameToken(queryToken, token)) {
        headers['set-cookie'] = `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`;
      }
      let rel = decodeURIComponent(url.pathname);
      if (rel === '/' || !path.extname(rel)) rel = '/index.html'; // single-page app
      const file = path.resolve(staticRoot, `.${rel}`);
      if (!file.startsWith(staticRoot + path.sep)) return refuse(res, 404);
      let body: Buffer;
      try {
        body = await fs.readFile(file);
      } catch {
        return refuse(res, 404);
      }
      headers['content-type'] = MIME[path.extname(file)] ?? 'application/octet-stream';
      headers['cache-control'] = rel === '/index.html' ? 'no-store' : 'max-age=3600';
      res.writeHead(200, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch {
      refuse(res, 404);
    }
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 * 1024 });
  const sockets = new Set<WebSocket>();
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const ok = url.pathname === WS_PATH
      && (sameToken(url.searchParams.get('token'), token) || sameToken(cookieToken(req), token))
      && originAllowed(req.headers.origin, req.headers.host);
    if (!ok) {
      socket.write('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  const send = (ws: WebSocket, msg: ServerMessage) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
  };

  wss.on('connection', (ws: WebSocket) => {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    ws.on('message', async (data) => {
      let msg: ClientMessage;
      try {
        msg = JSON.parse(String(data)) as ClientMessage;
      } catch {
        return; // not JSON: nothing to answer to
      }
      if (msg?.t !== 'call' || typeof msg.id !== 'number') return;
      const reply = await opts.backend.dispatch(msg.method, msg.input);
      send(ws, { t: 'reply', id: msg.id, reply });
    });
  });

  const offEvents = opts.backend.onEvent((event, payload) => {
    const text = JSON.stringify({ t: 'event', event, payload } satisfies ServerMessage);
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(text);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    token,
    url: `http://127.0.0.1:${port}/?token=${token}`,
    async close() {
      offEvents();
      for (const ws of sockets) ws.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
