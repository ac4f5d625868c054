import { mkdirSync, writeFileSync } from 'node:fs';
import type { BrowserHostProcess } from './fixtures';
import path from 'node:path';
import { test, expect, gotoApp, makeTempDir, startBrowserHost } from './fixtures';

/** A user who has opened a project before: the app shows the picker instead of opening the demo. */
function seedRecentProject(host: BrowserHostProcess, dir: string): void {
  writeFileSync(
    path.join(host.userDataDir, 'settings.json'),
    JSON.stringify({ recentProjects: [{ dir, name: path.basename(dir), openedAt: new Date().toISOString() }], projects: {} }),
  );
}

test('with no project ever opened, the app opens the generated demo project', async ({ page, host }) => {
  await gotoApp(page, host);
  await expect(page.locator('.status-project')).toHaveText('Demo project', { timeout: 60_000 });
  await expect(page.getByRole('heading', { name: 'Demo project' })).toBeVisible();
  await expect(page.locator('.template-list')).toContainText('template.yaml');
});

test('the app loads and every wizard step is reachable once a project is open', async ({ page, host }) => {
  const project = makeTempDir();
  writeFileSync(path.join(project, 'template.yaml'), 'TemplateFormatVersion: "2025-03-31"\n');
  seedRecentProject(host, makeTempDir('dism-e2e-older-'));
  await gotoApp(page, host);
  await expect(page.getByRole('heading', { name: 'Model', level: 1 })).toBeVisible();
  // Before a project is open only the Model step is enabled.
  await expect(page.locator('[data-step="preview"]')).toBeDisabled();

  await page.getByRole('button', { name: 'Open project folder…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Choose a project folder' });
  await dialog.getByLabel('Folder path').fill(project);
  await dialog.getByRole('button', { name: 'Go' }).click();
  await expect(dialog.getByLabel('Folder path')).toHaveValue(project);
  await dialog.getByRole('button', { name: 'Open this folder' }).click();
  await expect(page.locator('.project-card code.path')).toHaveText(project);
  await expect(page.locator('.template-list')).toContainText('template.yaml');

  for (const step of ['template', 'preview', 'build-run', 'export', 'model']) {
    await page.locator(`nav [data-step="${step}"]`).click();
    await expect(page.locator('main.app-main')).toHaveAttribute('data-step', step);
    expect(page.url()).toContain(`#/${step}`);
  }
});

test('recent projects are remembered in the user-data dir across reloads', async ({ page, host }) => {
  const project = makeTempDir('dism-e2e-recent-');
  mkdirSync(path.join(project, 'model'));
  await gotoApp(page, host, { project });
  await expect(page.locator('.status-project')).toHaveText(project);
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Recent projects' })).toBeVisible();
  await expect(page.locator('.recent-projects')).toContainText(path.basename(project));
});

test('the access token leaves the address bar and never reaches storage; a reload works on the session cookie', async ({
  page,
  host,
  browser,
}) => {
  await gotoApp(page, host);
  await expect(page.locator('.status-project')).toHaveText('Demo project', { timeout: 60_000 });
  expect(page.url()).toBe(`${host.origin}/#/model`);
  const stored = await page.evaluate(() =>
    JSON.stringify({ session: { ...sessionStorage }, local: { ...localStorage }, cookie: document.cookie }),
  );
  expect(stored).not.toContain(host.token);
  expect(JSON.parse(stored).cookie).toBe(''); // HttpOnly: no script on the page can read the session key
  const cookies = await page.context().cookies();
  expect(cookies.map((c) => ({ name: c.name, httpOnly: c.httpOnly, sameSite: c.sameSite }))).toEqual([
    { name: `dism_session_${new URL(host.origin).port}`, httpOnly: true, sameSite: 'Strict' },
  ]);
  expect(cookies[0].value).not.toBe(host.token);

  await page.reload();
  await expect(page.locator('.status-project')).toHaveText('Demo project', { timeout: 60_000 });
  expect(page.url()).toBe(`${host.origin}/#/model`);

  // Another browser profile without the cookie gets the plain refusal, and the printed URL still works there.
  const other = await browser.newContext();
  const stranger = await other.newPage();
  const refused = await stranger.goto(`${host.origin}/#/model`);
  expect(refused?.status()).toBe(403);
  await expect(stranger.locator('body')).toContainText('Open the URL with ?token=… that `npm run serve` printed');
  await stranger.goto(host.url);
  await expect(stranger.locator('.app')).toBeVisible();
  expect(stranger.url()).toBe(`${host.origin}/#/model`);
  await other.close();
});

test('status bar shows the connected engine with its version', async ({ page, host }) => {
  await gotoApp(page, host);
  const status = page.getByTestId('engine-status');
  await expect(status).toContainText(/Engine: connected — (docker|podman) \d+\.\d+/);
  await status.click();
  await expect(page.getByRole('dialog', { name: 'Container engine' })).toContainText('Container engine connected');
});

test('status bar says the engine is not reachable, what was tried and what to do', async ({ page }) => {
  const host = await startBrowserHost({ env: { DOCKER_HOST: 'tcp://127.0.0.1:9' } });
  try {
    await gotoApp(page, host);
    const status = page.getByTestId('engine-status');
    await expect(status).toContainText('Engine: not reachable');
    await status.click();
    const popover = page.getByRole('dialog', { name: 'Container engine' });
    await expect(popover).toContainText('Container engine not reachable');
    await expect(popover).toContainText('tcp://127.0.0.1:9');
    await expect(popover).toContainText('DOCKER_HOST');
    await expect(popover).toContainText('unset DOCKER_HOST');
  } finally {
    await host.stop();
  }
});

test('a bad folder gives a specific error', async ({ page, host }) => {
  await gotoApp(page, host);
  await page.getByRole('button', { name: 'Open project folder…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Choose a project folder' });
  await dialog.getByLabel('Folder path').fill('/definitely/not/here');
  await dialog.getByRole('button', { name: 'Go' }).click();
  await expect(dialog.getByRole('alert')).toContainText('Folder not found: /definitely/not/here');
});
