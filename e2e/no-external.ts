import type { BrowserContext, Page } from '@playwright/test';
import { expect, test } from './fixtures';

/**
 * "Nothing leaves the machine" as a check: every request of the page (and of any page it opens),
 * every WebSocket and every Content-Security-Policy violation is recorded while a test runs; at the
 * end each must have gone to the app's own origin (or be data:/blob: inside the page), the policy
 * must allow connections to that origin only, and the page must not have tried anything the policy
 * blocked (a blocked request never shows up as a request, a violation report does).
 */
export interface RequestRecorder {
  /** Fails the test when anything went elsewhere. */
  assertLocal(): Promise<void>;
}

const VIOLATIONS = '__dismCspViolations';

export async function recordRequests(context: BrowserContext, page: Page, origin: string): Promise<RequestRecorder> {
  const urls: string[] = [];
  const documents: Array<{ url: string; csp: string | null }> = [];
  const pages: Page[] = [];
  const watch = (p: Page) => {
    pages.push(p);
    p.on('request', (r) => urls.push(r.url()));
    p.on('websocket', (ws) => urls.push(ws.url()));
    p.on('response', async (r) => {
      if (r.request().resourceType() === 'document')
        documents.push({ url: r.url(), csp: (await r.allHeaders())['content-security-policy'] ?? null });
    });
  };
  watch(page);
  context.on('page', watch);
  await context.addInitScript((key) => {
    const list: string[] = [];
    (window as unknown as Record<string, string[]>)[key] = list;
    // Only blocked requests: plotly's feature test for eval (blocked too: script-src has no 'unsafe-eval') goes nowhere.
    document.addEventListener('securitypolicyviolation', (e) => {
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(e.blockedURI)) list.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  }, VIOLATIONS);
  const own = new URL(origin);
  const wsOrigin = `ws://${own.host}`;
  return {
    async assertLocal() {
      const elsewhere = urls.filter((u) => {
        if (u.startsWith('data:') || u.startsWith('blob:')) return false;
        const url = new URL(u);
        return url.origin !== origin && `${url.protocol}//${url.host}` !== wsOrigin;
      });
      expect(elsewhere, 'requests to anywhere but the app').toEqual([]);
      expect(urls.length, 'requests were recorded').toBeGreaterThan(0);
      expect(pages, 'no other page (window) was opened').toHaveLength(1);
      const violations: string[] = [];
      for (const p of pages)
        if (!p.isClosed())
          violations.push(...(await p.evaluate((key) => (window as unknown as Record<string, string[]>)[key] ?? [], VIOLATIONS)));
      expect(violations, 'requests the Content-Security-Policy blocked').toEqual([]);
      expect(documents.length).toBeGreaterThan(0);
      for (const d of documents) {
        const directives = new Map(
          (d.csp ?? '')
            .split(';')
            .map((x) => x.trim().split(/\s+/))
            .map(([k, ...v]) => [k, v] as const),
        );
        expect(directives.get('connect-src'), `connect-src of ${d.url}`).toEqual(["'self'", wsOrigin]);
        expect(directives.get('default-src')).toEqual(["'self'"]);
        expect(directives.get('img-src')).toEqual(["'self'", 'data:', 'blob:']);
      }
    },
  };
}

/** For every test of the calling spec: each request goes to the app's own origin (checked after the test). */
export function onlyLocalRequests(): void {
  let requests: RequestRecorder | undefined;
  test.beforeEach(async ({ context, page, host }) => {
    requests = await recordRequests(context, page, host.origin);
  });
  test.afterEach(async () => {
    await requests?.assertLocal();
  });
}
