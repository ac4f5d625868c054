import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { test, expect, gotoApp, makeTempDir } from './fixtures';

/**
 * Where the Export step may write, and what it asks before replacing — in the real browser host,
 * no container engine needed: the project already holds a build. Screenshots of every refusal
 * and question at 1440×900 and 1024×700 go to test-results/screenshots/.
 */
const SCREENSHOTS = path.join('test-results', 'screenshots');
const SIZES = [
  { width: 1440, height: 900 },
  { width: 1024, height: 700 },
];

/** Screenshots at both sizes, with `focus` (what the user just got) scrolled into view as the app does. */
async function shoot(page: Page, name: string, focus?: Locator): Promise<void> {
  for (const size of SIZES) {
    await page.setViewportSize(size);
    await focus?.scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${size.width}x${size.height}.png`) });
  }
  await page.setViewportSize(SIZES[0]);
}

function listTree(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? listTree(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]))
    .sort();
}

test('export refuses targets in, at or around the project, asks before replacing an earlier export, survives an unwritable folder', async ({
  page,
  host,
}) => {
  const root = makeTempDir('dism-e2e-target-');
  const project = path.join(root, 'pixel-project');
  mkdirSync(path.join(project, '.dism-artifacts', 'build', 'PixelNMF'), { recursive: true });
  copyFileSync('test/fixtures/templates/pixel-barrel-nmf.template.yaml', path.join(project, 'template.yaml'));
  copyFileSync('test/fixtures/templates/pixel-barrel-nmf.template.yaml', path.join(project, '.dism-artifacts', 'build', 'template.yaml'));
  writeFileSync(path.join(project, '.dism-artifacts', 'build', 'PixelNMF', 'app.py'), 'class Handler: pass\n');
  const before = listTree(project);
  const out = path.join(root, 'exports');
  mkdirSync(out);

  await gotoApp(page, host, { project, step: 'export' });
  const form = page.locator('.export-form');
  await expect(form).toBeVisible();
  const exportButton = form.getByRole('button', { name: 'Export', exact: true });
  const refusal = page.getByTestId('export-refusal');

  // The project itself (folder format, named like the project, next to it): refused, in words.
  await form.getByLabel('As').selectOption('folder');
  await form.getByLabel('Into folder').fill(root);
  await form.getByLabel('Name').fill('pixel-project');
  await exportButton.click();
  await expect(refusal).toContainText('that is the project folder itself');
  await expect(refusal).toContainText('Choose a folder outside');
  await shoot(page, 'export-refused-project', refusal);

  // A folder containing the project.
  await form.getByLabel('Into folder').fill(path.dirname(root));
  await form.getByLabel('Name').fill(path.basename(root));
  await expect(refusal).toBeHidden(); // a changed target needs a new answer
  await exportButton.click();
  await expect(refusal).toContainText('contains the project folder');
  await expect(refusal).toContainText('replacing it would delete the project');

  // Inside the project.
  await form.getByLabel('Into folder').fill(project);
  await form.getByLabel('Name').fill('exports');
  await exportButton.click();
  await expect(refusal).toContainText('inside the project folder');
  expect(listTree(project)).toEqual(before);

  // A folder of the user's that is not an export.
  mkdirSync(path.join(out, 'my-notes'));
  writeFileSync(path.join(out, 'my-notes', 'notes.txt'), 'mine');
  await form.getByLabel('Into folder').fill(out);
  await form.getByLabel('Name').fill('my-notes');
  await exportButton.click();
  await expect(refusal).toContainText('is not a DISM Studio export');
  await shoot(page, 'export-refused-not-an-export', refusal);
  expect(readFileSync(path.join(out, 'my-notes', 'notes.txt'), 'utf8')).toBe('mine');

  // A real export, then the question before replacing it.
  await form.getByLabel('Name').fill('pixel-export');
  await exportButton.click();
  await expect(page.getByTestId('export-result')).toContainText('Exported 2 files');
  await exportButton.click();
  const confirm = page.getByRole('dialog', { name: 'Replace existing export' });
  await expect(confirm).toContainText(path.join(out, 'pixel-export'));
  await expect(confirm).toContainText('an earlier export folder with 2 files, made');
  await expect(confirm).toContainText('only once the new export is complete');
  await shoot(page, 'export-replace-question');
  await confirm.getByRole('button', { name: 'Replace' }).click();
  await expect(page.getByTestId('export-result')).toContainText('replaced the previous export');

  // An archive into a folder nobody can write: the job fails readably and the host keeps answering.
  await form.getByLabel('As').selectOption('tar.gz');
  await form.getByLabel('Into folder').fill('/sys');
  await form.getByLabel('Name').fill('pixel-export');
  await exportButton.click();
  await expect(page.getByTestId('export-failed')).toContainText('Could not write the export /sys/pixel-export.tar.gz: permission denied');
  await shoot(page, 'export-unwritable', page.getByTestId('export-failed'));
  await form.getByLabel('Into folder').fill(out);
  await exportButton.click();
  await expect(page.getByTestId('export-result')).toContainText('Exported 2 files');
  expect(listTree(project)).toEqual(before);
});

test('importing a joblib again asks before replacing the earlier import (and its tuned preset)', async ({ page, host }) => {
  const project = makeTempDir('dism-e2e-reimport-');
  copyFileSync('test/fixtures/templates/pixel-barrel-nmf.template.yaml', path.join(project, 'template.yaml'));
  mkdirSync(path.join(project, 'preview-PixelNMF'));
  writeFileSync(path.join(project, 'preview-PixelNMF', 'preset.json'), '{"tuned": true}\n');
  await gotoApp(page, host, { project });
  const card = page.locator('.import-joblib');
  await card.getByRole('button', { name: 'Import for preview' }).click();
  const confirm = page.getByRole('dialog', { name: 'Replace the earlier import' });
  await expect(confirm).toContainText('already holds an imported model');
  await expect(confirm).toContainText('preset.json.dism-studio.bak');
  await shoot(page, 'import-replace-question');
  await confirm.getByRole('button', { name: 'Keep it' }).click();
  await expect(confirm).toBeHidden();
  expect(readFileSync(path.join(project, 'preview-PixelNMF', 'preset.json'), 'utf8')).toBe('{"tuned": true}\n');
});
