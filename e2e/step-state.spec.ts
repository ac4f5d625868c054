import { mkdirSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { test, expect, gotoApp, makeTempDir } from './fixtures';

/**
 * Issue 15: every status shows what the back end has now, and a step's state survives navigating
 * away and back (and a reload where the back end knows it): Build & Run's build and fields, the
 * dismcli runner recipe and its image, the registration text copied for real.
 */

const BASE = 'dism-test/debian-base:bookworm';
const STANDIN = path.resolve('test/stand-ins/dismcli/dismcli');
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const hasImage = (ref: string) =>
  docker
    .getImage(ref)
    .inspect()
    .then(
      () => true,
      () => false,
    );

test('Build & Run keeps its build, image, port and timeout across navigation; the build is read back after a reload', async ({
  page,
  host,
}) => {
  test.setTimeout(180_000);
  await gotoApp(page, host);
  await expect(page.locator('.project-card h2')).toHaveText('Demo project', { timeout: 120_000 });
  await page.locator('nav [data-step="build-run"]').click();
  await page.getByRole('button', { name: 'Build locally' }).click();
  await expect(page.getByTestId('local-build-mark')).toHaveText('local build — DIALS checks not run');
  await page.getByLabel('Image').fill('dism-test/mlserver:1.5.0');
  await page.getByLabel('Port').fill('18081');
  await page.getByLabel('Ready timeout (s)').fill('240');

  await page.locator('nav [data-step="model"]').click();
  await page.locator('nav [data-step="build-run"]').click();
  await expect(page.getByTestId('local-build-mark')).toBeVisible();
  await expect(page.getByLabel('Build output')).toContainText('model-settings.json');
  await expect(page.getByLabel('Image')).toHaveValue('dism-test/mlserver:1.5.0');
  await expect(page.getByLabel('Port')).toHaveValue('18081');
  await expect(page.getByLabel('Ready timeout (s)')).toHaveValue('240');

  // The build is on disk: after a reload the step shows it again (the back end reads it back).
  await page.reload();
  await expect(page.getByTestId('local-build-mark')).toBeVisible({ timeout: 30_000 });
  await expect(page.getByLabel('Build output')).toContainText('model-settings.json');

  // A port the server cannot use is refused next to the field, in plain words, before anything starts.
  await page.getByLabel('Port').fill('70000');
  await expect(page.getByTestId('port-problem')).toHaveText('The port must be a whole number from 1 to 65535.');
  await expect(page.getByRole('button', { name: 'Start', exact: true })).toBeDisabled();
});

test('the start-api error is scrolled into view where the window is small', async ({ page, host }) => {
  test.setTimeout(180_000);
  await page.setViewportSize({ width: 1024, height: 700 });
  await gotoApp(page, host);
  await expect(page.locator('.project-card h2')).toHaveText('Demo project', { timeout: 120_000 });
  await page.locator('nav [data-step="build-run"]').click();
  await page.getByRole('button', { name: 'Build locally' }).click();
  await expect(page.getByTestId('local-build-mark')).toBeVisible();
  // The user scrolls just far enough to see Start (at the bottom of the window) and clicks it; the
  // template's image cannot be pulled here.
  const start = page.getByRole('button', { name: 'Start', exact: true });
  await start.evaluate((el) => el.scrollIntoView({ block: 'end' }));
  await start.click();
  const err = page.locator('.problem-card[data-code="IMAGE_NOT_AVAILABLE"]');
  await expect(err).toBeAttached({ timeout: 90_000 });
  await expect(err).toBeInViewport({ ratio: 0.9 });
  await page.screenshot({ path: path.join('test-results', 'screenshots', 'build-run-start-error-1024.png') });
});

test('the runner recipe shows the Dockerfile of the chosen way at once, and its image state after an official build', async ({
  page,
  host,
}) => {
  test.skip(!(await hasImage(BASE)), `${BASE} is not built`);
  test.setTimeout(300_000);
  const project = makeTempDir('dism-e2e-state-');
  copyFileSync('test/fixtures/templates/pixel-barrel-nmf.template.yaml', path.join(project, 'template.yaml'));
  await gotoApp(page, host, { project, step: 'export' });
  await page.getByRole('button', { name: /Show the dismcli runner image recipe/ }).click();
  await expect(page.getByLabel('Dockerfile')).toHaveValue(/pip install --no-cache-dir "cmsdism\[docker\]"/);

  // Choosing "my dismcli folder" shows its Dockerfile before anything is saved.
  await page.getByLabel(/Use my dismcli folder/).check();
  await expect(page.getByLabel('Dockerfile')).toHaveValue(/COPY dismcli\/ \/app\/dismcli\//);
  await expect(page.getByLabel('Dockerfile')).not.toHaveValue(/pip install/);
  await page.getByLabel('Base image').fill(BASE);
  await expect(page.getByLabel('Dockerfile')).toHaveValue(new RegExp(`ARG BASE_IMAGE=${BASE}`));
  await page.getByRole('textbox', { name: 'dismcli folder' }).fill(STANDIN);
  await page.getByRole('button', { name: 'Save recipe' }).click();
  await expect(page.getByTestId('runner-state')).toContainText('not built yet');

  // The official build builds the runner image first: the recipe panel says so without a reload.
  await page.getByRole('button', { name: 'Official build (dismcli build)' }).click();
  await expect(page.getByTestId('dismcli-result')).toContainText('dismcli build succeeded', { timeout: 180_000 });
  await expect(page.getByTestId('runner-state')).toContainText('built from this recipe');

  // Build & Run now shows the official build, not "no build yet".
  await page.locator('nav [data-step="build-run"]').click();
  await expect(page.getByTestId('official-build-mark')).toContainText('official build');
  rmSync(project, { recursive: true, force: true });
});

test('Copy puts the registration title and text on the clipboard', async ({ page, host }) => {
  const project = makeTempDir('dism-e2e-copy-');
  copyFileSync('test/fixtures/templates/pixel-barrel-nmf.template.yaml', path.join(project, 'template.yaml'));
  mkdirSync(path.join(project, '.dism-artifacts', 'package'), { recursive: true });
  writeFileSync(path.join(project, '.dism-artifacts', 'package', 'template.yaml'), readFileSync(path.join(project, 'template.yaml')));
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: host.origin });
  await gotoApp(page, host, { project, step: 'export' });
  const body = await page.getByLabel('Registration request').inputValue();
  await page.getByRole('button', { name: 'Copy title and text' }).click();
  await expect(page.getByRole('button', { name: 'Copied ✓' })).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(`[Request] Model registration\n\n${body}`);
  rmSync(project, { recursive: true, force: true });
});

test.afterAll(async () => {
  for (const img of await docker.listImages({ filters: { label: ['dism.studio=1', 'dism.role=dismcli-runner'] } })) {
    if (!(img.Labels?.['dism.project'] ?? '').includes('dism-e2e-state-')) continue;
    await docker
      .getImage(img.Id)
      .remove({ force: true })
      .catch(() => undefined);
  }
});
