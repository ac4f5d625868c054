import { test, expect, gotoApp } from './fixtures';
import { recordRequests } from './no-external';

/**
 * The "nothing leaves the machine" check (e2e/no-external.ts) must fail when something does try:
 * here a fetch and an image to plotly's servers, as a share button would send. Both are blocked by
 * the Content-Security-Policy (Chromium reports the image as a request, the fetch only as a policy
 * violation) and each must be reported.
 */
test('the no-external-request check reports a fetch and an image to another origin', async ({ context, page, host }) => {
  const requests = await recordRequests(context, page, host.origin);
  await gotoApp(page, host);
  await expect(page.locator('.project-card h2')).toHaveText('Demo project', { timeout: 120_000 });
  await requests.assertLocal();

  await page.evaluate(() => fetch('https://chart-studio.plotly.com/clientresp', { method: 'POST', body: 'x' }).catch(() => undefined));
  await expect(requests.assertLocal()).rejects.toThrow(/connect-src https:\/\/chart-studio\.plotly\.com\/clientresp/);

  await page.evaluate(
    () =>
      new Promise<void>((resolve) => {
        const img = new Image();
        img.onerror = img.onload = () => resolve();
        img.src = 'https://images.plot.ly/logo.png';
      }),
  );
  await expect(requests.assertLocal()).rejects.toThrow(/https:\/\/images\.plot\.ly\/logo\.png/);
});
