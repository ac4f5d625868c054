import { test as base, expect, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface BrowserHostProcess {
  url: string;
  origin: string;
  token: string;
  userDataDir: string;
  stop(): Promise<void>;
}

export interface StartHostOptions {
  env?: Record<string, string | undefined>;
  userDataDir?: string;
  /** A command line the server runs under (e.g. `unshare --mount … sh -c '…; exec "$@"' sh`); node and its arguments follow it. */
  prefix?: string[];
}

/** Starts the real browser host (`dist/node/serve.mjs`) as its own process, as `npm run serve` does. */
export async function startBrowserHost(opts: StartHostOptions = {}): Promise<BrowserHostProcess> {
  const userDataDir = opts.userDataDir ?? mkdtempSync(path.join(os.tmpdir(), 'dism-e2e-userdata-'));
  const token = `e2e${Math.random().toString(16).slice(2)}${Date.now().toString(16)}`;
  const env: NodeJS.ProcessEnv = { ...process.env, DISM_STUDIO_TOKEN: token, DISM_STUDIO_USER_DATA: userDataDir };
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const argv = [...(opts.prefix ?? []), process.execPath, 'dist/node/serve.mjs', '--port', '0'];
  const child: ChildProcess = spawn(argv[0], argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`browser host did not start:\n${output}`)), 30_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      const m = output.match(/http:\/\/127\.0\.0\.1:\d+\/\?token=\S+/);
      if (m) {
        clearTimeout(timer);
        resolve(m[0]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`browser host exited with ${code}:\n${output}`)));
  });
  return {
    url,
    origin: new URL(url).origin,
    token,
    userDataDir,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      if (!opts.userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Open the app on a step, optionally with a project already open. */
export async function gotoApp(page: Page, host: BrowserHostProcess, opts: { project?: string; step?: string } = {}): Promise<void> {
  if (opts.project) {
    await page.addInitScript((dir) => localStorage.setItem('dism.lastProject', dir), opts.project);
  }
  await page.goto(`${host.url}#/${opts.step ?? 'model'}`);
  await expect(page.locator('.app')).toBeVisible();
  if (opts.project) await expect(page.locator('.status-project')).toBeVisible();
}

/**
 * Wait until the selected LS's stage maps are drawn after a run (or a reload). The first LS's maps
 * after a run are recomputed from the input, with sessions created in a new thread: well under a
 * second on an idle machine, many seconds when CI builds images beside it.
 */
export async function firstMapsShown(page: Page): Promise<void> {
  await expect(page.getByTestId('stage-heatmaps').locator('.main-svg').first()).toBeVisible({ timeout: 60_000 });
}

/** A fresh temporary folder for a test project (removed afterwards). */
export function makeTempDir(prefix = 'dism-e2e-project-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  mkdirSync(dir, { recursive: true });
  return dir;
}

export const test = base.extend<{ host: BrowserHostProcess }>({
  host: async ({}, use) => {
    const host = await startBrowserHost();
    await use(host);
    await host.stop();
  },
});

export { expect };
