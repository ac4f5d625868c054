import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test, expect, gotoApp, makeTempDir } from './fixtures';

/**
 * Issue 15 items 12 and 13: Escape closes the engine pop-up and dialogs (focus back where it was);
 * the folder browser shows files greyed so the template one is looking for can be seen, only
 * folders can be opened, and folders holding a template are marked.
 */

test('Escape closes the engine pop-up and the folder dialog, and the keyboard is back on the button that opened them', async ({
  page,
  host,
}) => {
  await gotoApp(page, host);
  await expect(page.locator('.status-project')).toHaveText('Demo project', { timeout: 60_000 });
  const status = page.getByTestId('engine-status');
  await status.click();
  const popover = page.getByRole('dialog', { name: 'Container engine' });
  await expect(popover).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(popover).toBeHidden();
  await expect(status).toBeFocused();
  await expect(status).toHaveAttribute('aria-expanded', 'false');

  const open = page.getByRole('button', { name: 'Open project folder…' });
  await open.click();
  const dialog = page.getByRole('dialog', { name: 'Choose a project folder' });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByLabel('Folder path')).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(open).toBeFocused();
});

test('the folder browser lists files greyed, opens only folders and marks those that hold a template', async ({ page, host }) => {
  const parent = makeTempDir('dism-e2e-browse-');
  const project = path.join(parent, 'pixel-model');
  mkdirSync(project);
  writeFileSync(path.join(project, 'template.yaml'), 'TemplateFormatVersion: "2025-03-31"\n');
  writeFileSync(path.join(project, 'model.joblib'), 'x');
  mkdirSync(path.join(parent, 'notes'));
  writeFileSync(path.join(parent, 'README.txt'), 'x');

  await gotoApp(page, host);
  await expect(page.locator('.status-project')).toHaveText('Demo project', { timeout: 60_000 });
  await page.getByRole('button', { name: 'Open project folder…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Choose a project folder' });
  await dialog.getByLabel('Folder path').fill(parent);
  await dialog.getByRole('button', { name: 'Go' }).click();
  await expect(dialog.getByLabel('Folder path')).toHaveValue(parent);

  const list = dialog.locator('.folder-list');
  // Folders are buttons; the one holding template.yaml is marked, the other is not.
  const withTemplate = list.getByRole('button', { name: /pixel-model/ });
  await expect(withTemplate).toContainText('template');
  await expect(list.getByRole('button', { name: /notes/ })).not.toContainText('template');
  // A file is listed, greyed, and is not something to click.
  const file = list.locator('li', { hasText: 'README.txt' });
  await expect(file).toBeVisible();
  await expect(file).toHaveAttribute('aria-disabled', 'true');
  await expect(list.getByRole('button', { name: /README\.txt/ })).toHaveCount(0);
  await page.screenshot({ path: path.join('test-results', 'screenshots', 'folder-browser-parent.png') });

  await withTemplate.click();
  await expect(dialog.getByLabel('Folder path')).toHaveValue(project);
  await expect(list.locator('li', { hasText: 'template.yaml' })).toContainText('template');
  await expect(list.locator('li', { hasText: 'model.joblib' })).toHaveAttribute('aria-disabled', 'true');
  await expect(dialog.getByTestId('folder-holds-template')).toBeVisible();
  await page.screenshot({ path: path.join('test-results', 'screenshots', 'folder-browser-project.png') });
  await dialog.getByRole('button', { name: 'Open this folder' }).click();
  await expect(page.locator('.project-card code.path')).toHaveText(project);
});
