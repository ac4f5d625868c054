import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { contentSecurityPolicy } from '@/shared/api/csp';
import type { ApiReply } from '@/shared/api/client';
import { serializeError } from '@/shared/api/errors';
import { CLOSE, MAX_MESSAGE_BYTES, MAX_MESSAGE_DEPTH, WS_PATH, type ClientMessage, type ServerMessage } from '@/shared/api/ws-protocol';
import type { Backend } from '../api/create-backend';

/** Calls one socket may have running at once; beyond that the server stops reading from it until some finish. */
const MAX_CALLS_IN_FLIGHT = 32;
/** Answers and events queued for a client that does not read them; past this it is disconnected. */
const MAX_BACKLOG_BYTES = 64 * 1024 * 1024;
/** A socket that does not answer a ping within this long is dead (half-open) and is dropped. */
const HEARTBEAT_MS = 30_000;
/** Time a dropped client gets to receive its close frame before the connection is cut. */
const CLOSE_GRACE_MS = 1_000;

export interface BrowserHostOptions {
  backend: Backend;
  /** Built renderer (index.html + assets). */
  staticDir: string;
  port?: number;
  /** Fixed token (tests); a random 24-byte token otherwise. */
  token?: string;
  /**
   * Further `host:port` names the browser may use besides 127.0.0.1:<port> and localhost:<port>,
   * e.g. the local end of an SSH tunnel on another port (`ssh -L 9000:127.0.0.1:8765`).
   */
  extraHosts?: string[];
}

export interface BrowserHost {
  url: string;
  port: number;
  token: string;
  /** Name of the session cookie (bound to the port, so two servers never share or shadow one). */
  cookieName: string;
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

function cookieValue(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) {
      try {
        return decodeURIComponent(v.join('='));
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** `host:port` as browsers send it in Host, lower-cased; null when it is not exactly that. */
function normalHost(value: string | undefined): string | null {
  if (!value || !/^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9A-Fa-f:.]+\]:\d{1,5}$/.test(value)) return null;
  return value.toLowerCase();
}

/**
 * The request's Host when it is one of ours, else null. Checked before the Host is used anywhere
 * (it goes into the CSP): a page on another name that resolves to 127.0.0.1 (DNS rebinding) or a
 * forged header gets nowhere.
 */
function trustedHost(req: IncomingMessage, allowed: ReadonlySet<string>): string | null {
  const host = normalHost(req.headers.host);
  return host && allowed.has(host) ? host : null;
}

/**
 * A browser sends Origin on cross-origin requests and on every WebSocket: it must be this very
 * server as the browser reached it (same scheme, name and port as Host). Non-browser clients (tests,
 * scripts) send none; they still need the token.
 */
function originMatches(origin: string | undefined, host: string): boolean {
  return origin === undefined || origin === `http://${host}`;
}

/**
 * True when the JSON text in `bytes` nests deeper than `limit` (strings skipped). A linear scan,
 * run before JSON.parse, which takes seconds on pathologically deep input.
 */
export function jsonNestingExceeds(bytes: Uint8Array, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

function isCall(msg: unknown): msg is ClientMessage {
  if (typeof msg !== 'object' || msg === null) return false;
  const m = msg as Record<string, unknown>;
  return m.t === 'call' && Number.isSafeInteger(m.id) && typeof m.method === 'string';
}

/** Printable and short: a refused Host is quoted back to the user, never trusted. */
function quoted(value: string | undefined): string {
  return JSON.stringify((value ?? '').replace(/[^\x20-\x7e]/g, '?').slice(0, 80));
}

/**
 * Serves the built renderer and the API over a WebSocket on 127.0.0.1 only.
 *
 * Who gets in: a request must name this server in Host (127.0.0.1:<port>, localhost:<port>, or an
 * --allow-host name), carry no Origin other than this server's own, and hold a key: the printed
 * token (`?token=`), or the session cookie the first page load sets. The cookie carries a separate
 * session key, not the token; its name includes the port; it is HttpOnly and SameSite=Strict. The
 * page removes the token from the address bar at once, so reloading relies on the cookie.
 */
export async function startBrowserHost(opts: BrowserHostOptions): Promise<BrowserHost> {
  const token = opts.token ?? randomBytes(24).toString('hex');
  const session = randomBytes(32).toString('hex');
  const staticRoot = path.resolve(opts.staticDir);
  const extraHosts = (opts.extraHosts ?? []).map((h) => {
    const n = normalHost(h);
    if (!n) throw new Error(`--allow-host ${h}: give a host:port, e.g. 127.0.0.1:9000`);
    return n;
  });
  // Known once listening (the port may be chosen by the system); no request arrives before that.
  let cookieName = '';
  let allowedHosts: ReadonlySet<string> = new Set();
  let ownHosts = '';

  const hasKey = (req: IncomingMessage, url: URL) =>
    sameToken(url.searchParams.get('token'), token) || sameToken(cookieValue(req, cookieName), session);

  const refuse = (res: ServerResponse, status: number, message: string) => {
    res.writeHead(status, {
      'content-type': 'text/plain; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    res.end(`${message}\n`);
  };
  const noKey = 'DISM Studio: access denied. Open the URL with ?token=… that `npm run serve` printed in its terminal.';
  const wrongHost = (req: IncomingMessage) =>
    `DISM Studio answers only as ${ownHosts}; this request asked for ${quoted(req.headers.host)}. ` +
    "If you forwarded a different local port (ssh -L 9000:127.0.0.1:8765), open the URL with the server's port, or restart it with --allow-host 127.0.0.1:9000.";

  const server = createServer(async (req, res) => {
    try {
      const host = trustedHost(req, allowedHosts);
      if (!host) return refuse(res, 421, wrongHost(req));
      if (!originMatches(req.headers.origin, host)) return refuse(res, 403, 'DISM Studio: requests from other web pages are refused.');
      const url = new URL(req.url ?? '/', `http://${host}`);
      if (!hasKey(req, url)) return refuse(res, 403, noKey);
      if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 404, 'Not found');
      const headers: Record<string, string> = {
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'cross-origin-opener-policy': 'same-origin',
        'content-security-policy': contentSecurityPolicy({ webSocketOrigins: [`ws://${host}`] }),
      };
      if (sameToken(url.searchParams.get('token'), token)) {
        headers['set-cookie'] = `${cookieName}=${session}; HttpOnly; SameSite=Strict; Path=/`;
      }
      let rel = decodeURIComponent(url.pathname);
      if (rel === '/' || !path.extname(rel)) rel = '/index.html'; // single-page app
      const file = path.resolve(staticRoot, `.${rel}`);
      if (!file.startsWith(staticRoot + path.sep)) return refuse(res, 404, 'Not found');
      let body: Buffer;
      try {
        body = await fs.readFile(file);
      } catch {
        return refuse(res, 404, 'Not found');
      }
      headers['content-type'] = MIME[path.extname(file)] ?? 'application/octet-stream';
      headers['cache-control'] = rel === '/index.html' ? 'no-store' : 'max-age=3600';
      res.writeHead(200, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch {
      refuse(res, 404, 'Not found');
    }
  });

  // Nothing a client sends may take the server down: every emitter below has an error path.
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  wss.on('error', (err) => console.error(`browser host: WebSocket server error: ${err.message}`));
  /** Open sockets, each with whether it answered the last heartbeat ping. */
  const sockets = new Map<WebSocket, { answersPing: boolean }>();
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    let status = 403;
    try {
      const host = trustedHost(req, allowedHosts);
      if (!host) status = 421;
      else {
        const url = new URL(req.url ?? '/', `http://${host}`);
        if (url.pathname === WS_PATH && originMatches(req.headers.origin, host) && hasKey(req, url)) status = 101;
      }
    } catch {
      status = 403; // an unparsable request line is refused like a missing key
    }
    if (status !== 101) {
      socket.end(
        `HTTP/1.1 ${status} ${status === 421 ? 'Misdirected Request' : 'Forbidden'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  /** Drop one misbehaving client: a close frame saying why, then the connection is cut. */
  const drop = (ws: WebSocket, code: number, reason: string) => {
    if (ws.readyState === ws.OPEN) ws.close(code, reason);
    setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref();
  };

  /** Send, unless the client has stopped reading: then it is disconnected instead of growing our memory. */
  const sendText = (ws: WebSocket, text: string) => {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > MAX_BACKLOG_BYTES) {
      ws.terminate();
      return;
    }
    ws.send(text, () => undefined);
  };

  const encodeReply = (id: number, method: string, reply: ApiReply): string => {
    try {
      const text = JSON.stringify({ t: 'reply', id, reply } satisfies ServerMessage);
      if (Buffer.byteLength(text) <= MAX_MESSAGE_BYTES) return text;
    } catch {
      // fall through: too large for a string, or not serialisable
    }
    const error = {
      name: 'ApiError',
      code: 'REPLY_TOO_LARGE',
      message: `The answer to ${method} is larger than the ${MAX_MESSAGE_BYTES / 2 ** 20} MB one message may carry.`,
    };
    return JSON.stringify({ t: 'reply', id, reply: { ok: false, error } } satisfies ServerMessage);
  };

  const answer = async (ws: WebSocket, call: ClientMessage) => {
    let reply: ApiReply;
    try {
      reply = await opts.backend.dispatch(call.method, call.input);
    } catch (err) {
      reply = { ok: false, error: serializeError(err) };
    }
    sendText(ws, encodeReply(call.id, call.method, reply));
  };

  wss.on('connection', (ws: WebSocket) => {
    const client = { answersPing: true };
    sockets.set(ws, client);
    let callsInFlight = 0;
    ws.on('close', () => sockets.delete(ws));
    // Protocol errors (bad opcode, unmasked frame, invalid UTF-8, over-size message): ws has already
    // sent the close frame with the right status code; the listener keeps the error from being fatal.
    ws.on('error', () => drop(ws, CLOSE.policyViolation, 'protocol error'));
    ws.on('pong', () => (client.answersPing = true));
    ws.on('message', (data, isBinary) => {
      if (isBinary) return drop(ws, CLOSE.unsupportedData, 'binary messages are not part of the DISM Studio API');
      const bytes = data as Buffer;
      if (jsonNestingExceeds(bytes, MAX_MESSAGE_DEPTH))
        return drop(ws, CLOSE.policyViolation, `JSON nested more than ${MAX_MESSAGE_DEPTH} levels deep`);
      let msg: unknown;
      try {
        msg = JSON.parse(bytes.toString('utf8'));
      } catch {
        return drop(ws, CLOSE.unsupportedData, 'messages must be JSON');
      }
      if (!isCall(msg)) return drop(ws, CLOSE.policyViolation, 'expected {"t":"call","id":<integer>,"method":<string>,"input":…}');
      // A client flooding calls is slowed down (its socket is not read) rather than served without bound.
      if (++callsInFlight >= MAX_CALLS_IN_FLIGHT && !ws.isPaused) ws.pause();
      void answer(ws, msg).finally(() => {
        callsInFlight--;
        if (ws.isPaused && callsInFlight < MAX_CALLS_IN_FLIGHT / 2) ws.resume();
      });
    });
  });

  const heartbeat = setInterval(() => {
    for (const [ws, client] of sockets) {
      if (!client.answersPing) ws.terminate();
      else {
        client.answersPing = false;
        ws.ping();
      }
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();

  const offEvents = opts.backend.onEvent((event, payload) => {
    let text: string;
    try {
      text = JSON.stringify({ t: 'event', event, payload } satisfies ServerMessage);
    } catch (err) {
      console.error(`browser host: event ${event} could not be sent: ${(err as Error).message}`);
      return;
    }
    for (const ws of sockets.keys()) sendText(ws, text);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  server.on('error', (err) => console.error(`browser host: server error: ${err.message}`));
  const port = (server.address() as AddressInfo).port;
  cookieName = `dism_session_${port}`;
  allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`, ...extraHosts]);
  ownHosts = [...allowedHosts].join(' or ');
  return {
    port,
    token,
    cookieName,
    url: `http://127.0.0.1:${port}/?token=${token}`,
    async close() {
      offEvents();
      clearInterval(heartbeat);
      for (const ws of sockets.keys()) ws.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
