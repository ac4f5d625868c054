/**
 * Inspection benchmarks (issue 11):
 *  1. the PDF report of 100 flagged LS: wall time (target < 30 s), pages, size, peak RSS of the
 *     back end while it is written; then 1000 LS in one report, to see the memory stays flat;
 *  2. in Chromium through the browser host: a colour-scale change (log ↔ linear, Auto ↔ Fixed, a
 *     manual range typed in) → every stage map of the LS repainted (target < 100 ms).
 * Figures only; nothing is asserted.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { createBackend, type Backend } from '@/backend/api/create-backend';
import type { MethodInput, MethodName, MethodOutput } from '@/shared/api/contract';
import type { ReportResult } from '@/shared/api/contract/inspect';
import { DEFAULT_PLOT_SETTINGS } from '@/shared/plot/plot-settings';
import { ARGS, CHROMIUM, openPreview, startHost, stats, tiledProject } from './bench-support';

const MB = 2 ** 20;
const mb = (b: number) => `${(b / MB).toFixed(0)} MB`;
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

async function call<M extends MethodName>(backend: Backend, method: M, input: MethodInput<M>): Promise<MethodOutput<M>> {
  const reply = await backend.dispatch(method, input);
  if (!reply.ok) throw new Error(`${method}: ${reply.error.message}`);
  return reply.result as MethodOutput<M>;
}

/**
 * Runs `work` while sampling this process's RSS every 50 ms: wall time, the CPU time of this process
 * (the report is written on the main thread; on a shared machine the CPU time is the steadier figure),
 * the RSS before and its peak.
 */
async function withPeakRss<T>(work: () => Promise<T>): Promise<{ value: T; before: number; peak: number; ms: number; cpuMs: number }> {
  global.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const t0 = Date.now();
  const cpu0 = process.cpuUsage();
  try {
    const value = await work();
    const cpu = process.cpuUsage(cpu0);
    return { value, before, peak: Math.max(peak, process.memoryUsage().rss), ms: Date.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000 };
  } finally {
    clearInterval(timer);
  }
}

async function reportBench(tmp: string, userData: string): Promise<string> {
  const backend = await createBackend({ host: { kind: 'test' }, userDataDir: userData, pollEngine: false });
  try {
    const demo = (await call(backend, 'demo.open', {})).project.dir;
    // The demo flags 5 of its 120 LS: tiled 20 times, 100 flagged LS over 2400.
    const project = await tiledProject(demo, path.join(tmp, 'ls2400'), 2400);
    await call(backend, 'projects.open', { dir: project });
    const run = await call(backend, 'pipeline.run', { projectDir: project });
    const done = await backend.ctx.jobs.wait(run.jobId);
    if (done.state !== 'succeeded') throw new Error(`pipeline run ${done.state}: ${done.error?.message}`);
    const { items } = await call(backend, 'pipeline.results', { sessionId: run.sessionId, limit: 100_000 });
    const flagged = items.filter((i) => i.flagged).length;
    console.log(`project: demo tiled to ${items.length} LS (runs of 500), ${flagged} flagged`);

    const write = (file: string, select: MethodInput<'preview.report'>['select']) =>
      withPeakRss(async () => {
        const job = await call(backend, 'preview.report', {
          sessionId: run.sessionId,
          file,
          select,
          plot: DEFAULT_PLOT_SETTINGS,
          modelName: 'Demo project (tiled)',
        });
        const end = await backend.ctx.jobs.wait(job.id);
        if (end.state !== 'succeeded') throw new Error(`report ${end.state}: ${end.error?.message}`);
        return end.result as ReportResult;
      });

    const r100 = await write(path.join(project, 'reports', 'flagged.pdf'), { kind: 'flagged' });
    console.log(
      `report of every flagged LS (${r100.value.lumisections} LS): ${(r100.ms / 1000).toFixed(1)} s (CPU ${(r100.cpuMs / 1000).toFixed(1)} s), ${r100.value.pages} pages, ` +
        `${(r100.value.bytes / MB).toFixed(1)} MB, ${r100.value.withoutMaps} without maps; ` +
        `RSS ${mb(r100.before)} before → peak ${mb(r100.peak)} while writing`,
    );
    const positions = Array.from({ length: 1000 }, (_, i) => i);
    const r1000 = await write(path.join(project, 'reports', 'ls1000.pdf'), { kind: 'positions', positions });
    console.log(
      `report of 1000 LS: ${(r1000.ms / 1000).toFixed(1)} s (CPU ${(r1000.cpuMs / 1000).toFixed(1)} s), ${r1000.value.pages} pages, ${(r1000.value.bytes / MB).toFixed(1)} MB, ` +
        `${r1000.value.withoutMaps} without maps; RSS ${mb(r1000.before)} before → peak ${mb(r1000.peak)} while writing`,
    );
    await call(backend, 'pipeline.release', { sessionId: run.sessionId });
    return demo;
  } finally {
    await backend.dispose();
  }
}

type Action = { click: string; index?: number } | { button: string } | { fill: string; value: string };

/** Do `action` in the page and time until every stage map is repainted (figure built, plotly drawn, next frame). */
async function repaint(page: Page, action: Action): Promise<{ total: number; render: number }> {
  return page.evaluate(async (a) => {
    const t0 = performance.now();
    if ('click' in a) (document.querySelectorAll(a.click)[a.index ?? 0] as HTMLElement).click();
    else if ('button' in a) [...document.querySelectorAll('button')].find((b) => b.textContent?.trim() === a.button)!.click();
    else {
      const el = document.querySelector(a.fill) as HTMLInputElement;
      Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!.call(el, a.value);
      el.dispatchEvent(new Event('input', { bubbles: true }));
    }
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
      if (performance.now() - t0 > 20_000) throw new Error('no repaint within 20 s');
    }
  }, action);
}

async function repaintBench(userData: string, demo: string): Promise<void> {
  const build = spawnSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--logLevel', 'warn'], { stdio: 'inherit' });
  if (build.status !== 0 || !existsSync('dist/renderer/index.html') || !existsSync('dist/node/serve.mjs'))
    throw new Error('could not build the app (vite build / scripts/build-node.mjs)');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  const host = await startHost(userData);
  try {
    for (const viewport of [
      { width: 1440, height: 900 },
      { width: 1024, height: 700 },
    ]) {
      const page = await (await browser.newContext({ viewport })).newPage();
      await openPreview(page, host.url, demo);
      await page.getByTestId('colour-bar-loss').click();
      const zRadios = '[data-testid="colour-scale-editor-loss"] input[type="radio"][name$="-z"]';
      const logLinear: number[] = [];
      const logLinearRender: number[] = [];
      for (let k = 0; k < 24; k++) {
        const r = await repaint(page, { click: zRadios, index: k % 2 === 0 ? 1 : 0 });
        if (k >= 4) {
          logLinear.push(r.total);
          logLinearRender.push(r.render);
        }
      }
      await page.keyboard.press('Escape');
      const autoFixed: number[] = [];
      for (let k = 0; k < 24; k++) {
        const r = await repaint(page, { button: k % 2 === 0 ? 'Auto' : 'Fixed ranges' });
        if (k >= 4) autoFixed.push(r.total);
      }
      await page.getByTestId('colour-bar-raw').click();
      const manual: number[] = [];
      for (let k = 0; k < 24; k++) {
        const r = await repaint(page, { fill: 'input[aria-label="Raw maximum"]', value: String(1000 + 100 * k) });
        if (k >= 4) manual.push(r.total);
      }
      const maps = await page.evaluate(
        () => (document.querySelector('[data-testid="stage-heatmaps"] .js-plotly-plot') as unknown as { data: unknown[] }).data.length,
      );
      console.log(`${viewport.width}×${viewport.height}, demo LS, ${maps} maps:`);
      console.log(`  log ↔ linear (loss column) → all maps repainted: ${stats(logLinear)}`);
      console.log(`    of which figure build + plotly render: ${stats(logLinearRender)}`);
      console.log(`  Auto ↔ Fixed ranges (every column) → all maps repainted: ${stats(autoFixed)}`);
      console.log(`  manual maximum typed (raw column) → all maps repainted: ${stats(manual)}`);
      await page.context().close();
    }
  } finally {
    host.stop();
    await browser.close();
  }
}

async function main() {
  console.log(`load average at start: ${load()} on ${os.cpus().length} cores`);
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'dism-bench-inspect-'));
  try {
    const userData = path.join(tmp, 'user-data');
    const demo = await reportBench(tmp, userData);
    await repaintBench(userData, demo);
    console.log(`load average at end: ${load()}`);
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

await main();
