import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test, expect, gotoApp, makeTempDir } from './fixtures';

/**
 * A physicist's trained PixelNMF: pickled in the runtime image (the local Debian stand-in with
 * python3-sklearn), imported from the Model step, then previewed with the imported preset.
 */
const IMAGE = 'dism-test/debian-base:bookworm';
const haveImage = (() => {
  try {
    execFileSync('docker', ['image', 'inspect', IMAGE], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

test.skip(!haveImage, `${IMAGE} is not built (test/stand-ins/debian-base/build.sh)`);

test('import a trained PixelNMF joblib from the Model step and preview it', async ({ page, host }) => {
  const project = makeTempDir('dism-e2e-joblib-');
  const made = path.join(project, '.made');
  mkdirSync(made);
  const codeuri = path.resolve('test/fixtures/pixelnmf-codeuri');
  execFileSync(
    'docker',
    [
      'run',
      '--rm',
      '--network',
      'none',
      '--label',
      'dism.studio=1',
      '--label',
      'dism.role=test-make-model',
      '-e',
      'PYTHONDONTWRITEBYTECODE=1',
      '-v',
      `${codeuri}:/code:ro`,
      '-v',
      `${path.resolve('test/import-joblib/make_test_model.py')}:/make.py:ro`,
      '-v',
      `${made}:/out`,
      IMAGE,
      'python3',
      '/make.py',
      '/code',
      '/out',
    ],
    { stdio: 'pipe', timeout: 240_000 },
  );
  cpSync(codeuri, path.join(project, 'mlserver-model'), { recursive: true });
  copyFileSync(path.join(made, 'pixelnmf.joblib'), path.join(project, 'mlserver-model', 'pixelnmf.joblib'));
  const me = (n: number) => `PixelPhase1/Phase1_MechanicalView/PXBarrel/clusters_per_SignedModuleCoord_per_SignedLadderCoord_PXLayer_${n}`;
  writeFileSync(
    path.join(project, 'template.yaml'),
    [
      'TemplateFormatVersion: "2025-03-31"',
      'Description: imported PixelNMF',
      'Resources:',
      '  PixelNMF:',
      '    Type: InferenceService::MLServer::SKLearn',
      '    Properties:',
      '      Description: test model',
      '      Name: test-pixel-nmf',
      `      Image: ${IMAGE}`,
      '      BuiltinThreshold: true',
      '      FlaggingKey: Flag',
      '      InputSignature:',
      `        - {Name: BPix2, MonitoringElement: ${me(2)}, DataType: INT32, Dims: [-1, 58, 72]}`,
      `        - {Name: BPix3, MonitoringElement: ${me(3)}, DataType: INT32, Dims: [-1, 90, 72]}`,
      '      OutputSignature:',
      '        - {Name: Flag, DataType: BOOL, Dims: [-1]}',
      '      CodeUri: mlserver-model/',
      '      Handler: app.Handler',
      '      ModelUri: mlserver-model/pixelnmf.joblib',
      '',
    ].join('\n'),
  );
  // Sample maps for the preview: the reference fixture's BPix2/3 lumisections.
  const data = path.join(project, 'data');
  mkdirSync(data);
  for (const f of [
    'raw_BPix2.npy',
    'raw_BPix3.npy',
    'run_number.npy',
    'ls_number.npy',
    'omsdata_Run2025F-v1.json',
    'hltrate_Run2025F-v1.json',
  ]) {
    copyFileSync(path.resolve('test/fixtures/pixelnmf-reference/data', f), path.join(data, f));
  }

  await gotoApp(page, host, { project });
  const card = page.locator('.import-joblib');
  await expect(card.getByLabel('Resource key')).toHaveValue('PixelNMF');
  await card.getByRole('button', { name: 'Import for preview' }).click();
  await expect(card.getByRole('status')).toContainText('Imported', { timeout: 180_000 });
  await expect(card.getByRole('status')).toContainText('BPix2: 3 components, input 56×64');
  await expect(card.getByRole('status')).toContainText('BPix3: 3 components, input 88×64');
  const presetFile = path.join(project, 'preview-PixelNMF', 'preset.json');
  expect(existsSync(presetFile)).toBe(true);

  await page.locator('nav [data-step="preview"]').click();
  // The project has no preset.json of its own: the imported one is what the preview can run.
  await expect(page.getByTestId('preview-error')).toContainText('no model preset');
  await page.getByRole('button', { name: 'Preview with preview-PixelNMF/preset.json (imported PixelNMF)' }).click();
  await expect(page.getByTestId('preview-summary')).toContainText('of 24 LS', { timeout: 120_000 });
  await expect(page.locator('.preview-head')).toContainText('preview-PixelNMF');
});
