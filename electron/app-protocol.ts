import { promises as fs } from 'node:fs';
import path from 'node:path';
import { contentSecurityPolicy } from '@/shared/api/csp';

/**
 * The renderer is served from app://dism-studio/ instead of file://: a file:// page may read any
 * local file through fetch/XHR and shares its origin with every other local file, while this origin
 * holds exactly the built renderer. Kept free of the `electron` import so it is unit-tested in Node.
 */
export const APP_SCHEME = 'app';
export const APP_HOST = 'dism-studio';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const RENDERER_URL = `${APP_ORIGIN}/index.html`;

/**
 * Registered before the app is ready (protocol.registerSchemesAsPrivileged): a standard, secure
 * origin (relative URLs, ES modules, localStorage, fetch of its own assets). No CSP bypass, no
 * service workers, no CORS from other origins.
 */
export const APP_SCHEME_PRIVILEGES = { standard: true, secure: true, supportFetchAPI: true, codeCache: true } as const;

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
};

/**
 * The file an app:// URL names inside `rootDir`, or null: another host, a path that decodes to
 * something outside the root (`..`, encoded or not, backslashes), NUL bytes, or a non-app URL.
 */
export function resolveAppRequest(url: string, rootDir: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== `${APP_SCHEME}:` || u.host !== APP_HOST) return null;
  let rel: string;
  try {
    rel = decodeURIComponent(u.pathname);
  } catch {
    return null;
  }
  if (rel.includes('\0') || rel.includes('\\')) return null;
  if (rel === '/' || rel === '') rel = '/index.html';
  const root = path.resolve(rootDir);
  const file = path.resolve(root, `.${rel}`);
  return file.startsWith(root + path.sep) ? file : null;
}

/**
 * The protocol.handle('app', …) handler: the renderer's files with the app's CSP (the same policy
 * the browser host sends, minus any WebSocket: Electron's renderer reaches the back end over IPC).
 */
export function appProtocolHandler(rootDir: string): (request: Request) => Promise<Response> {
  const csp = contentSecurityPolicy();
  const notFound = () => new Response('Not found', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' } });
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return new Response('Method not allowed', { status: 405 });
    const file = resolveAppRequest(request.url, rootDir);
    if (!file) return notFound();
    let body: Buffer;
    try {
      body = await fs.readFile(file);
    } catch {
      return notFound(); // missing, or a folder
    }
    return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), {
      status: 200,
      headers: {
        'content-type': MIME[path.extname(file)] ?? 'application/octet-stream',
        'content-security-policy': csp,
        'x-content-type-options': 'nosniff',
        'cache-control': 'no-cache',
      },
    });
  };
}
