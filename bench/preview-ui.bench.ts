/**
 * Preview UI benchmark in the browser host (real Chromium, real back end):
 *  1. moving to another LS: time until every stage heatmap is re-rendered (target < 100 ms);
 *  2. a threshold change re-flags 1000 LS: time until the new flag count is on screen (< 300 ms);
 *  3. a 5000-LS timeline: frame times while zooming/panning, and rapid clicks all selecting.
 * Figures come from the Performance API in the page; nothing is asserted.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { APP_DEMO_CONTRIBUTORS } from '@/backend/api/create-backend';
import { ensureDemoProject } from '@/backend/demo/demo-project';
import { ARGS, CHROMIUM, openPreview, startHost, stats, tiledProject } from './bench-support';
/**
 * Press → and time until the heatmaps of the new LS are painted (select → fetch → decode → images →
 * plotly → next frame), and the part from receiving the maps to the plot being updated.
 */
async function lsSwitchTimes(page: Page, count: number, idleMs = 0): Promise<{ total: number[]; render: number[] }> {
  const total: number[] = [];
  const render: number[] = [];
  for (let k = 0; k < count; k++) {
    if (idleMs) await page.waitForTimeout(idleMs);
    const r = await page.evaluate(async () => {
      const t0 = performance.now();
      document.body.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }));
      for (;;) {
        await new Promise((res) => requestAnimationFrame(res));
        const marks = performance.getEntriesByName('preview:stages-data', 'mark').filter((m) => m.startTime > t0);
        if (marks.length) {
          const from = marks[marks.length - 1].startTime - 0.01;
          const m = performance.getEntriesByName('preview:stages-render', 'measure').filter((e) => e.startTime >= from);
          if (m.length) {
            await new Promise((res) => requestAnimationFrame(res));
            return { total: performance.now() - t0, render: m[0].duration };
          }
        }
        if (performance.now() - t0 > 20_000) throw new Error('no re-render within 20 s');
      }
    });
    total.push(r.total);
    render.push(r.render);
  }
  return { total, render };
}

/** Select a lumisection through the "Go to" field, leaving the keyboard to the page. */
async function goTo(page: Page, runLs: string): Promise<void> {
  const box = page.getByLabel('Go to lumisection (run:LS)');
  await box.fill(runLs);
  await box.press('Enter');
  await page.waitForFunction(
    (t) => document.querySelector('[data-testid="selected-ls"]')?.textContent === t,
    `Run ${runLs.replace(':', ' · LS ')}`,
  );
}

async function reflagTimes(page: Page, values: number[]): Promise<{ screen: number[]; backend: number[] }> {
  await page.getByRole('tab', { name: /Tuning/ }).click();
  const input = page.getByTestId('threshold-entry-0').getByLabel('Anomalous-bin threshold');
  const screen: number[] = [];
  const backend: number[] = [];
  for (const v of values) {
    const before = await page
      .getByTestId('reflag-info')
      .textContent()
      .catch(() => null);
    const t0 = Date.now();
    await input.fill(String(v));
    await page.waitForFunction(
      (b) => {
        const el = document.querySelector('[data-testid="reflag-info"]');
        return el && el.textContent !== b && !document.querySelector('.tuning-status [role="progressbar"]');
      },
      before,
      { timeout: 30_000 },
    );
    screen.push(Date.now() - t0);
    const info = (await page.getByTestId('reflag-info').textContent()) ?? '';
    const ms = Number(info.match(/in (\d+) ms/)?.[1]);
    if (Number.isFinite(ms)) backend.push(ms);
  }
  return { screen, backend };
}

/** Zoom and pan the timeline with 120 wheel events, one per frame; report frame times. */
async function timelineFrames(page: Page): Promise<{ frames: number[]; clicks: { ok: boolean; ms: number } }> {
  const box = (await page.getByTestId('ls-timeline').boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.6, box.y + 40);
  const frames = await page.evaluate(async () => {
    const canvas = document.querySelector('[data-testid="ls-timeline"]') as HTMLCanvasElement;
    const r = canvas.getBoundingClientRect();
    const times: number[] = [];
    let last = performance.now();
    for (let i = 0; i < 120; i++) {
      const zoomIn = i < 40;
      const pan = i >= 80;
      canvas.dispatchEvent(
        new WheelEvent('wheel', {
          deltaY: pan ? 60 : zoomIn ? -120 : 120,
          shiftKey: pan,
          clientX: r.left + r.width * 0.6,
          clientY: r.top + 40,
          bubbles: true,
          cancelable: true,
        }),
      );
      await new Promise((res) => requestAnimationFrame(res));
      const now = performance.now();
      times.push(now - last);
      last = now;
    }
    return times;
  });
  // 20 quick clicks at different places: every one must become a selection (select() marks each).
  await page.evaluate(() => performance.clearMarks('preview:select'));
  const t0 = Date.now();
  for (let i = 0; i < 20; i++) await page.mouse.click(box.x + 140 + ((box.width - 160) * (i + 0.5)) / 20, box.y + 40);
  await page.waitForTimeout(100);
  const ms = Date.now() - t0;
  const selections = await page.evaluate(() => performance.getEntriesByName('preview:select', 'mark').length);
  const ok = selections === 20;
  return { frames, clicks: { ok, ms } };
}

async function main() {
  console.log(
    `load average at start: ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} on ${os.cpus().length} cores`,
  );
  // Measure the current renderer: `npm run bench` builds the Node side only.
  const build = spawnSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--logLevel', 'warn'], { stdio: 'inherit' });
  if (build.status !== 0 || !existsSync('dist/renderer/index.html') || !existsSync('dist/node/serve.mjs'))
    throw new Error('could not build the app (vite build / scripts/build-node.mjs)');
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'dism-bench-preview-'));
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  let host: { url: string; stop(): void } | undefined;
  try {
    const userData = path.join(tmp, 'user-data');
    const t0 = Date.now();
    const { dir: demo } = await ensureDemoProject(userData, { contributors: APP_DEMO_CONTRIBUTORS });
    console.log(`demo project generated in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const p1000 = await tiledProject(demo, path.join(tmp, 'ls1000'), 1000);
    const p5000 = await tiledProject(demo, path.join(tmp, 'ls5000'), 5000);
    host = await startHost(userData);
    const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });

    const page = await ctx.newPage();
    const open1000 = await openPreview(page, host.url, p1000);
    console.log(`1000-LS project: preview ready (load + full pipeline + first maps) in ${open1000} ms`);
    await goTo(page, '399000:1');
    await lsSwitchTimes(page, 3); // warm-up
    const sw = await lsSwitchTimes(page, 40);
    console.log(`LS switch → all 18 stage heatmaps re-rendered: ${stats(sw.total)}`);
    console.log(`  of which figure build + plotly render: ${stats(sw.render)}`);
    const fetches = await page.evaluate(() => performance.getEntriesByName('preview:stages-fetch').map((e) => e.duration));
    console.log(`  pipeline.lumisection round trips (incl. prefetches of the neighbours): ${stats(fetches)}`);
    const paced = await lsSwitchTimes(page, 20, 400);
    console.log(`LS switch at a reading pace (400 ms between presses, next LS already prefetched): ${stats(paced.total)}`);
    console.log(`  of which figure build + plotly render: ${stats(paced.render)}`);
    const rf = await reflagTimes(page, [0.05, 0.06, 0.08, 0.1, 0.2, 0.5, 1, 10, 0.04, 0.03, 0.05, 0.045]);
    console.log(
      `threshold change → 1000 LS re-flagged and on screen (seen from Playwright, incl. its own round trips): ${stats(rf.screen)}`,
    );
    if (rf.backend.length) console.log(`  back-end re-flag time (reported by pipeline.reflag): ${stats(rf.backend)}`);
    const calls = await page.evaluate(() => performance.getEntriesByName('preview:reflag-call').map((e) => e.duration));
    if (calls.length) console.log(`  pipeline.reflag round trip seen by the page (incl. 1000 results over the socket): ${stats(calls)}`);
    const painted = await page.evaluate(() => performance.getEntriesByName('preview:reflag-painted').map((e) => e.duration));
    if (painted.length) console.log(`  edit → new flags, counts, diff and timeline painted (in-page): ${stats(painted)}`);
    await page.close();

    const page5 = await ctx.newPage();
    const open5000 = await openPreview(page5, host.url, p5000);
    console.log(`5000-LS project: preview ready in ${open5000} ms`);
    const tl = await timelineFrames(page5);
    const dropped = tl.frames.filter((f) => f > 1000 / 60 + 4).length;
    console.log(`5000-LS timeline zoom/pan, 120 wheel events: frame ${stats(tl.frames)}, ${dropped} frames over 20.7 ms`);
    console.log(`5000-LS timeline: 20 rapid clicks → ${tl.clicks.ok ? 'all 20 selected' : 'SOME CLICKS DROPPED'} in ${tl.clicks.ms} ms`);
    await goTo(page5, '399004:100');
    const sw5 = await lsSwitchTimes(page5, 20);
    console.log(`5000-LS project LS switch → heatmaps re-rendered: ${stats(sw5.total)}`);
    await page5.close();
    console.log(
      `load average at end: ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
  } finally {
    host?.stop();
    await browser.close();
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

await main();
