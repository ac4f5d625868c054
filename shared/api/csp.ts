/**
 * Content-Security-Policy for the renderer, shared by Electron (meta tag) and the browser host
 * (response header). Plotly injects <style> elements, hence 'unsafe-inline' for styles only.
 */
export function contentSecurityPolicy(wsOrigins: string[] = []): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src 'self' ${wsOrigins.join(' ')}`.trim(),
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
