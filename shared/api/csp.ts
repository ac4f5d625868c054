/**
 * The renderer's Content-Security-Policy, built here for both hosts: the browser host sends it as a
 * response header, Electron's app:// protocol handler sends it with every file it serves. Plotly
 * injects <style> elements, hence 'unsafe-inline' for styles only. Electron's renderer talks to the
 * back end over IPC, so it may connect nowhere; the browser host adds its own WebSocket origin
 * (exactly, from a Host header already checked).
 */
export function contentSecurityPolicy(opts: { webSocketOrigins?: string[] } = {}): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src 'self' ${(opts.webSocketOrigins ?? []).join(' ')}`.trim(),
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
