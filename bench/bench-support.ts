/**
 * What the browser benchmarks share: Chromium, the browser host, the demo project tiled to many
 * lumisections, and how figures are printed.
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { encodeNpy, readNpyFile } from '@/backend/pipeline/npy';
import { DEMO_MARKER } from '@/backend/projects/project-folder';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'];

export function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return `median ${q(0.5).toFixed(1)} ms, p90 ${q(0.9).toFixed(1)} ms, max ${s[s.length - 1].toFixed(1)} ms (n=${s.length})`;
}

/** A copy of the demo project with its lumisections tiled to `n` LS over runs of 500 LS. */
export async function tiledProject(demo: string, target: string, n: number): Promise<string> {
  await fs.cp(demo, target, { recursive: true });
  await fs.rm(path.join(target, DEMO_MARKER), { force: true });
  await fs.rm(path.join(target, 'data', 'labels.json'), { force: true });
  const files = await fs.readdir(path.join(demo, 'data'));
  const runs = new Int32Array(n);
  const lumis = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    runs[i] = 399000 + Math.floor(i / 500);
    lumis[i] = (i % 500) + 1;
  }
  const src = await readNpyFile(path.join(demo, 'data', 'run_number.npy'));
  const m = src.shape[0];
  for (const f of files.filter((x) => /^raw_.*\.npy$/.test(x))) {
    const a = await readNpyFile(path.join(demo, 'data', f));
    const size = a.shape[1] * a.shape[2];
    const out = new Int32Array(n * size);
    for (let i = 0; i < n; i++) out.set((a.data as Int32Array).subarray((i % m) * size, ((i % m) + 1) * size), i * size);
    await fs.writeFile(path.join(target, 'data', f), encodeNpy({ dtype: 'int32', shape: [n, a.shape[1], a.shape[2]], data: out }));
  }
  await fs.writeFile(path.join(target, 'data', 'run_number.npy'), encodeNpy({ dtype: 'int32', shape: [n], data: runs }));
  await fs.writeFile(path.join(target, 'data', 'ls_number.npy'), encodeNpy({ dtype: 'int32', shape: [n], data: lumis }));
  for (const f of files.filter((x) => /^omsdata_.*\.json$/.test(x))) {
    const oms = JSON.parse(await fs.readFile(path.join(demo, 'data', f), 'utf8')) as Record<string, unknown[]>;
    const out: Record<string, unknown[]> = {};
    for (const [k, v] of Object.entries(oms))
      out[k] = Array.from({ length: n }, (_, i) => (k === 'run_number' ? runs[i] : k === 'lumisection_number' ? lumis[i] : v[i % m]));
    await fs.writeFile(path.join(target, 'data', f), JSON.stringify(out));
  }
  for (const f of files.filter((x) => /^hltrate_.*\.json$/.test(x))) {
    const hlt = JSON.parse(await fs.readFile(path.join(demo, 'data', f), 'utf8')) as Record<string, Record<string, { rate: number[] }>>;
    const [trigger] = Object.keys(Object.values(hlt)[0]);
    const rates = Object.values(hlt).flatMap((r) => r[trigger].rate);
    const out: Record<string, Record<string, { rate: number[]; first_lumisection_number: number[]; run_number: number[] }>> = {};
    for (let i = 0; i < n; i++) {
      const t = ((out[String(runs[i])] ??= {})[trigger] ??= { rate: [], first_lumisection_number: [], run_number: [] });
      t.rate.push(rates[i % rates.length]);
      t.first_lumisection_number.push(lumis[i]);
      t.run_number.push(runs[i]);
    }
    await fs.writeFile(path.join(target, 'data', f), JSON.stringify(out));
  }
  return target;
}

export async function startHost(userData: string): Promise<{ url: string; stop(): void }> {
  const token = `bench${Date.now().toString(16)}`;
  const child = spawn(process.execPath, ['dist/node/serve.mjs', '--port', '0'], {
    env: { ...process.env, DISM_STUDIO_TOKEN: token, DISM_STUDIO_USER_DATA: userData },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`browser host did not start:\n${out}`)), 30_000);
    const on = (d: Buffer) => {
      out += d.toString();
      const m = out.match(/http:\/\/127\.0\.0\.1:\d+\/\?token=\S+/);
      if (m) {
        clearTimeout(t);
        resolve(m[0]);
      }
    };
    child.stdout.on('data', on);
    child.stderr.on('data', on);
  });
  return { url, stop: () => void child.kill('SIGTERM') };
}

export async function openPreview(page: Page, url: string, project: string): Promise<number> {
  await page.addInitScript((dir) => localStorage.setItem('dism.lastProject', dir), project);
  const t0 = Date.now();
  await page.goto(`${url}#/preview`);
  await page.waitForSelector('[data-testid="preview-step"][data-phase="ready"]', { timeout: 600_000 });
  await page.waitForSelector('[data-testid="stage-heatmaps"] .main-svg', { timeout: 60_000 }).catch(async (err) => {
    throw new Error(`the stage maps did not appear: ${(await page.locator('main').innerText()).slice(0, 1500)}`, { cause: err });
  });
  return Date.now() - t0;
}
