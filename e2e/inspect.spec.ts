import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { test, expect, firstMapsShown, gotoApp, type BrowserHostProcess } from './fixtures';
import { onlyLocalRequests } from './no-external';

/**
 * Inspecting in the Preview (issue 11), in Chromium through the browser host on the demo project:
 * the plotly toolbar offers nothing that leaves the machine, per-column colour scales (log z,
 * manual range, colour map) kept per project, grid, Compare with linked zoom, figure export, the
 * PDF report, and — at 1024×700 — no two labels of the maps overlapping.
 */

const SCREENSHOTS = path.join('test-results', 'screenshots');

onlyLocalRequests();

async function openDemoPreview(page: Page, host: BrowserHostProcess): Promise<string> {
  await gotoApp(page, host);
  await expect(page.locator('.project-card h2')).toHaveText('Demo project', { timeout: 120_000 });
  const dir = (await page.locator('.project-card code.path').textContent())!.trim();
  await page.locator('nav [data-step="preview"]').click();
  await expect(page.getByTestId('preview-step')).toHaveAttribute('data-phase', 'ready', { timeout: 120_000 });
  await firstMapsShown(page);
  return dir;
}

const plot = (page: Page) => page.getByTestId('stage-heatmaps').locator('.js-plotly-plot');

/** The map image (data URL) of the subplot whose trace name contains `name`. */
async function mapImage(page: Page, name: string): Promise<string> {
  return plot(page).evaluate((gd, n) => {
    const g = gd as unknown as { data: Array<{ name: string }>; layout: { images: Array<{ source: string }> } };
    const i = g.data.findIndex((d) => d.name.includes(n));
    if (i < 0) throw new Error(`no subplot ${n}`);
    return g.layout.images[i].source;
  }, name);
}

/** Distinct opaque colours of a map image. */
async function coloursOf(page: Page, name: string): Promise<string[]> {
  const src = await mapImage(page, name);
  return page.evaluate(async (s) => {
    const img = new Image();
    img.src = s;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.width;
    c.height = img.height;
    const ctx = c.getContext('2d')!;
    ctx.drawImage(img, 0, 0);
    const px = ctx.getImageData(0, 0, c.width, c.height).data;
    const out = new Set<string>();
    for (let k = 0; k < px.length; k += 4) if (px[k + 3] === 255) out.add(`${px[k]},${px[k + 1]},${px[k + 2]}`);
    return [...out];
  }, src);
}

async function shot(page: Page, name: string, target?: Locator): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await (target ?? page).screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
}

test('the maps’ toolbar has nothing that uploads, links out or shows the plotly logo — by mouse or Tab', async ({ page, host }) => {
  test.setTimeout(300_000);
  await openDemoPreview(page, host);
  const maps = page.getByTestId('stage-heatmaps');
  await maps.hover();
  const titles = await maps.locator('.modebar-btn').evaluateAll((els) => els.map((e) => e.getAttribute('data-title')));
  expect(titles).toEqual(['Zoom', 'Pan', 'Zoom in', 'Zoom out', 'Reset axes']);
  await expect(maps.locator('.modebar-btn--logo, [data-title*="Share"], [data-title*="Cloud"], [data-title*="Chart Studio"]')).toHaveCount(
    0,
  );
  await expect(maps.locator('a[href]')).toHaveCount(0);
  // Every element Tab reaches on the whole page: none leads to plotly.com or a cloud.
  await page.locator('body').click({ position: { x: 2, y: 2 } });
  const seen: string[] = [];
  for (let i = 0; i < 300; i++) {
    await page.keyboard.press('Tab');
    // Once round the page: the first element reached again ends the walk.
    const el = await page.evaluate(() => {
      const a = document.activeElement as HTMLElement | null;
      if (!a || a === document.body) return '';
      if (a.dataset.tabWalk) return null;
      a.dataset.tabWalk = '1';
      const label = a.getAttribute('aria-label') ?? a.getAttribute('title') ?? a.textContent?.slice(0, 40) ?? '';
      return `${a.tagName} ${a.getAttribute('href') ?? ''} ${a.getAttribute('data-title') ?? ''} ${label}`;
    });
    if (el === null) break;
    if (el) seen.push(el);
  }
  expect(seen.length).toBeGreaterThan(20);
  expect(seen.filter((s) => /plotly|cloud|share chart|chart studio/i.test(s))).toEqual([]);
});

test('colour scale per stage column: log z, manual range, colour map — kept for the project', async ({ page, host }) => {
  test.setTimeout(300_000);
  const saves: string[] = [];
  page.on('websocket', (ws) =>
    ws.on('framesent', (f) => {
      const m = JSON.parse(String(f.payload));
      if (m.method === 'preview.savePlotSettings') saves.push(JSON.stringify(m.input.settings));
    }),
  );
  await openDemoPreview(page, host);
  const lossBar = page.getByTestId('colour-bar-loss');
  await expect(lossBar).toContainText('Loss (input − reco)²');
  await expect(lossBar).toContainText('fixed');
  const linear = await mapImage(page, 'BPix3 Loss');

  // Log z: the map is redrawn, the bar says how zeros are drawn, and ends at 10⁻⁴…0.1 (ROOT's 10⁻³ × max).
  await lossBar.click();
  const editor = page.getByTestId('colour-scale-editor-loss');
  await editor.getByLabel('Log').check();
  await expect(lossBar).toContainText('≤ 0 not drawn');
  await expect(lossBar.locator('.colour-bar-tick').first()).toHaveText('10⁻⁴');
  await expect(lossBar.locator('.colour-bar-tick').last()).toHaveText('0.1');
  await expect(editor).toContainText('≤ 0 not drawn');
  expect(await mapImage(page, 'BPix3 Loss')).not.toBe(linear);
  // The DQM GUI palette: the map's colours are the palette's.
  await editor.getByLabel('Loss (input − reco)² colour map').selectOption('dqm');
  await expect.poll(async () => (await coloursOf(page, 'BPix3 Loss')).includes('255,0,0')).toBe(true);
  await shot(page, 'inspect-colour-scale-log-dqm');
  await page.keyboard.press('Escape');
  await expect(editor).toBeHidden();

  // Manual range on the raw counts; a wrong one is refused with a clear message and not drawn.
  const rawBar = page.getByTestId('colour-bar-raw');
  await rawBar.click();
  const rawEditor = page.getByTestId('colour-scale-editor-raw');
  await expect(rawEditor.getByRole('radio', { name: /Fixed/ })).toBeDisabled();
  await rawEditor.getByLabel('Raw minimum').fill('100');
  await rawEditor.getByLabel('Raw maximum').fill('2000');
  await expect(rawBar.locator('.colour-bar-tick').first()).toHaveText('100');
  await expect(rawBar.locator('.colour-bar-tick').last()).toHaveText('2000');
  await expect(rawBar).toContainText('manual');
  await rawEditor.getByLabel('Raw maximum').fill('50');
  await expect(rawEditor.getByRole('alert')).toHaveText('The maximum (50) must be larger than the minimum (100).');
  await expect(rawBar.locator('.colour-bar-tick').last()).toHaveText('2000');
  await rawEditor.getByLabel('Raw maximum').fill('2000');
  await page.keyboard.press('Escape');

  // "Auto" for every column, then back to fixed: the manual range of raw is replaced, the log scale stays.
  await page.getByRole('button', { name: 'Auto', exact: true }).click();
  await expect(page.getByTestId('colour-bar-preprocessed')).toContainText('auto');
  await expect(lossBar).toContainText('auto');
  await page.getByRole('button', { name: 'Fixed ranges' }).click();
  await expect(page.getByTestId('colour-bar-preprocessed')).toContainText('fixed');

  // Kept per project: after a reload the loss column is still log with the DQM palette.
  await expect.poll(() => saves.at(-1) ?? '').toContain('"range":"fixed"');
  await page.reload();
  await expect(page.getByTestId('preview-step')).toHaveAttribute('data-phase', 'ready', { timeout: 120_000 });
  await firstMapsShown(page);
  await expect(page.getByTestId('colour-bar-loss')).toContainText('log');
  await expect.poll(async () => (await coloursOf(page, 'BPix3 Loss')).includes('255,0,0')).toBe(true);
});

test('axis titles and the grid: off, modules and ladders, every ROC', async ({ page, host }) => {
  test.setTimeout(300_000);
  await openDemoPreview(page, host);
  const svg = page.getByTestId('stage-heatmaps');
  await expect(svg.locator('.g-xtitle text').first()).toHaveText('signed module');
  await expect(svg.locator('.g-ytitle text').first()).toHaveText('signed ladder');
  // every map has its x title, the first map of each row its y title
  // (plotly names them g-xtitle, g-x2title, …)
  await expect(svg.locator('[class^="g-x"][class$="title"] text')).toHaveCount(18);
  await expect(svg.locator('[class^="g-y"][class$="title"] text')).toHaveCount(4);
  const gridPaths = () =>
    plot(page).evaluate((gd) => {
      const shapes = (gd as unknown as { layout: { shapes: Array<{ type: string; path?: string; xref: string }> } }).layout.shapes;
      return shapes.filter((s) => s.type === 'path' && s.xref === 'x6').map((s) => (s.path!.match(/[VH]/g) ?? []).length);
    });
  // BPix3 (72 × 90 bins: 9 module slots of 8 columns with the empty 0 slot, 45 ladder slots of 2 rows):
  // 8 module edges + 44 ladder edges; with ROCs also the 71 − 8 = 63 column and 89 − 44 = 45 row edges inside them.
  expect(await gridPaths()).toEqual([52]);
  await page.getByLabel('Grid').selectOption('rocs');
  await expect.poll(gridPaths).toEqual([63 + 45, 52]);
  await shot(page, 'inspect-roc-grid', page.getByTestId('stage-heatmaps'));
  await page.getByLabel('Grid').selectOption('off');
  await expect.poll(gridPaths).toEqual([]);
});

test('compare with the previous LS, the run average and another LS: same ranges, difference, linked zoom', async ({ page, host }) => {
  test.setTimeout(300_000);
  await openDemoPreview(page, host);
  const selected = (await page.getByTestId('selected-ls').textContent())!;
  const [, run, ls] = selected.match(/Run (\d+) · LS (\d+)/)!;
  await page.getByLabel('Compare with', { exact: true }).selectOption('previous');
  const maps = page.getByTestId('stage-heatmaps');
  await expect(maps.getByTestId('colour-bar-difference')).toContainText('Difference A − B');
  await expect(maps.locator('button.colour-bar').first()).toContainText(`Run ${run} · LS ${ls}`);
  await expect(maps.locator('button.colour-bar').nth(1)).toContainText(`Run ${run} · LS ${Number(ls) - 1}`);
  // A and B share one range: their bars carry the same ticks.
  const ticks = (i: number) => maps.locator('button.colour-bar').nth(i).locator('.colour-bar-tick').allTextContents();
  expect(await ticks(0)).toEqual(await ticks(1));
  expect(await plot(page).evaluate((gd) => (gd as unknown as { data: unknown[] }).data.length)).toBe(9);

  // Linked zoom: a box drawn on A zooms B and the difference, and x on every row.
  const box = await plot(page).evaluate((gd) => {
    const l = (gd as unknown as { _fullLayout: Record<string, { _offset: number; _length: number }> })._fullLayout;
    const r = (gd as HTMLElement).getBoundingClientRect();
    return { x: r.left + l.xaxis._offset, y: r.top + l.yaxis._offset, w: l.xaxis._length, h: l.yaxis._length };
  });
  await page.mouse.move(box.x + box.w * 0.2, box.y + box.h * 0.2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.w * 0.6, box.y + box.h * 0.7, { steps: 6 });
  await page.mouse.up();
  const ranges = () =>
    plot(page).evaluate((gd) => {
      const l = (gd as unknown as { _fullLayout: Record<string, { range: number[] }> })._fullLayout;
      return ['xaxis', 'xaxis2', 'xaxis3', 'xaxis4', 'yaxis', 'yaxis2', 'yaxis3'].map((k) => l[k].range.map((v) => Number(v.toFixed(4))));
    });
  await expect.poll(async () => (await ranges())[0][1] - (await ranges())[0][0]).toBeLessThan(6);
  const r = await ranges();
  expect(r[1]).toEqual(r[0]);
  expect(r[2]).toEqual(r[0]);
  expect(r[3]).toEqual(r[0]);
  expect(r[5]).toEqual(r[4]);
  expect(r[6]).toEqual(r[4]);
  await shot(page, 'inspect-compare-previous', maps);

  await page.getByLabel('Compare with', { exact: true }).selectOption('average');
  await expect(maps.locator('button.colour-bar').nth(1)).toContainText(`Run ${run} average (60 LS)`);
  await page.getByLabel('Stage to compare').selectOption('final');
  await expect(maps.locator('button.colour-bar').first()).toContainText('Final binary map');
  expect(await plot(page).evaluate((gd) => (gd as unknown as { data: unknown[] }).data.length)).toBe(3);
  await shot(page, 'inspect-compare-average', maps);

  await page.getByLabel('Compare with', { exact: true }).selectOption('ls');
  await page.getByLabel('Compare with lumisection (run:LS)').fill(`${run}:1`);
  await page.getByLabel('Compare with lumisection (run:LS)').press('Enter');
  await expect(maps.locator('button.colour-bar').nth(1)).toContainText(`Run ${run} · LS 1`);
  await page.getByLabel('Compare with lumisection (run:LS)').fill('1:1');
  await page.getByLabel('Compare with lumisection (run:LS)').press('Enter');
  await expect(page.getByText('Cannot compare: Run 1, LS 1 is not in this data.')).toBeVisible();
  await page.getByLabel('Compare with', { exact: true }).selectOption('off');
  expect(await plot(page).evaluate((gd) => (gd as unknown as { data: unknown[] }).data.length)).toBe(18);
});

test('figures to keep: PNG and SVG of the grid and of one map, with an editable title', async ({ page, host }) => {
  test.setTimeout(300_000);
  await openDemoPreview(page, host);
  const selected = (await page.getByTestId('selected-ls').textContent())!;
  const save = async (opts: { map?: [string, string]; format: 'PNG' | 'SVG'; title?: string }) => {
    await page.getByRole('button', { name: 'Export figure…' }).click();
    const dialog = page.getByTestId('export-figure-dialog');
    if (opts.map) {
      await dialog.getByRole('radio', { name: /One map/ }).check();
      await dialog.getByLabel('Stage', { exact: true }).selectOption({ label: opts.map[0] });
      await dialog.getByLabel('Layer', { exact: true }).selectOption({ label: opts.map[1] });
    }
    await dialog.getByRole('radio', { name: new RegExp(`^\\s*${opts.format} \\(`) }).check();
    if (opts.title) await dialog.getByLabel('Figure title').fill(opts.title);
    const title = await dialog.getByLabel('Figure title').inputValue();
    const dl = page.waitForEvent('download');
    await dialog.getByRole('button', { name: `Save ${opts.format}` }).click();
    const d = await dl;
    await expect(dialog).toBeHidden();
    return { title, name: d.suggestedFilename(), bytes: readFileSync((await d.path())!) };
  };
  const grid = await save({ format: 'SVG' });
  expect(grid.title).toContain(selected);
  expect(grid.title).toContain('preset pixel barrel');
  const svg = grid.bytes.toString('utf8');
  expect(svg.startsWith('<svg')).toBe(true);
  for (const t of ['signed module', 'signed ladder', 'Binary loss', 'Final binary map', 'BPix4']) expect(svg).toContain(t);
  expect(svg).toContain(grid.title.replace(/&/g, '&amp;'));

  const one = await save({ map: ['Loss (input − reco)²', 'BPix3'], format: 'SVG', title: 'BPix3 loss for the shift report' });
  const oneSvg = one.bytes.toString('utf8');
  expect(one.name).toMatch(/BPix3_loss\.svg$/);
  expect(oneSvg).toContain('BPix3 loss for the shift report');
  expect(oneSvg).toContain('Loss (input − reco)²');
  expect(oneSvg).not.toContain('Binary loss');

  const png = await save({ map: ['Raw', 'BPix2'], format: 'PNG' });
  expect(png.bytes.subarray(1, 4).toString()).toBe('PNG');
  // 560 px wide at 2×
  expect(png.bytes.readUInt32BE(16)).toBe(1120);
});

test('PDF report from the Preview: every flagged LS, progress, read back; cancelling writes nothing', async ({ page, host }) => {
  test.setTimeout(300_000);
  await openDemoPreview(page, host);
  const flagged = Number(await page.getByTestId('flagged-count').textContent());
  await page.getByRole('button', { name: 'PDF report…' }).click();
  const panel = page.getByTestId('report-panel');
  await expect(panel.getByLabel(/Every flagged one/)).toBeChecked();
  const file = await panel.getByLabel('Report file').inputValue();
  await panel.getByRole('button', { name: `Write the report (${flagged + 1} pages)` }).click();
  await expect(panel.getByTestId('report-done')).toContainText(`${flagged + 1} pages`, { timeout: 120_000 });
  await shot(page, 'inspect-report-done');
  expect(Number(/Pages:\s+(\d+)/.exec(execFileSync('pdfinfo', [file], { encoding: 'utf8' }))![1])).toBe(flagged + 1);
  expect(execFileSync('pdftotext', ['-f', '2', '-l', '2', file, '-'], { encoding: 'utf8' })).toMatch(/Run \d+ · LS \d+/);

  // A long list, cancelled while it is written: no file.
  await panel.getByLabel('Lumisections for the report').fill('398100:1-60, 398101:1-60');
  await panel.getByLabel('Report file').fill(file.replace(/\.pdf$/, '-all.pdf'));
  await panel.getByRole('button', { name: 'Write the report (121 pages)' }).click();
  await expect(panel.getByTestId('report-progress')).toBeVisible();
  await panel.getByRole('button', { name: 'Cancel' }).click();
  await expect(panel).toContainText('The report was cancelled; no file was written.', { timeout: 60_000 });
  expect(existsSync(file.replace(/\.pdf$/, '-all.pdf'))).toBe(false);
  // Asking again for an existing file asks before replacing it.
  await panel.getByLabel(/Every flagged one/).check();
  await panel.getByLabel('Report file').fill(file);
  await panel.getByRole('button', { name: /Write the report/ }).click();
  await expect(page.getByRole('dialog', { name: 'Replace the existing report' })).toBeVisible();
  await page.getByRole('button', { name: 'Keep it' }).click();
});

/** Every label of the maps (SVG text and the HTML colour bars) with its box and font size. */
async function labelBoxes(page: Page) {
  return page.getByTestId('stage-heatmaps').evaluate((root) => {
    const out: Array<{ text: string; x0: number; x1: number; y0: number; y1: number; size: number }> = [];
    const add = (el: Element) => {
      const text = el.textContent?.trim() ?? '';
      if (!text) return;
      const r = el.getBoundingClientRect();
      if (!r.width || !r.height) return;
      out.push({ text, x0: r.left, x1: r.right, y0: r.top, y1: r.bottom, size: parseFloat(getComputedStyle(el).fontSize) });
    };
    root.querySelectorAll('svg text').forEach(add);
    root.querySelectorAll('.colour-bar > span').forEach(add);
    const box = root.getBoundingClientRect();
    return { labels: out, left: box.left, right: box.right };
  });
}

function overlaps(labels: Array<{ text: string; x0: number; x1: number; y0: number; y1: number }>): string[] {
  const bad: string[] = [];
  for (let i = 0; i < labels.length; i++)
    for (let j = i + 1; j < labels.length; j++) {
      const a = labels[i];
      const b = labels[j];
      const dx = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0);
      const dy = Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0);
      if (dx > 0.5 && dy > 0.5) bad.push(`"${a.text}" and "${b.text}" overlap by ${dx.toFixed(1)}×${dy.toFixed(1)} px`);
    }
  return bad;
}

test.describe('at 1024×700', () => {
  test.use({ viewport: { width: 1024, height: 700 } });
  test('no two labels of the maps overlap, none is cut off or smaller than 9 px', async ({ page, host }) => {
    test.setTimeout(300_000);
    await openDemoPreview(page, host);
    const check = async (what: string) => {
      await page.waitForTimeout(300);
      const { labels, left, right } = await labelBoxes(page);
      expect(labels.length, what).toBeGreaterThan(100);
      expect(overlaps(labels), what).toEqual([]);
      expect(
        labels.filter((l) => l.x0 < left - 0.5 || l.x1 > right + 0.5).map((l) => l.text),
        `${what}: cut off`,
      ).toEqual([]);
      expect(
        labels.filter((l) => l.size < 9).map((l) => `${l.text} ${l.size}px`),
        `${what}: too small`,
      ).toEqual([]);
      // the module ticks are whole labels, not "−4−3−2…" run together
      expect(
        labels.filter((l) => /\d[−+]\d/.test(l.text)),
        what,
      ).toEqual([]);
    };
    await check('default figure');
    await shot(page, 'inspect-1024x700-maps');
    // Log scale with its notes, a manual range and the DQM palette.
    await page.getByTestId('colour-bar-loss').click();
    await page.getByTestId('colour-scale-editor-loss').getByLabel('Log').check();
    await page.keyboard.press('Escape');
    await page.getByTestId('colour-bar-raw').click();
    await page.getByLabel('Raw minimum').fill('0.001');
    await page.getByLabel('Raw maximum').fill('123456');
    await page.keyboard.press('Escape');
    await check('log and manual ranges');
    await shot(page, 'inspect-1024x700-log', page.getByTestId('stage-heatmaps'));
    await page.getByLabel('Compare with', { exact: true }).selectOption('average');
    await expect(page.getByTestId('colour-bar-difference')).toBeVisible();
    await check('compare');
    await shot(page, 'inspect-1024x700-compare', page.getByTestId('stage-heatmaps'));
  });
});
