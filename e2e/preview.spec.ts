import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { test, expect, firstMapsShown, gotoApp } from './fixtures';
import { onlyLocalRequests } from './no-external';

/**
 * The Preview step on the generated demo project, in Chromium through the browser host. The flag
 * count is checked against the CLI's `preview --json` on the same project.
 */

const SCREENSHOTS = path.join('test-results', 'screenshots');

// Nothing leaves the machine: every request of every Preview test goes to the app's own origin.
onlyLocalRequests();

interface CliLs {
  run: number;
  ls: number;
  flaggedBeforeFilter: boolean;
  flagged: boolean;
  passedFilter: boolean;
}

function cliPreview(projectDir: string): { lumisections: CliLs[] } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dism-e2e-cli-'));
  try {
    const out = path.join(dir, 'preview.json');
    execFileSync(process.execPath, ['bin/dism-studio.mjs', 'preview', '--project', projectDir, '--json', out], {
      stdio: 'pipe',
      timeout: 120_000,
    });
    return JSON.parse(readFileSync(out, 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The whole Preview step (it scrolls inside the app): a tall viewport for the shot, then back. */
async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const size = page.viewportSize()!;
  await page.setViewportSize({ width: size.width, height: 2300 });
  await page.waitForTimeout(400);
  await page.locator('main.app-main').screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
  await page.setViewportSize(size);
}

/** With no project ever opened the app opens the generated demo; returns its folder. */
async function openDemoPreview(page: Page, host: Parameters<typeof gotoApp>[1]): Promise<string> {
  await gotoApp(page, host);
  await expect(page.locator('.project-card h2')).toHaveText('Demo project', { timeout: 120_000 });
  const dir = (await page.locator('.project-card code.path').textContent())!.trim();
  await page.locator('nav [data-step="preview"]').click();
  await expect(page.getByTestId('preview-step')).toHaveAttribute('data-phase', 'ready', { timeout: 120_000 });
  await firstMapsShown(page);
  return dir;
}

/**
 * Bins drawn "on" in the map image of the subplot whose trace is named `name`: the maps are drawn
 * as one-pixel-per-bin images, so this counts the red (value 1) pixels of that image.
 */
async function drawnBins(page: Page, name: string): Promise<number> {
  return page
    .getByTestId('stage-heatmaps')
    .locator('.js-plotly-plot')
    .evaluate(async (gd, n) => {
      const g = gd as unknown as { data: Array<{ name: string }>; layout: { images: Array<{ source: string }> } };
      const i = g.data.findIndex((d) => d.name.includes(n));
      if (i < 0) throw new Error(`no subplot ${n}`);
      const img = new Image();
      img.src = g.layout.images[i].source;
      await img.decode();
      const c = document.createElement('canvas');
      c.width = img.width;
      c.height = img.height;
      const ctx = c.getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      const px = ctx.getImageData(0, 0, c.width, c.height).data;
      let on = 0;
      for (let k = 0; k < px.length; k += 4) if (px[k + 3] > 0 && px[k] > 150 && px[k + 1] < 60) on++;
      return on;
    }, name);
}

test('preview of the demo: flag count, Why panel, tuning diff and a what-if outage', async ({ page, host }) => {
  test.setTimeout(300_000);
  const demoDir = await openDemoPreview(page, host);
  const cli = cliPreview(demoDir);
  const cliFlagged = cli.lumisections.filter((l) => l.flagged);
  expect(cliFlagged.length).toBeGreaterThan(0);

  // The flagged count shown equals the CLI's.
  await expect(page.getByTestId('flagged-count')).toHaveText(String(cliFlagged.length));

  // A flagged LS: non-empty final binary map and the pattern that fired in the Why panel.
  const first = cliFlagged[0];
  await page.getByLabel('Go to lumisection (run:LS)').fill(`${first.run}:${first.ls}`);
  await page.getByLabel('Go to lumisection (run:LS)').press('Enter');
  await expect(page.getByTestId('selected-ls')).toHaveText(`Run ${first.run} · LS ${first.ls}`);
  await expect(page.getByTestId('why-verdict')).toHaveText('Flagged');
  await expect(page.getByTestId('why-patterns')).toContainText('fired');
  await expect.poll(() => drawnBins(page, 'Final binary map')).toBeGreaterThan(0);
  // What is drawn is what the Why panel counts.
  const finalBins = Number((await page.getByTestId('why-panel').textContent())!.match(/(\d+) left in the final map/)![1]);
  expect(await drawnBins(page, 'Final binary map')).toBe(finalBins);
  await shot(page, 'preview-flagged-ls');

  // ←/→ move between LS.
  await page.locator('body').press('ArrowRight');
  await expect(page.getByTestId('selected-ls')).not.toHaveText(`Run ${first.run} · LS ${first.ls}`);
  await page.locator('body').press('ArrowLeft');
  await expect(page.getByTestId('selected-ls')).toHaveText(`Run ${first.run} · LS ${first.ls}`);

  // Raising the loss threshold to 10 unflags everything; the diff lists every formerly flagged LS.
  await page.getByRole('tab', { name: /Tuning/ }).click();
  const threshold = page.getByTestId('threshold-entry-0').getByLabel('Anomalous-bin threshold');
  await threshold.fill('10');
  await expect(page.getByTestId('flagged-count')).toHaveText('0');
  await expect(page.getByTestId('diff-count')).toHaveText(String(cliFlagged.length));
  const diff = page.getByTestId('diff-list');
  for (const l of cliFlagged) await expect(diff).toContainText(`Run ${l.run} LS ${l.ls}`);
  await expect(page.getByTestId('reflag-info')).toContainText('no NMF inference');
  await shot(page, 'preview-tuning-threshold-10');
  await page.getByRole('button', { name: 'Revert' }).click();
  await expect(page.getByTestId('flagged-count')).toHaveText(String(cliFlagged.length));
  await expect(page.getByTestId('diff-count')).toHaveText('0');

  // What-if: dead modules in three layers on a clean LS flag it.
  const clean = cli.lumisections.find((l) => !l.flaggedBeforeFilter && l.passedFilter)!;
  await page.getByLabel('Go to lumisection (run:LS)').fill(`${clean.run}:${clean.ls}`);
  await page.getByLabel('Go to lumisection (run:LS)').press('Enter');
  await expect(page.getByTestId('selected-ls')).toHaveText(`Run ${clean.run} · LS ${clean.ls}`);
  await page.getByRole('tab', { name: 'Why' }).click();
  await expect(page.getByTestId('why-verdict')).toHaveText('Not flagged');
  await expect.poll(() => drawnBins(page, 'Final binary map')).toBe(0);
  await page.getByRole('tab', { name: 'What-if' }).click();
  await page.getByLabel('Anomaly kind').selectOption('dead-module');
  // An outage of 2 ladders × 2 modules: large enough for the 2 × 16 cluster pattern.
  const panel = page.getByTestId('whatif-panel');
  await panel.getByLabel('Ladders').fill('2');
  await panel.getByLabel('Modules (along z)').fill('2');
  await clickMap(page, 'BPix2 Raw', 1.2, -6.2);
  await expect(page.getByTestId('whatif-position')).toContainText('BPix2 ladder −6 · module +1');
  for (const l of ['BPix2', 'BPix3', 'BPix4']) await expect(panel.getByLabel(l)).toBeChecked();
  await panel.getByRole('button', { name: 'Inject' }).click();
  // The first what-if opens the ONNX sessions: allow for that on a loaded machine.
  await expect(page.getByTestId('whatif-outcome')).toContainText('with injection: flagged', { timeout: 60_000 });
  await page.getByRole('tab', { name: 'Why' }).click();
  await expect(page.getByTestId('why-verdict')).toHaveText('Flagged');
  await expect(page.getByTestId('why-panel')).toContainText('What-if: dead modules');
  await expect.poll(() => drawnBins(page, 'Final binary map')).toBeGreaterThan(0);
  await shot(page, 'preview-whatif-outage');
  // The user's data is untouched: clearing shows the clean LS again.
  await page.getByRole('tab', { name: 'What-if' }).click();
  await panel.getByRole('button', { name: 'Clear' }).click();
  await page.getByRole('tab', { name: 'Why' }).click();
  await expect(page.getByTestId('why-verdict')).toHaveText('Not flagged');
});

test('Re-run releases the previous run in the back end', async ({ page, host }) => {
  test.setTimeout(300_000);
  // The API calls the page makes and the back end's replies, as they cross the WebSocket.
  const calls = new Map<number, { method: string; input: { sessionId?: string } }>();
  const replies = new Map<number, { ok: boolean; result?: unknown; error?: { code: string } }>();
  page.on('websocket', (ws) => {
    ws.on('framesent', (f) => {
      const m = JSON.parse(String(f.payload));
      if (m.t === 'call') calls.set(m.id, { method: m.method, input: m.input });
    });
    ws.on('framereceived', (f) => {
      const m = JSON.parse(String(f.payload));
      if (m.t === 'reply') replies.set(m.id, m.reply);
    });
  });
  const sessionsOf = (method: string) => [...calls.values()].filter((c) => c.method === method).map((c) => c.input.sessionId);
  await openDemoPreview(page, host);
  const first = sessionsOf('pipeline.results').at(-1)!;
  expect(first).toBeTruthy();

  await page.getByRole('button', { name: 'Re-run' }).click();
  await expect(page.getByTestId('preview-step')).toHaveAttribute('data-phase', 'ready', { timeout: 120_000 });
  await expect.poll(() => sessionsOf('pipeline.results').at(-1)).not.toBe(first);
  // the screen released the run it replaced, and the back end dropped it
  const release = [...calls].find(([, c]) => c.method === 'pipeline.release');
  expect(release?.[1].input).toEqual({ sessionId: first });
  await expect.poll(() => replies.get(release![0])).toEqual({ ok: true, result: { released: true } });
  // the new run is shown and can be inspected
  await firstMapsShown(page);
  await expect(page.getByTestId('selected-ls')).toHaveText(/^Run \d+ · LS \d+$/);
});

test('flagged-only toggle and arrow keys step through flagged LS only; CSV and JSON export', async ({ page, host }) => {
  test.setTimeout(300_000);
  await openDemoPreview(page, host);
  await page.getByLabel('Flagged only').check();
  // With "flagged only", → visits only LS flagged (before or after the filter), each once.
  const seen: string[] = [];
  for (let k = 0; k < 4; k++) {
    const now = (await page.getByTestId('selected-ls').textContent())!;
    await expect(page.getByTestId('why-verdict')).toContainText('Flagged');
    seen.push(now);
    await page.keyboard.press('ArrowRight');
    await expect(page.getByTestId('selected-ls')).not.toHaveText(now);
  }
  expect(new Set(seen).size).toBe(4);
  await shot(page, 'preview-flagged-only');

  const csv = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export CSV' }).click();
  const csvPath = await (await csv).path();
  const lines = readFileSync(csvPath!, 'utf8').trim().split('\n');
  expect(lines[0]).toMatch(/^run,ls,flagged_before_filter,flagged,passed_filter,filter_reasons,final_bins,max_loss/);
  const json = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export JSON' }).click();
  const parsed = JSON.parse(readFileSync((await (await json).path())!, 'utf8'));
  expect(parsed.lumisections).toHaveLength(lines.length - 1);
  const png = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export figure…' }).click();
  await page.getByRole('button', { name: 'Save PNG' }).click();
  const pngBytes = readFileSync((await (await png).path())!);
  expect(pngBytes.subarray(1, 4).toString()).toBe('PNG');
});

/** Click the heatmap subplot of the trace named `trace` at axis coordinates (module x, ladder y). */
async function clickMap(page: Page, trace: string, x: number, y: number): Promise<void> {
  const plot = page.getByTestId('stage-heatmaps').locator('.js-plotly-plot');
  const at = await plot.evaluate(
    (gd, a) => {
      const g = gd as unknown as {
        data: Array<{ name: string; xaxis: string; yaxis: string }>;
        _fullLayout: Record<string, { l2p(v: number): number; _offset: number }>;
      };
      const t = g.data.find((d) => d.name.includes(a.trace))!;
      const xa = g._fullLayout[t.xaxis === 'x' ? 'xaxis' : `xaxis${t.xaxis.slice(1)}`];
      const ya = g._fullLayout[t.yaxis === 'y' ? 'yaxis' : `yaxis${t.yaxis.slice(1)}`];
      const box = (gd as HTMLElement).getBoundingClientRect();
      return { x: box.left + xa._offset + xa.l2p(a.x), y: box.top + ya._offset + ya.l2p(a.y) };
    },
    { trace, x, y },
  );
  // Plotly reports clicks on the point under the hover, so hover first.
  await page.mouse.move(at.x, at.y);
  await page.waitForTimeout(150);
  await page.mouse.click(at.x, at.y);
}
