import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test, expect, gotoApp, makeTempDir } from './fixtures';

const FIXTURE = path.resolve('test/fixtures/templates/pixel-barrel-nmf.template.yaml');
const NAME_FIELD = '[data-path="Resources.PixelNMF.Properties.Name"]';

function makeProject(): string {
  const dir = makeTempDir('dism-e2e-template-');
  copyFileSync(FIXTURE, path.join(dir, 'template.yaml'));
  mkdirSync(path.join(dir, 'mlserver-model'));
  writeFileSync(path.join(dir, 'mlserver-model', 'app.py'), 'from mlserver import MLModel\n\n\nclass Handler(MLModel):\n    pass\n');
  writeFileSync(path.join(dir, 'mlserver-model', 'pixelnmf.joblib'), 'stand-in model bytes');
  return dir;
}

test('form edit updates the YAML, YAML errors show in the form, save keeps comments', async ({ page, host }) => {
  const project = makeProject();
  await gotoApp(page, host, { project, step: 'template' });
  const yaml = page.locator('.cm-content');
  const nameInput = page.locator(`${NAME_FIELD} input`);
  await expect(nameInput).toHaveValue('pixel-barrel-nmf');
  // The production template: only legacy TYPE_* warnings, no errors.
  await expect(page.getByTestId('error-count')).toHaveText('0 errors');
  await expect(page.locator('.problems-panel')).toContainText('17 warnings');

  // 1. Form → YAML
  await nameInput.fill('pixel-barrel-nmf-e2e');
  await expect(yaml).toContainText('Name: pixel-barrel-nmf-e2e');
  await expect(page.getByTestId('unsaved-marker')).toBeVisible();

  // 2. YAML → form: an invalid Name typed in the YAML pane shows as the form field's error.
  await page.locator('.cm-line', { hasText: 'Name: pixel-barrel-nmf-e2e' }).click();
  // The form follows the YAML cursor.
  await expect(page.locator(NAME_FIELD)).toHaveClass(/tf-highlight/);
  await page.keyboard.press('End');
  await page.keyboard.type('_');
  await expect(nameInput).toHaveValue('pixel-barrel-nmf-e2e_');
  await expect(nameInput).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator(`${NAME_FIELD} .field-error`)).toContainText('The Name must be lowercase letters, digits');
  await expect(page.getByTestId('error-count')).toHaveText('1 error');

  // One history for both panes: undo the YAML edit, then the form edit; redo the form edit.
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(nameInput).toHaveValue('pixel-barrel-nmf-e2e');
  await expect(nameInput).toHaveAttribute('aria-invalid', 'false');
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(nameInput).toHaveValue('pixel-barrel-nmf');
  await expect(page.getByTestId('unsaved-marker')).toBeHidden();
  await page.getByRole('button', { name: 'Redo' }).click();
  await expect(nameInput).toHaveValue('pixel-barrel-nmf-e2e');

  // 3. Save → the file on disk has the change and still every comment; only the Name line differs.
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(page.getByTestId('unsaved-marker')).toBeHidden();
  const saved = readFileSync(path.join(project, 'template.yaml'), 'utf8');
  const original = readFileSync(FIXTURE, 'utf8');
  expect(saved).toContain('      Name: pixel-barrel-nmf-e2e\n');
  for (const comment of [
    '# general properties',
    '#- Name: BPix1',
    '# only start at 2025F',
    '# updated recommendation: do not set requests or limits for resources,',
  ])
    expect(saved).toContain(comment);
  const diff = original.split('\n').flatMap((l, i) => (l === saved.split('\n')[i] ? [] : [i + 1]));
  expect(diff).toEqual([11]);
  expect(readFileSync(path.join(project, 'template.yaml.dism-studio.bak'), 'utf8')).toBe(original);
});

test('one-click TYPE_* migration, list reordering and a change on disk offered for reload', async ({ page, host }) => {
  const project = makeProject();
  await gotoApp(page, host, { project, step: 'template' });
  await expect(page.locator(`${NAME_FIELD} input`)).toHaveValue('pixel-barrel-nmf');

  await page.locator('.problem', { hasText: 'TYPE_INT32' }).first().getByRole('button', { name: 'Migrate all TYPE_* data types' }).click();
  await expect(page.locator('.problems-panel')).toContainText('0 warnings');

  const inputs = page.getByRole('region', { name: 'InputSignature' });
  await inputs.locator('.tf-list-item').nth(2).getByRole('button', { name: 'Move up' }).click();
  await expect(inputs.locator('.tf-list-item-head strong')).toHaveText(['BPix2', 'BPix4', 'BPix3']);

  // Another program rewrites the file: the editor offers reload or keep.
  const external = readFileSync(FIXTURE, 'utf8').replace('MaxRunNumber: 999999', 'MaxRunNumber: 400000');
  writeFileSync(path.join(project, 'template.yaml'), external);
  const banner = page.getByTestId('disk-change');
  await expect(banner).toContainText('was changed on disk by another program');
  await banner.getByRole('button', { name: 'Reload from disk' }).click();
  await expect(inputs.locator('.tf-list-item-head strong')).toHaveText(['BPix2', 'BPix3', 'BPix4']);
  await expect(page.locator('.problems-panel')).toContainText('17 warnings');
  await expect(page.getByTestId('unsaved-marker')).toBeHidden();
  // Reloading is undoable: the migrated, reordered text comes back.
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(inputs.locator('.tf-list-item-head strong')).toHaveText(['BPix2', 'BPix4', 'BPix3']);
  await expect(page.locator('.problems-panel')).toContainText('0 warnings');
  await expect(page.getByTestId('unsaved-marker')).toBeVisible();
});

test('new-template wizard: the pixel NMF preset gives BPix2-4, OMS metadata and conditions', async ({ page, host }) => {
  const project = makeTempDir('dism-e2e-newtemplate-');
  await gotoApp(page, host, { project, step: 'template' });
  const wizard = page.getByRole('group', { name: 'New template' });
  await expect(wizard).toContainText('PXLayer_2');
  await wizard.getByLabel('Name').fill('pixel-nmf-e2e');
  await wizard.getByRole('button', { name: 'Create template.yaml' }).click();
  await expect(page.locator('[data-path="Resources.PixelNMF.Properties.Name"] input')).toHaveValue('pixel-nmf-e2e');
  const written = readFileSync(path.join(project, 'template.yaml'), 'utf8');
  for (const s of [
    'TemplateFormatVersion: "2025-03-31"',
    'PXLayer_2',
    'PXLayer_3',
    'PXLayer_4',
    'Endpoint: hltpathrates',
    'MinRunNumber: 396598',
    '# ',
  ])
    expect(written).toContain(s);
  // Schema-valid; only the model files the preset refers to are still missing in this empty project.
  await expect(page.locator('.problem-error')).toHaveCount(2);
  await expect(page.locator('.problems-list')).toContainText('CodeUri: folder not found: mlserver-model/');
  await expect(page.locator('.problems-list')).toContainText('ModelUri: file not found: mlserver-model/pixelnmf.joblib');
});

test('unsaved edits survive a reload as a recovery draft in the user-data dir', async ({ page, host }) => {
  const project = makeProject();
  page.on('dialog', (d) => void d.accept());
  await gotoApp(page, host, { project, step: 'template' });
  const nameInput = page.locator(`${NAME_FIELD} input`);
  await nameInput.fill('pixel-nmf-draft');
  const drafts = path.join(host.userDataDir, 'template-drafts');
  await expect.poll(() => (existsSync(drafts) ? readdirSync(drafts).length : 0)).toBe(1);
  await page.reload();
  await expect(nameInput).toHaveValue('pixel-barrel-nmf');
  const banner = page.getByRole('alert').filter({ hasText: 'were recovered' });
  await banner.getByRole('button', { name: 'Restore them' }).click();
  await expect(nameInput).toHaveValue('pixel-nmf-draft');
  await expect(page.getByTestId('unsaved-marker')).toBeVisible();
  expect(readFileSync(path.join(project, 'template.yaml'), 'utf8')).toBe(readFileSync(FIXTURE, 'utf8'));
});

test('resources: add from a type skeleton, duplicate, remove', async ({ page, host }) => {
  const project = makeProject();
  page.on('dialog', (d) => void d.accept());
  await gotoApp(page, host, { project, step: 'template' });
  await expect(page.locator(`${NAME_FIELD} input`)).toHaveValue('pixel-barrel-nmf');
  const tabs = page.getByRole('tablist', { name: 'Resources' }).getByRole('tab');

  await page.getByRole('button', { name: '+ Resource' }).click();
  const add = page.getByRole('group', { name: 'Add resource' });
  await add.getByLabel('Type').selectOption({ label: 'Triton · ONNX' });
  await add.getByLabel('ResourceKey').fill('OnnxModel');
  await add.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(tabs).toHaveText(['PixelNMF', /^OnnxModel/]);
  await expect(page.locator('[data-path="Resources.OnnxModel.Properties.Name"] input')).toHaveValue('onnxmodel');
  await expect(page.locator('[data-path="Resources.OnnxModel.Properties.MaxBatchSize"] input')).toHaveValue('0');

  await page.getByRole('button', { name: 'Duplicate' }).click();
  await expect(tabs).toHaveText(['PixelNMF', /^OnnxModel/, /^OnnxModel2/]);
  await expect(page.locator('[data-path="Resources.OnnxModel2.Properties.Name"] input')).toHaveValue('onnxmodel-copy');

  await page.getByRole('button', { name: 'Remove' }).first().click();
  await expect(tabs).toHaveText(['PixelNMF', /^OnnxModel/]);
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(page.getByTestId('unsaved-marker')).toBeHidden();
  const saved = readFileSync(path.join(project, 'template.yaml'), 'utf8');
  expect(saved.startsWith(readFileSync(FIXTURE, 'utf8'))).toBe(true);
  expect(saved).toContain('\n  OnnxModel:\n    Type: InferenceService::Tritonserver::ONNX\n');
  expect(saved).not.toContain('OnnxModel2');
});

test('a CRLF template keeps its line endings through editing and saving', async ({ page, host }) => {
  const project = makeProject();
  const crlf = readFileSync(FIXTURE, 'utf8').replace(/\n/g, '\r\n');
  writeFileSync(path.join(project, 'template.yaml'), crlf);
  await gotoApp(page, host, { project, step: 'template' });
  const nameInput = page.locator(`${NAME_FIELD} input`);
  await expect(nameInput).toHaveValue('pixel-barrel-nmf');
  await nameInput.fill('pixel-crlf');
  await page.keyboard.press('Control+s');
  await expect(page.getByTestId('unsaved-marker')).toBeHidden();
  expect(readFileSync(path.join(project, 'template.yaml'), 'utf8')).toBe(crlf.replace('Name: pixel-barrel-nmf', 'Name: pixel-crlf'));
});

test('a template with thousands of problems lists the first 200 and says how many; an oversized one gets one plain problem', async ({
  page,
  host,
}) => {
  const project = makeTempDir('dism-e2e-template-limits-');
  // 400 resources without Workspace and Properties: a few problems each, well over the 200 listed.
  let text = 'TemplateFormatVersion: "2025-03-31"\nDescription: many resources\nResources:\n';
  for (let i = 0; i < 400; i++) text += `  R${i}:\n    Type: InferenceService::MLServer::SKLearn\n`;
  writeFileSync(path.join(project, 'template.yaml'), text);
  mkdirSync(path.join(project, 'big'));
  writeFileSync(path.join(project, 'big', 'template.yaml'), `${text}#${'x'.repeat(1_100_000)}\n`);
  await page.setViewportSize({ width: 1440, height: 900 });
  await gotoApp(page, host, { project, step: 'template' });
  const panel = page.locator('.problems-panel');
  await expect(panel).toContainText(/Showing the first 200 of [\d,]+ problems \(errors first\)\. The list updates as you fix them\./);
  await expect(panel.locator('.problem:not(.problem-note)')).toHaveCount(200);
  const total = Number((await panel.locator('.problem-note').first().textContent())!.match(/of ([\d,]+) problems/)![1].replace(/,/g, ''));
  expect(total).toBeGreaterThan(400);
  // The header counts every problem, not only the ones listed.
  const errors = Number((await page.getByTestId('error-count').textContent())!.split(' ')[0]);
  const warnings = Number((await panel.locator('.count-warning').textContent())!.split(' ')[0]);
  expect(errors + warnings).toBe(total);
  // Fields beyond the listed 200 still show their own problems.
  await expect(page.getByRole('tab', { name: 'R399', exact: false }).locator('.badge-error')).toHaveText('2');
  await page.screenshot({ path: 'test-results/screenshots/template-many-problems-1440.png' });
  await page.setViewportSize({ width: 1024, height: 700 });
  await page.screenshot({ path: 'test-results/screenshots/template-many-problems-1024.png' });

  await page.setViewportSize({ width: 1440, height: 900 });
  await page.getByLabel('Template file').selectOption('big/template.yaml');
  await expect(panel.locator('.problem')).toHaveCount(1);
  await expect(panel).toContainText(
    'This template is 1.1 MB; DISM Studio checks templates up to 1.0 MB (a DISM template is usually a few kB). Check that this is the right file.',
  );
  await expect(page.getByRole('note')).toHaveText(
    'This template is too large for DISM Studio to show it as a form (see Problems below). Its text is unchanged in the YAML pane.',
  );
  await page.screenshot({ path: 'test-results/screenshots/template-too-large-1440.png' });
  await page.setViewportSize({ width: 1024, height: 700 });
  await page.screenshot({ path: 'test-results/screenshots/template-too-large-1024.png' });
});
