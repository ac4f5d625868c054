import { copyFileSync, existsSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { test, expect, gotoApp, makeTempDir } from './fixtures';

/**
 * Export step against the real browser host and the real engine. dismcli is the test STAND-IN
 * (test/stand-ins/dismcli), built into the runner image by the app itself from recipe "PyInstaller
 * folder" on dism-test/debian-base:bookworm, which stands in for ubuntu:24.04.
 */
const BASE = 'dism-test/debian-base:bookworm';
const STANDIN = path.resolve('test/stand-ins/dismcli/dismcli');
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const outDirs: string[] = [];

test.describe.configure({ mode: 'serial' });

test('official build and package with dismcli in a container, login button, readable error, export with confirmation', async ({
  page,
  host,
}) => {
  test.skip(
    !(await docker
      .getImage(BASE)
      .inspect()
      .then(
        () => true,
        () => false,
      )),
    `${BASE} is not built`,
  );
  test.setTimeout(240_000);
  const project = makeTempDir('dism-e2e-export-');
  copyFileSync('test/fixtures/templates/pixel-barrel-nmf.template.yaml', path.join(project, 'template.yaml'));
  const out = makeTempDir('dism-e2e-export-out-');
  outDirs.push(out);
  // The login page is on the internet; answer it here so the popup has something to show.
  await page
    .context()
    .route('https://auth.cern.ch/**', (route) => route.fulfill({ contentType: 'text/html', body: '<title>CERN login (stand-in)</title>' }));

  await gotoApp(page, host, { project, step: 'export' });
  await expect(page.getByRole('heading', { name: 'Export', level: 1 })).toBeVisible();

  // Runner recipe (b): the user's PyInstaller dismcli folder, base image configurable.
  await page.getByRole('button', { name: /Show the dismcli runner image recipe/ }).click();
  await page.getByLabel(/Use my dismcli folder/).check();
  await page.getByLabel('Base image').fill(BASE);
  await page.getByRole('textbox', { name: 'dismcli folder' }).fill(STANDIN);
  await page.getByRole('button', { name: 'Save recipe' }).click();
  await expect(page.getByLabel('Dockerfile')).toHaveValue(/LD_LIBRARY_PATH=\/app\/dismcli\/_internal/);
  await expect(page.getByLabel('Dockerfile')).toHaveValue(new RegExp(`ARG BASE_IMAGE=${BASE}`));
  await page.getByRole('button', { name: 'Build image' }).click();
  await expect(page.getByTestId('runner-state')).toContainText('built from this recipe', { timeout: 120_000 });
  await expect(page.getByLabel('Runner image build log')).toContainText('Step 1/');

  // Official build: the device-login line becomes a prominent button with the time left.
  await expect(page.getByTestId('dials-url')).toHaveText('https://dev-cmsdials-api.web.cern.ch');
  await page.getByRole('button', { name: 'Official build (dismcli build)' }).click();
  const banner = page.getByRole('alert', { name: 'DIALS login' });
  await expect(banner).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('login-url')).toHaveText('https://auth.cern.ch/auth/realms/cern/device?user_code=STAN-DIN0');
  await expect(page.getByTestId('login-countdown')).toHaveText(/^(9|10):\d\d left$/);
  const popup = page.waitForEvent('popup');
  await page.getByRole('button', { name: 'Log in to DIALS in the browser' }).click();
  await expect(await popup).toHaveURL(/user_code=STAN-DIN0/);
  await expect(page.getByTestId('dismcli-result')).toContainText('dismcli build succeeded', { timeout: 60_000 });
  await expect(banner).toBeHidden();
  await expect(page.getByLabel('dismcli output')).toContainText('Building resource (PixelNMF');

  const me = { uid: process.getuid!(), gid: process.getgid!() };
  for (const f of ['.dism-artifacts/build/template.yaml', '.cache-dev/standin-token.json']) {
    const st = statSync(path.join(project, f));
    expect({ file: f, uid: st.uid, gid: st.gid }).toEqual({ file: f, ...me });
  }

  await page.getByRole('button', { name: 'Package (dismcli package)' }).click();
  await expect(page.getByTestId('dismcli-result')).toContainText('dismcli package succeeded', { timeout: 60_000 });
  expect(existsSync(path.join(project, '.dism-artifacts/package/template.yaml'))).toBe(true);

  // The packaged template and the registration request, ready to copy.
  await expect(page.getByLabel('Packaged template')).toContainText('pixel-barrel-nmf');
  await expect(page.getByLabel('Title')).toHaveValue('[Request] Model registration');
  await expect(page.getByLabel('Registration request')).toHaveValue(
    /Description: Spot anomalies in the pixel cluster occupancy \(barrel layers\)/,
  );

  // A failing run shows its error readably.
  await page.getByLabel('Custom DIALS URL').fill('https://standin-fail-shape.invalid');
  await page.getByLabel('Custom URL').click();
  await expect(page.getByTestId('dials-url')).toHaveText('https://standin-fail-shape.invalid');
  await page.getByRole('button', { name: 'Official build (dismcli build)' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'Input shape does not match DIALS' })).toBeVisible({ timeout: 60_000 });
  await expect(page.getByRole('alert').filter({ hasText: 'Input shape does not match DIALS' })).toContainText('expected [-1, 58, 72]');
  await expect(page.getByTestId('dismcli-status')).toContainText('failed');

  // Export: archive, then confirm-before-replace.
  await page.getByLabel('Into folder').fill(out);
  await page.getByLabel('Name').fill('pixel-export');
  await page.getByRole('button', { name: 'Export', exact: true }).click();
  await expect(page.getByTestId('export-result')).toContainText('Exported 3 files', { timeout: 30_000 });
  const zip = path.join(out, 'pixel-export.zip');
  const firstWrite = statSync(zip).mtimeMs;
  await page.getByRole('button', { name: 'Export', exact: true }).click();
  const confirm = page.getByRole('dialog', { name: 'Replace existing export' });
  await expect(confirm).toContainText(zip);
  await confirm.getByRole('button', { name: 'Keep it' }).click();
  await expect(confirm).toBeHidden();
  expect(statSync(zip).mtimeMs).toBe(firstWrite);
  await page.getByRole('button', { name: 'Export', exact: true }).click();
  await page.getByRole('dialog', { name: 'Replace existing export' }).getByRole('button', { name: 'Replace' }).click();
  await expect(page.getByTestId('export-result')).toContainText('replaced the previous export');

  // Nothing DISM Studio started for this project is left running.
  const left = await docker.listContainers({ all: true, filters: { label: ['dism.studio=1', `dism.project=${project}`] } });
  expect(left).toEqual([]);
});

test.afterAll(async () => {
  // The runner images this spec built carry the project label; remove them and the temp folders.
  for (const img of await docker.listImages({ filters: { label: ['dism.studio=1', 'dism.role=dismcli-runner'] } })) {
    const project = img.Labels?.['dism.project'] ?? '';
    if (!project.includes('dism-e2e-export-')) continue;
    await docker
      .getImage(img.Id)
      .remove({ force: true })
      .catch(() => undefined);
    rmSync(project, { recursive: true, force: true });
  }
  for (const d of outDirs) rmSync(d, { recursive: true, force: true });
});
