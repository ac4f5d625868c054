import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { test, expect, gotoApp, makeTempDir } from './fixtures';

/**
 * Editing paths a new user trips over in the Template step (issue 15): Tab in the YAML pane, a
 * syntax error as the root cause, saving with errors, quick fixes that must apply, and messages in
 * plain words.
 */

const FIXTURE = path.resolve('test/fixtures/templates/pixel-barrel-nmf.template.yaml');
const P = 'Resources.PixelNMF.Properties';

function makeProject(): string {
  const dir = makeTempDir('dism-e2e-editing-');
  copyFileSync(FIXTURE, path.join(dir, 'template.yaml'));
  mkdirSync(path.join(dir, 'mlserver-model'));
  writeFileSync(path.join(dir, 'mlserver-model', 'app.py'), 'from mlserver import MLModel\n\n\nclass Handler(MLModel):\n    pass\n');
  writeFileSync(path.join(dir, 'mlserver-model', 'pixelnmf.joblib'), 'stand-in model bytes');
  return dir;
}

async function openTemplate(page: Page, host: Parameters<typeof gotoApp>[1], project: string): Promise<void> {
  await gotoApp(page, host, { project, step: 'template' });
  await expect(page.locator(`[data-path="${P}.Name"] input`)).toHaveValue('pixel-barrel-nmf');
  await expect(page.getByTestId('error-count')).toHaveText('0 errors');
}

/** Put the YAML pane's cursor at the end of the line holding `text`. */
async function cursorAtEndOf(page: Page, text: string): Promise<void> {
  await page.locator('.cm-line', { hasText: text }).click();
  await page.keyboard.press('End');
}

test('Tab in the YAML pane never re-indents a line; a syntax error is the one problem listed; the form never shows an object as text', async ({
  page,
  host,
}) => {
  const project = makeProject();
  await openTemplate(page, host, project);

  // Tab at the end of a valid line inserts spaces there (YAML forbids tab characters): the file stays valid.
  await cursorAtEndOf(page, 'MetricKey: Metric');
  await page.keyboard.press('Tab');
  await expect(page.getByTestId('unsaved-marker')).toBeVisible();
  await expect(page.locator('.cm-line', { hasText: 'MetricKey: Metric' })).toHaveText('      MetricKey: Metric  ');
  await expect(page.getByTestId('error-count')).toHaveText('0 errors');
  expect(await page.locator('.cm-content').textContent()).not.toContain('\t');

  // The line indented one level too deep is a YAML syntax error: it is listed alone, as the root cause.
  await page.locator('.cm-line', { hasText: 'MetricKey: Metric' }).click();
  await page.keyboard.press('Home');
  await page.keyboard.type('  ');
  await expect(page.getByTestId('error-count')).toHaveText(/^[12] errors?$/);
  const problems = page.locator('.problems-list .problem-error');
  await expect(problems.first()).toContainText('YAML syntax error');
  for (const text of await problems.allTextContents()) expect(text).toContain('YAML syntax error');
  await expect(page.locator('.problems-list')).not.toContainText('Field required');
  await expect(page.getByTestId('syntax-hidden-note')).toContainText('not listed until the YAML syntax error is fixed');
  // The form says the YAML cannot be read and never renders a mapping as "[object Object]".
  await expect(page.getByTestId('form-syntax-banner')).toContainText('line 15');
  const flagging = page.locator(`[data-path="${P}.FlaggingKey"] input`);
  await expect(flagging).not.toHaveValue('[object Object]');
  await expect(page.locator('.form-pane')).not.toContainText('[object Object]');
  for (const value of await page.locator('.form-pane input').evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value)))
    expect(value).not.toContain('[object Object]');
});

test('saving a template with errors says how many and that dismcli will refuse it', async ({ page, host }) => {
  const project = makeProject();
  await openTemplate(page, host, project);
  await page.locator(`[data-path="${P}.Name"] input`).fill('Pixel_NMF');
  await expect(page.getByTestId('error-count')).toHaveText('1 error');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  const notice = page.locator('.notice', { hasText: 'Saved with 1 error' });
  await expect(notice).toBeVisible();
  await expect(notice).toContainText('dismcli will refuse');
  // Item 10: the notice has room of its own below the step; it covers none of the step's controls.
  const noticeBox = (await notice.boundingBox())!;
  const stepBox = (await page.locator('main.app-main').boundingBox())!;
  expect(noticeBox.y).toBeGreaterThanOrEqual(stepBox.y + stepBox.height);
  await expect(page.locator('.saved-marker')).toContainText('1 error');
  expect(readFileSync(path.join(project, 'template.yaml'), 'utf8')).toContain('Name: Pixel_NMF');
});

test('a quick fix is offered only when it applies: a misspelt duplicate key is offered for removal', async ({ page, host }) => {
  const project = makeProject();
  await openTemplate(page, host, project);
  await cursorAtEndOf(page, 'MetricKey: Metric');
  await page.keyboard.press('Enter');
  await page.keyboard.type('MetricKye: Flag');
  const problem = page.locator('.problem', { hasText: 'MetricKye' });
  await expect(problem).toBeVisible();
  await expect(problem.getByRole('button', { name: /Rename/ })).toHaveCount(0);
  await problem.getByRole('button', { name: 'Remove MetricKye' }).click();
  await expect(page.locator('.cm-content')).not.toContainText('MetricKye');
  await expect(page.locator('.cm-content')).toContainText('MetricKey: Metric');
  await expect(page.locator('.notice-error')).toHaveCount(0);
  await expect(page.locator('.problems-panel')).toContainText('17 warnings');
});

test('problems read in plain words first: no regex, no "(not None)", no literal backticks', async ({ page, host }) => {
  const project = makeProject();
  await openTemplate(page, host, project);
  const yaml = readFileSync(FIXTURE, 'utf8')
    .replace('Name: pixel-barrel-nmf', 'Name: Pixel_NMF')
    .replace('      FlaggingKey: Flag\n', '')
    .replace(
      '        MaxRunNumber: 999999\n',
      '        MaxRunNumber: 999999\n        NoComponentOut: true\n        AllowedComponentsOut: [ctpps]\n',
    );
  writeFileSync(path.join(project, 'template.yaml'), yaml);
  await page.getByTestId('disk-change').getByRole('button', { name: 'Reload from disk' }).click();
  const list = page.locator('.problems-list');
  await expect(page.getByTestId('error-count')).toHaveText('3 errors');
  await expect(list).toContainText('The Name must be lowercase');
  await expect(list).toContainText('FlaggingKey');
  const plain = (await list.locator('.problem-message').allTextContents()).join('\n');
  for (const raw of ['(not None)', 'RFC 1123', '^[a-z0-9]', '`', 'Input should be']) expect(plain).not.toContain(raw);
  // DISM's own wording stays available, after the plain words.
  await expect(list.locator('.problem-detail', { hasText: 'RFC 1123' })).toBeAttached();
  await page.screenshot({ path: path.join('test-results', 'screenshots', 'template-plain-problems.png') });
});
