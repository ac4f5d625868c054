import { copyFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { test, expect, firstMapsShown, gotoApp, makeTempDir } from './fixtures';

/**
 * What a new user tripped over in the Preview step (issue 15): a flag unticked and ticked again is
 * no change, Tuning speaks a pixel physicist's language, what-if boxes go with Clear and stay on
 * their lumisection, the keyboard reaches everything, and a folder without a model is guided.
 */

async function openDemoPreview(page: Page, host: Parameters<typeof gotoApp>[1]): Promise<void> {
  await gotoApp(page, host);
  await expect(page.locator('.project-card h2')).toHaveText('Demo project', { timeout: 120_000 });
  await page.locator('nav [data-step="preview"]').click();
  await expect(page.getByTestId('preview-step')).toHaveAttribute('data-phase', 'ready', { timeout: 120_000 });
  await firstMapsShown(page);
}

/** The dotted what-if outlines drawn on the stage maps (rectangles; the dotted module/ladder grid is a path). */
async function outlineCount(page: Page): Promise<number> {
  return page
    .getByTestId('stage-heatmaps')
    .locator('.js-plotly-plot')
    .evaluate(
      (gd) =>
        ((gd as unknown as { layout: { shapes?: Array<{ type?: string; line?: { dash?: string } }> } }).layout.shapes ?? []).filter(
          (s) => s.type === 'rect' && s.line?.dash === 'dot',
        ).length,
    );
}

test('tuning: a flag unticked and ticked again is no change; fields in physics terms with a hint on hover and focus; numbers readable', async ({
  page,
  host,
}) => {
  test.setTimeout(240_000);
  await openDemoPreview(page, host);
  await page.getByRole('tab', { name: /Tuning/ }).click();
  const tuning = page.getByTestId('tuning-panel');

  const bpix = tuning.getByRole('checkbox', { name: 'bpix_ready' });
  await bpix.uncheck();
  await expect(page.getByText('unsaved preset changes')).toBeVisible();
  await bpix.check();
  await expect(page.getByText('unsaved preset changes')).toBeHidden();
  await expect(tuning.getByRole('button', { name: 'Save preset' })).toBeDisabled();
  await expect(page.getByRole('tab', { name: 'Tuning', exact: true })).toBeVisible();

  // Labels in terms of the detector and the method, each with a one-line explanation.
  for (const label of ['Anomalous-bin threshold', 'Cluster shape tolerance', 'Layers that must agree', 'Flagging shape tolerance']) {
    await expect(tuning.getByText(label, { exact: true }).first()).toBeVisible();
  }
  await expect(tuning).not.toContainText('Match below');
  await expect(tuning).not.toContainText('Pattern match below');
  const loss = tuning.getByLabel('Anomalous-bin threshold').first();
  await loss.focus();
  const hint = page.getByRole('tooltip', { name: /anomalous when \(input − NMF reconstruction\)²/ });
  await expect(hint).toBeVisible();
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await expect(hint).toBeHidden();
  await tuning.getByText('Flagging shape tolerance', { exact: true }).hover();
  await expect(page.getByRole('tooltip', { name: /final map/ })).toBeVisible();
  // Patterns are read as ladders × modules, not "1×8 ones".
  await expect(tuning).toContainText('½ ladder × 1 module');
  // The BPix3 minimum entries (5e5 / 3) is shown readably, its exact value on hover.
  await expect(tuning.getByLabel('BPix3: min. entries')).toHaveValue('1.667e5');
  await page.screenshot({ path: path.join('test-results', 'screenshots', 'preview-tuning-terms.png') });
});

test('what-if: keyboard positions, Clear removes the boxes, boxes stay on their lumisection; Home/End; unknown run:LS said in words', async ({
  page,
  host,
}) => {
  test.setTimeout(240_000);
  await openDemoPreview(page, host);
  const selected = page.getByTestId('selected-ls');
  const first = await selected.textContent();

  // Home / End go to the first / last lumisection.
  await page.locator('body').press('End');
  await expect(selected).toHaveText('Run 398101 · LS 60');
  await page.locator('body').press('Home');
  await expect(selected).toHaveText('Run 398100 · LS 1');
  await page.getByLabel('Go to lumisection (run:LS)').fill(first!.replace(/^Run (\d+) · LS (\d+)$/, '$1:$2'));
  await page.getByLabel('Go to lumisection (run:LS)').press('Enter');
  await expect(selected).toHaveText(first!);

  // A position chosen with the keyboard: layer, ladder and module.
  await page.getByRole('tab', { name: 'What-if' }).click();
  const panel = page.getByTestId('whatif-panel');
  await panel.getByLabel('Layer', { exact: true }).selectOption('BPix3');
  await panel.getByLabel('Ladder', { exact: true }).fill('-3');
  await panel.getByLabel('Module', { exact: true }).fill('2');
  await expect(page.getByTestId('whatif-position')).toContainText('BPix3 ladder −3 · module +2');
  await expect.poll(() => outlineCount(page)).toBeGreaterThan(0);
  await panel.getByLabel('Ladder', { exact: true }).fill('0');
  await expect(panel.getByTestId('whatif-position-problem')).toContainText('gap');
  await panel.getByLabel('Ladder', { exact: true }).fill('-3');
  await panel.getByRole('button', { name: 'Inject' }).click();
  await expect(page.getByTestId('whatif-outcome')).toBeVisible({ timeout: 60_000 });

  // Clear takes the injection and its boxes away.
  await panel.getByRole('button', { name: 'Clear' }).click();
  await expect(page.getByTestId('whatif-outcome')).toBeHidden();
  await expect.poll(() => outlineCount(page)).toBe(0);

  // A box placed on one lumisection does not follow to the next.
  await panel.getByLabel('Ladder', { exact: true }).fill('-3');
  await panel.getByLabel('Module', { exact: true }).fill('2');
  await expect.poll(() => outlineCount(page)).toBeGreaterThan(0);
  await page.getByRole('button', { name: 'Next lumisection' }).click();
  await expect(selected).not.toHaveText(first!);
  await expect.poll(() => outlineCount(page)).toBe(0);
  await expect(page.getByTestId('whatif-position')).toContainText('choose');

  // An unknown lumisection is said in words next to the field, and clearing the field clears it.
  const goTo = page.getByLabel('Go to lumisection (run:LS)');
  await goTo.fill('398100:999');
  await goTo.press('Enter');
  const why = page.getByTestId('goto-ls-problem');
  await expect(why).toHaveText('No LS 999 in run 398100 (it has LS 1–60).');
  await goTo.fill('');
  await expect(why).toBeHidden();
  await expect(goTo).not.toHaveAttribute('aria-invalid', 'true');
});

test('a folder with only template.yaml: Preview says what is missing and leads to the joblib import, not to a preset that cannot run', async ({
  page,
  host,
}) => {
  const project = makeTempDir('dism-e2e-onlytemplate-');
  copyFileSync('test/fixtures/templates/pixel-barrel-nmf.template.yaml', path.join(project, 'template.yaml'));
  await gotoApp(page, host, { project, step: 'preview' });
  const err = page.getByTestId('preview-error');
  await expect(err).toBeVisible({ timeout: 60_000 });
  await expect(err).toContainText('no model files');
  await expect(err).toContainText('model/nmf_BPix2.onnx');
  await expect(err.getByRole('button', { name: /Create preset\.json/ })).toHaveCount(0);
  await err.getByRole('button', { name: /Import the trained model/ }).click();
  await expect(page.locator('main.app-main')).toHaveAttribute('data-step', 'model');
  await expect(page.getByRole('heading', { name: /Import a trained PixelNMF/ })).toBeVisible();
});
