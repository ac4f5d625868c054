import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import type { Page } from '@playwright/test';
import { startDialsStandIn, type DialsStandIn } from '../test/stand-ins/dials-api/dials-stand-in';
import { test, expect, gotoApp } from './fixtures';

/**
 * DIALS in the app, in Chromium through the browser host, against the DIALS API stand-in (a test
 * double: the real DIALS cannot be reached here): sign in with the device flow on the stand-in's
 * approval page → fetch two runs for the demo template → the Preview runs on the fetched data →
 * DIALS's production flags as a timeline row and the agreement summary. The parquet the app wrote
 * is read back and compared, bin for bin, with what the stand-in serves.
 */

const SCREENSHOTS = path.join('test-results', 'screenshots');
const EXPRESS = '/StreamExpress/Run2025F-Express-v1/DQMIO';

let dials: DialsStandIn;
test.beforeAll(async () => {
  dials = await startDialsStandIn();
});
test.afterAll(async () => {
  await dials?.close();
});

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  for (const size of [
    { width: 1440, height: 900 },
    { width: 1024, height: 700 },
  ]) {
    await page.setViewportSize(size);
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${size.width}.png`) });
  }
  await page.setViewportSize({ width: 1440, height: 900 });
}

test('sign in, fetch two runs for the demo template, preview them and compare with DIALS production', async ({ page, host, context }) => {
  test.setTimeout(300_000);
  await gotoApp(page, host);
  await expect(page.locator('.project-card h2')).toHaveText('Demo project', { timeout: 120_000 });
  const demoDir = (await page.locator('.project-card code.path').textContent())!.trim();
  await page.locator('nav [data-step="preview"]').click();
  await expect(page.getByTestId('preview-step')).toHaveAttribute('data-phase', 'ready', { timeout: 120_000 });
  await expect(page.getByTestId('data-provenance')).toContainText('project files');

  // The DIALS panel: the project's instance (the Export step's choice) set to the stand-in.
  await page.getByRole('button', { name: 'Fetch real data from DIALS…' }).click();
  const panel = page.getByTestId('dials-panel');
  await panel.getByLabel('Custom DIALS URL').fill(dials.url);
  await panel.getByLabel('Custom DIALS URL').press('Enter');
  await expect(panel.getByTestId('dials-url')).toHaveText(dials.url.replace(/\/$/, ''));
  await expect(panel.getByTestId('dials-account')).toContainText('Not signed in to DIALS.');
  await expect(panel.getByRole('button', { name: 'Fetch from DIALS' })).toBeDisabled();

  // Sign in: the button opens the (stand-in) CERN page in a new tab, where the user approves.
  await panel.getByRole('button', { name: 'Sign in to DIALS' }).click();
  const banner = page.getByTestId('dials-sign-in-banner');
  await expect(banner).toBeVisible();
  const code = (await banner.getByTestId('login-code').textContent())!;
  expect(code).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
  await expect(banner.getByTestId('login-countdown')).toHaveText(/^(9|10):\d\d left$/);
  await shot(page, 'e2e-dials-sign-in');
  const [cern] = await Promise.all([
    context.waitForEvent('page'),
    banner.getByRole('button', { name: 'Open the CERN sign-in page' }).click(),
  ]);
  await cern.waitForLoadState();
  await expect(cern.locator('body')).toContainText(`Code ${code}`);
  await cern.getByRole('button', { name: 'Yes, sign in' }).click();
  await expect(cern.locator('#result')).toContainText('Device login successful');
  await cern.close();
  await expect(panel.getByTestId('dials-account')).toContainText('Signed in as Stand-in Physicist (standin)', { timeout: 30_000 });
  await expect(banner).toBeHidden();

  // The MEs of the demo template's InputSignature, all ticked; dataset from the autocomplete list.
  await expect(panel.getByRole('group', { name: 'Monitoring elements' }).getByRole('checkbox')).toHaveCount(3);
  await panel.getByLabel('Dataset').fill('Run2025F-Express');
  await expect(page.locator('#dials-datasets option')).toHaveCount(1);
  await expect(page.locator('#dials-datasets option')).toHaveAttribute('value', EXPRESS);
  await panel.getByLabel('Dataset').fill(EXPRESS);
  await panel.getByLabel('Runs').fill('398100-398099');
  await expect(panel.locator('.field-error')).toContainText('the range 398100-398099 ends before it starts');
  await panel.getByLabel('Runs').fill('398100, 398101');
  await panel.getByRole('button', { name: 'Fetch from DIALS' }).click();

  // The Preview re-runs on the fetched data and says where it came from.
  const provenance = page.getByTestId('data-provenance');
  await expect(provenance).toContainText(EXPRESS, { timeout: 120_000 });
  await expect(provenance).toContainText('runs 398100, 398101 · 120 LS × 3 MEs');
  await expect(page.getByTestId('preview-step')).toHaveAttribute('data-phase', 'ready', { timeout: 120_000 });
  await expect(page.locator('.preview-head')).toContainText('120 lumisections from data/dials/ (fetched from DIALS)');

  // DIALS production: the active model's flags, the timeline row and the agreement.
  const production = page.getByTestId('dials-production');
  await production.getByRole('button', { name: 'Choose a DIALS model…' }).click();
  await expect(production.getByLabel('DIALS model')).toHaveValue('21');
  await production.getByRole('button', { name: 'Get DIALS flags' }).click();
  await expect(production.getByTestId('dials-agreement')).toHaveText('Preview agrees with DIALS on 118 of 120 lumisections — 2 disagree:');
  const disagreements = production.getByTestId('dials-disagreements').getByRole('listitem');
  await expect(disagreements).toHaveCount(2);
  await expect(disagreements.nth(0)).toContainText('Run 398100 · LS 22 DIALS flagged');
  await expect(disagreements.nth(1)).toContainText('Run 398101 · LS 20 preview flagged, DIALS not');
  await expect(production.getByTestId('dials-golden')).toContainText(
    "DIALS's cert and golden JSON of this model for these runs (115 lumisections good by it)",
  );
  await expect(page.locator('.timeline-legend')).toContainText('flagged by DIALS production');
  await disagreements.nth(0).getByRole('button').click();
  await expect(page.getByTestId('selected-ls')).toHaveText('Run 398100 · LS 22');
  await shot(page, 'e2e-dials-production');

  // The parquet the app wrote is what the stand-in serves, bin for bin.
  for (const [layer, meId, ny] of [
    [2, 250, 58],
    [3, 251, 90],
    [4, 252, 130],
  ] as const) {
    const me = `PixelPhase1/Phase1_MechanicalView/PXBarrel/clusters_per_SignedModuleCoord_per_SignedLadderCoord_PXLayer_${layer}`;
    const file = path.join(demoDir, 'data', 'dials', `StreamExpress-Run2025F-Express-v1-DQMIO-${me.replace(/\//g, '-')}.parquet`);
    const rows = (await parquetReadObjects({ file: await asyncBufferFromFile(file), compressors })) as Array<{
      run_number: bigint;
      ls_number: bigint;
      data: number[][];
    }>;
    expect(rows).toHaveLength(120);
    for (const r of rows) {
      const served = await fetch(`${dials.apiUrl}th2/15191836/${r.run_number}/${r.ls_number}/${meId}/`, {
        headers: { 'X-CLIENT-SECRET': dials.secretKey, accept: 'application/json' },
      }).then((x) => x.json());
      expect(r.data.length).toBe(ny);
      expect(r.data, `BPix${layer} ${r.run_number}:${r.ls_number}`).toEqual(served.data);
    }
  }
});
