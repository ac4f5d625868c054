import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, expect, gotoApp, startBrowserHost } from './fixtures';

/**
 * The container engine where physicists are: the lxplus flow (podman installed, no API socket, no
 * systemd user session) through the UI, and the project location check (a project on a FUSE file
 * system, and one the engine cannot see). Screens at 1440×900 and 1024×700 go to
 * test-results/screenshots/engine-*.png.
 */

const SCREENSHOTS = path.join('test-results', 'screenshots');
const HAVE_PODMAN = spawnSync('podman', ['--version']).status === 0;
const CAN_FUSE = existsSync('/dev/fuse') && spawnSync('bindfs', ['--version']).status === 0 && process.getuid?.() === 0;
const SIZES = [
  { width: 1440, height: 900 },
  { width: 1024, height: 700 },
];

test.skip(!HAVE_PODMAN, 'needs podman');

test('lxplus: no engine answers, the app offers to start Podman, starts it as its child and lists every place it looked', async ({
  page,
}) => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'dism-e2e-podman-'));
  const socket = path.join(tmp, 'run', 'podman.sock');
  // As on lxplus after following the usual instructions: DOCKER_HOST names Podman's socket, nobody serves it.
  const host = await startBrowserHost({ env: { DOCKER_HOST: `unix://${socket}`, XDG_RUNTIME_DIR: path.join(tmp, 'run') } });
  try {
    await page.setViewportSize(SIZES[0]);
    await gotoApp(page, host);
    const status = page.getByTestId('engine-status');
    await expect(status).toHaveText('Engine: not reachable — 1 place tried; Podman can be started');
    await status.click();
    const popover = page.getByRole('dialog', { name: 'Container engine' });
    const row = popover.locator('tr[data-outcome="missing"]');
    await expect(row.locator('td')).toHaveText(['DOCKER_HOST', `unix://${socket}`, 'not there']);
    const offer = popover.getByTestId('podman-offer');
    await expect(offer).toContainText(`podman system service --time=0 unix://${socket}`);
    await expect(offer).toContainText('stops when DISM Studio quits');
    for (const size of SIZES) {
      await page.setViewportSize(size);
      await page.screenshot({ path: path.join(SCREENSHOTS, `engine-podman-offer-${size.width}.png`) });
    }
    await page.setViewportSize(SIZES[0]);
    await offer.getByRole('button', { name: 'Start Podman service' }).click();
    await expect(status).toContainText(/Engine: connected — podman \d+\.\d+\.\d+ \(started by DISM Studio\)/, { timeout: 60_000 });
    await expect(popover.getByTestId('podman-service')).toContainText(
      `DISM Studio started podman system service --time=0 unix://${socket}`,
    );
    await expect(popover.locator('tr[data-outcome="ok"]')).toContainText('answered — in use');
    for (const size of SIZES) {
      await page.setViewportSize(size);
      await page.screenshot({ path: path.join(SCREENSHOTS, `engine-podman-started-${size.width}.png`) });
    }
    expect(existsSync(socket)).toBe(true);
  } finally {
    await host.stop();
    // Stopped with the app: the socket is gone.
    expect(existsSync(socket)).toBe(false);
    rmSync(tmp, { recursive: true, force: true });
  }
});

test.describe('a project the engine cannot mount', () => {
  test.skip(!CAN_FUSE, 'needs /dev/fuse, bindfs and root');

  function fuseProject(tmp: string): { src: string; mnt: string } {
    const src = path.join(tmp, 'eos-like', 'pixel-project');
    const mnt = path.join(tmp, 'eos', 'user', 'p', 'physicist', 'pixel-project');
    mkdirSync(path.join(src, 'model'), { recursive: true });
    mkdirSync(mnt, { recursive: true });
    writeFileSync(path.join(src, 'template.yaml'), 'TemplateFormatVersion: "2025-03-31"\n');
    writeFileSync(path.join(src, 'model', 'model.onnx'), 'onnx');
    return { src, mnt };
  }

  test('on a FUSE file system: Build & Run warns before a build or start, and copies the project in one click', async ({ page }) => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'dism-e2e-fuse-'));
    const { src, mnt } = fuseProject(tmp);
    expect(spawnSync('bindfs', [src, mnt]).status).toBe(0);
    const home = path.join(tmp, 'home');
    mkdirSync(home);
    const host = await startBrowserHost({ env: { HOME: home } });
    try {
      await page.setViewportSize(SIZES[0]);
      await gotoApp(page, host, { project: mnt, step: 'build-run' });
      const notice = page.getByTestId('project-location');
      await expect(notice).toContainText(`This project is on a FUSE file system (fuse at ${mnt}).`);
      await expect(notice).toContainText('The model server runs in a container that mounts this folder.');
      await expect(notice).toContainText('What to do: Copy the project to /afs (your AFS home) or a local disk');
      const target = notice.getByLabel('Copy the project to');
      await expect(target).toHaveValue(path.join(home, 'dism-projects', 'pixel-project'));
      for (const size of SIZES) {
        await page.setViewportSize(size);
        await page.screenshot({ path: path.join(SCREENSHOTS, `engine-location-fuse-${size.width}.png`) });
      }
      await notice.getByRole('button', { name: 'Copy and open the copy' }).click();
      await expect(page.locator('.status-project')).toHaveText(path.join(home, 'dism-projects', 'pixel-project'), { timeout: 30_000 });
      await expect(page.getByText('Working on the copy now')).toBeVisible();
      await expect(page.getByTestId('project-location')).toHaveCount(0);
      expect(existsSync(path.join(home, 'dism-projects', 'pixel-project', 'model', 'model.onnx'))).toBe(true);
      await page.screenshot({ path: path.join(SCREENSHOTS, `engine-location-copied-${SIZES[1].width}.png`) });
    } finally {
      await host.stop();
      spawnSync('fusermount', ['-u', mnt]);
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  test('a folder the engine does not see (a mount in the app’s own namespace): the probe mount finds it and Export explains it', async ({
    page,
  }) => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'dism-e2e-unshared-'));
    const { src, mnt } = fuseProject(tmp);
    const host = await startBrowserHost({
      env: { HOME: path.join(tmp, 'home') },
      // The server runs in a private mount namespace holding the FUSE mount; the Docker daemon sees
      // the empty folder underneath, as an engine in a VM sees a folder it does not share.
      prefix: ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', `bindfs '${src}' '${mnt}' && exec "$@"`, 'sh'],
    });
    try {
      await page.setViewportSize(SIZES[0]);
      await gotoApp(page, host, { project: mnt, step: 'export' });
      const notice = page.getByTestId('project-location');
      await expect(notice).toHaveClass(/problem-card/);
      await expect(notice.locator('[data-kind="not-shared"]')).toContainText(
        `The container engine does not see this project folder. dismcli runs in a container that mounts this folder.`,
      );
      await expect(notice.locator('[data-kind="not-shared"]')).toContainText(
        `A probe container with ${mnt} mounted sees the folder empty (no template.yaml)`,
      );
      for (const size of SIZES) {
        await page.setViewportSize(size);
        await page.screenshot({ path: path.join(SCREENSHOTS, `engine-location-not-shared-${size.width}.png`) });
      }
    } finally {
      await host.stop();
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
