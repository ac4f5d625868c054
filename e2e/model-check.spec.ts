import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { test, expect, gotoApp, makeTempDir } from './fixtures';

/**
 * "Will DIALS load it?" in Chromium: a model folder that imports a helper package from outside it
 * and a pickle naming a class there → red panel in the Model step and a red line in Build & Run →
 * vendor (diff first) → re-dump → green panel and green line. Walked at 1440×900 and 1024×700.
 */
const STAND_IN_IMAGE = 'dism-test/mlserver:1.5.0';
const SCREENSHOTS = path.join('test-results', 'screenshots');

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

const HANDLER = `import numpy as np
from mlserver import MLModel
from mlserver.codecs import NumpyCodec
from mlserver.types import InferenceRequest, InferenceResponse

from tools import dftools


class Handler(MLModel):
    async def load(self):
        self.ready = True
        return True

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        x = NumpyCodec.decode_input(payload.inputs[0])
        s = dftools.total(x)
        return InferenceResponse(model_name=self.name, outputs=[
            NumpyCodec.encode_output(name="Flag", payload=s > 10),
            NumpyCodec.encode_output(name="Metric", payload=s.astype(np.float32)),
        ])
`;

function makeProject(): string {
  const dir = makeTempDir('dism-e2e-check-');
  mkdirSync(path.join(dir, 'mlserver-model'));
  mkdirSync(path.join(dir, 'tools'));
  writeFileSync(path.join(dir, 'mlserver-model', 'app.py'), HANDLER);
  writeFileSync(path.join(dir, 'tools', '__init__.py'), '');
  writeFileSync(
    path.join(dir, 'tools', 'dftools.py'),
    'from tools.rebinning import flat\n\n\nclass Thing(object):\n    pass\n\n\ndef total(x):\n    return flat(x).sum(axis=1)\n',
  );
  writeFileSync(path.join(dir, 'tools', 'rebinning.py'), 'def flat(x):\n    return x.reshape(x.shape[0], -1)\n');
  // A protocol 2 pickle of a tools.dftools.Thing (GLOBAL, EMPTY_TUPLE, NEWOBJ, EMPTY_DICT, BUILD, STOP).
  writeFileSync(
    path.join(dir, 'mlserver-model', 'model.bin'),
    Buffer.from('\x80\x02ctools.dftools\nThing\nq\x00)\x81q\x01}q\x02b.', 'latin1'),
  );
  const template = readFileSync(path.resolve('e2e/model-check.template.yaml'), 'utf8').replace('IMAGE', STAND_IN_IMAGE);
  writeFileSync(path.join(dir, 'template.yaml'), template);
  return dir;
}

test.beforeAll(() => {
  execFileSync('bash', ['test/stand-ins/mlserver/build.sh', STAND_IN_IMAGE], { stdio: 'inherit' });
});

test('Model step panel and Build & Run line: red, vendor with the diff, re-dump, green', async ({ page, host }) => {
  test.setTimeout(240_000);
  const project = makeProject();
  await gotoApp(page, host, { project });
  const panel = page.getByTestId('model-check');
  await expect(panel.getByRole('heading', { name: 'Will DIALS load it?' })).toBeVisible();
  await panel.getByRole('button', { name: 'Check', exact: true }).click();
  await expect(panel.locator('.check-headline')).toContainText('DIALS will not load it', { timeout: 120_000 });
  const row = (id: string) => panel.locator(`.check-row[data-check="${id}"]`);
  await expect(row('imports')).toHaveAttribute('data-status', 'error');
  await expect(row('imports')).toContainText(
    'tools.dftools cannot be imported: found at ../tools/dftools.py, outside the model folder: DIALS will not ship it',
  );
  await expect(row('imports')).toContainText('mlserver-model/app.py:6');
  await expect(row('pickle')).toHaveAttribute('data-status', 'error');
  await expect(row('load')).toHaveAttribute('data-status', 'error');
  await expect(row('load').locator('.traceback')).toContainText("ModuleNotFoundError: No module named 'tools'");
  await expect(row('versions')).toHaveAttribute('data-status', 'skipped');
  await panel.scrollIntoViewIfNeeded();
  await shot(page, 'model-check-red-1440');
  await page.setViewportSize({ width: 1024, height: 700 });
  await shot(page, 'model-check-red-1024');
  await page.setViewportSize({ width: 1440, height: 900 });

  // Build & Run shows the same verdict in one line before a server is started.
  await page.locator('nav [data-step="build-run"]').click();
  const line = page.getByTestId('model-check-line');
  await expect(line).toHaveAttribute('data-status', 'error');
  await expect(line).toContainText('Will DIALS load it? DIALS will not load it');
  await shot(page, 'build-run-check-line-red-1440');
  await page.locator('nav [data-step="model"]').click();

  // Vendor: the diff first, nothing written until confirmed.
  await row('imports').getByRole('button', { name: 'Vendor…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Vendor the modules into the model folder' });
  await expect(dialog).toContainText('tools.dftools (tools/dftools.py) → dftools.py');
  await expect(dialog).toContainText('tools.rebinning (tools/rebinning.py) → rebinning.py');
  await expect(dialog.getByLabel('Changes to mlserver-model/app.py')).toContainText('-from tools import dftools');
  await expect(dialog.getByLabel('Changes to mlserver-model/app.py')).toContainText('+import dftools');
  await expect(dialog.getByLabel('Changes to mlserver-model/dftools.py')).toContainText('+from rebinning import flat');
  await shot(page, 'model-check-vendor-diff-1440');
  await page.setViewportSize({ width: 1024, height: 700 });
  await shot(page, 'model-check-vendor-diff-1024');
  await page.setViewportSize({ width: 1440, height: 900 });
  expect(readFileSync(path.join(project, 'mlserver-model', 'app.py'), 'utf8')).toBe(HANDLER);
  await dialog.getByRole('button', { name: 'Write 3 files' }).click();
  await expect(dialog).toBeHidden();

  // The pickle names tools.dftools.Thing: the two ways out, never a model that silently fails to unpickle.
  const waysOut = panel.locator('.pickle-ways-out');
  await expect(waysOut).toContainText('tools.dftools.Thing is now dftools.Thing');
  // checked again after vendoring: imports are fine now, the pickle's old module path is what is left
  await expect(row('imports')).toHaveAttribute('data-status', 'ok', { timeout: 120_000 });
  await expect(row('pickle')).toHaveAttribute('data-status', 'error');
  await expect(row('pickle')).toContainText(
    'The pickle names tools.dftools.Thing, but that module was vendored as mlserver-model/dftools.py',
  );
  await waysOut.scrollIntoViewIfNeeded();
  await shot(page, 'model-check-ways-out-1440');
  await waysOut.getByRole('button', { name: 'Re-dump the model (recommended)' }).click();
  await expect(panel.locator('.check-headline')).toContainText('DIALS should load it', { timeout: 120_000 });
  for (const id of ['imports', 'pickle', 'load']) await expect(row(id)).toHaveAttribute('data-status', 'ok');
  expect(readFileSync(path.join(project, 'mlserver-model', 'app.py'), 'utf8')).toContain('\nimport dftools\n');
  expect(readFileSync(path.join(project, 'mlserver-model', 'app.py.dism-studio.bak'), 'utf8')).toBe(HANDLER);
  await shot(page, 'model-check-green-1440');
  await page.setViewportSize({ width: 1024, height: 700 });
  await shot(page, 'model-check-green-1024');

  await page.locator('nav [data-step="build-run"]').click();
  await expect(line).toHaveAttribute('data-status', 'ok');
  await expect(line).toContainText('DIALS should load it');
  await shot(page, 'build-run-check-line-green-1024');
  await page.setViewportSize({ width: 1440, height: 900 });
  await shot(page, 'build-run-check-line-green-1440');
});
