import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import type { Page } from '@playwright/test';
import { test, expect, gotoApp, makeTempDir } from './fixtures';

/**
 * Triton in Build & Run, in Chromium through the browser host, on the real container engine. The
 * Triton image the template implies (nvcr.io/nvidia/tritonserver:23.05-py3) cannot be pulled here,
 * so the error offers local look-alikes and the Triton stand-in image (dism-test/tritonserver,
 * a TEST STAND-IN built by test/stand-ins/triton/build.sh) is chosen from them.
 */

const STAND_IN_IMAGE = 'dism-test/tritonserver:23.05-py3';
const SCREENSHOTS = path.join('test-results', 'screenshots');
const docker = new Docker({ socketPath: '/var/run/docker.sock' });

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

async function containersOf(projectDir: string) {
  return docker.listContainers({ all: true, filters: { label: ['dism.studio=1', `dism.project=${projectDir}`] } });
}

async function startWithStandIn(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Start', exact: true }).click();
  const err = page.locator('.problem-card[data-code="IMAGE_NOT_AVAILABLE"]');
  await expect(err).toContainText('nvcr.io/nvidia/tritonserver:23.05-py3 is not on this machine and could not be pulled', {
    timeout: 60_000,
  });
  await err.locator('li', { hasText: STAND_IN_IMAGE }).getByRole('button', { name: 'Use this image' }).click();
}

test.beforeAll(() => {
  execFileSync('bash', ['test/stand-ins/triton/build.sh', STAND_IN_IMAGE], { stdio: 'inherit' });
});

test('the Triton demo: open it, build, start Triton, ready, test inference for every LS, stop, no container left', async ({
  page,
  host,
}) => {
  test.setTimeout(300_000);
  await gotoApp(page, host);
  // the first start opens the MLServer demo; the Triton demo is offered next to it
  await expect(page.locator('.project-card h2')).toHaveText('Demo project', { timeout: 120_000 });
  await page.getByRole('button', { name: 'Open the Triton demo' }).click();
  await expect(page.locator('.project-card h2')).toHaveText('Demo project (Triton)', { timeout: 120_000 });
  await expect(page.locator('.project-card')).toContainText('ONNX autoencoder served by Triton');
  await shot(page, 'triton-demo-model-step');
  const projectDir = (await page.locator('.project-card code.path').textContent())!.trim();
  expect(projectDir).toMatch(/demo-project-triton$/);

  await page.locator('nav [data-step="build-run"]').click();
  await page.getByRole('button', { name: 'Build locally' }).click();
  await expect(page.getByTestId('local-build-mark')).toHaveText('local build — DIALS checks not run');
  await expect(page.getByLabel('Build output')).toContainText('pixel-barrel-autoencoder-demo/config.pbtxt');
  await expect(page.getByLabel('Build output')).toContainText('pixel-barrel-autoencoder-demo/1/model.onnx');

  await startWithStandIn(page);
  const state = page.getByTestId('server-state');
  await expect(state).toHaveAttribute('data-state', 'ready', { timeout: 120_000 });
  await expect(page.getByTestId('server-url')).toHaveText(/^http:\/\/127\.0\.0\.1:\d+$/);
  const log = page.getByRole('log', { name: 'Model server log' });
  await expect(log).toContainText("successfully loaded 'pixel-barrel-autoencoder-demo'");
  await expect(log).toContainText('Started HTTPService at 0.0.0.0:8000');

  await page.getByRole('button', { name: 'Send test inference' }).click();
  await expect(page.getByTestId('inference-summary')).toContainText('120 lumisections', { timeout: 120_000 });
  await expect(page.getByTestId('inference-summary')).toContainText('outputs anomaly_score, score_BPix2, score_BPix3, score_BPix4');
  await expect(page.getByTestId('inference-decision')).toHaveText(
    /^DIALS would flag 8 of 120 lumisections: MetricKey output anomaly_score above AnomalyThreshold [\d.]+\.$/,
  );
  await expect(page.getByTestId('flags-not-compared')).toContainText('the template has no FlaggingKey');
  // an output for every LS: 120 rows, each with a number in every output column
  const table = page.getByRole('table', { name: 'Outputs per lumisection' });
  await expect(table.locator('thead th')).toHaveText([
    'run',
    'LS',
    'anomaly_score',
    'score_BPix2',
    'score_BPix3',
    'score_BPix4',
    'DIALS flag',
    'preview flag',
  ]);
  const rows = table.locator('tbody tr');
  // The table shows 25 LS a page (issue 11): walk every page.
  const inferenceTable = page.getByTestId('inference-table');
  const cells: string[][] = [];
  for (let p = 0; p < 5; p++) {
    if (p) await inferenceTable.getByRole('button', { name: 'Next →' }).click();
    await expect(page.getByTestId('inference-rows-shown')).toHaveText(`${p * 25 + 1}–${Math.min(120, (p + 1) * 25)} of 120`);
    await expect(rows).toHaveCount(p < 4 ? 25 : 20);
    cells.push(
      ...(await rows.evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent ?? '')))),
    );
  }
  expect(new Set(cells.map((c) => `${c[0]}:${c[1]}`)).size).toBe(120);
  for (const c of cells) {
    for (const v of c.slice(2, 6)) expect(Number.isFinite(Number(v))).toBe(true);
    expect(['true', 'false']).toContain(c[6]);
  }
  expect(cells.filter((c) => c[6] === 'true')).toHaveLength(8);
  await page.getByTestId('inference-decision').scrollIntoViewIfNeeded();
  await shot(page, 'triton-build-run-inference-1440');
  await page.getByTestId('server-state').scrollIntoViewIfNeeded();
  await shot(page, 'triton-build-run-server-1440');
  await page.setViewportSize({ width: 1024, height: 700 });
  await page.getByTestId('inference-decision').scrollIntoViewIfNeeded();
  await shot(page, 'triton-build-run-inference-1024');
  await page.getByTestId('server-state').scrollIntoViewIfNeeded();
  await shot(page, 'triton-build-run-server-1024');
  await page.setViewportSize({ width: 1440, height: 900 });

  await page.getByRole('button', { name: 'Stop' }).click();
  await expect(state).toHaveAttribute('data-state', 'stopped', { timeout: 60_000 });
  expect(await containersOf(projectDir)).toHaveLength(0);
});

test('a Triton Python model whose initialize() raises: Triton’s words shown at the template field, no container left', async ({
  page,
  host,
}) => {
  test.setTimeout(300_000);
  const dir = makeTempDir();
  mkdirSync(path.join(dir, 'code'));
  writeFileSync(
    path.join(dir, 'code/model.py'),
    'class TritonPythonModel:\n    def initialize(self, args):\n        raise ValueError("cannot open the calibration file")\n\n    def execute(self, requests):\n        return []\n',
  );
  writeFileSync(path.join(dir, 'code/weights.txt'), '1');
  writeFileSync(
    path.join(dir, 'template.yaml'),
    `TemplateFormatVersion: "2025-03-31"
Description: a Python model that cannot start
Resources:
  Py:
    Type: InferenceService::Tritonserver::Python
    Workspace: global
    Properties:
      Description: fails in initialize
      Name: broken-init
      BuiltinThreshold: false
      AnomalyThreshold: 1
      MetricKey: Metric
      MaxBatchSize: 0
      CodeUri: code/
      ModelUri: code/weights.txt
      InputSignature:
        - Name: A
          MonitoringElement: Test/A
          DataType: INT32
          Dims: [-1, 2, 2]
      OutputSignature:
        - Name: Metric
          DataType: FP32
          Dims: [-1]
`,
  );
  await gotoApp(page, host, { project: dir, step: 'build-run' });
  await startWithStandIn(page);
  const card = page.locator('.problem-card[data-code="MODEL_LOAD_FAILED"]');
  await expect(card).toContainText('Triton could not load the model', { timeout: 120_000 });
  const problem = card.getByRole('list', { name: 'Problems by template field' }).locator('li');
  await expect(problem).toHaveCount(1);
  await expect(problem).toContainText('Resources.Py.Properties.CodeUri · template.yaml line 14');
  await expect(problem).toContainText(
    'model.py failed while running initialize() (model.py line 3): ValueError: cannot open the calibration file.',
  );
  await expect(problem).toContainText('The server said: Internal: ValueError: cannot open the calibration file');
  await expect(card.getByRole('button', { name: 'Open the Template step' })).toBeVisible();
  await shot(page, 'triton-load-failure-1440');
  await page.setViewportSize({ width: 1024, height: 700 });
  await card.scrollIntoViewIfNeeded();
  await shot(page, 'triton-load-failure-1024');
  await expect(page.getByTestId('server-state')).toHaveAttribute('data-state', 'exited');
  expect(await containersOf(dir)).toHaveLength(0);
});
