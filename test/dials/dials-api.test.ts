import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackend, type Backend } from '@/backend/api/create-backend';
import { demoTemplateYaml } from '@/backend/demo/demo-template';
import { pixelBarrelPreset } from '@/shared/preset/pixel-barrel';

/** The DIALS methods through the dispatcher: the write scope and input validation of the contract. */

let backend: Backend;
let root: string;
let project: string;

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'dism-dials-api-'));
  project = path.join(root, 'project');
  await fs.mkdir(project);
  await fs.writeFile(path.join(project, 'template.yaml'), demoTemplateYaml(pixelBarrelPreset()));
  backend = await createBackend({ host: { kind: 'test' }, userDataDir: path.join(root, 'user'), pollEngine: false });
});

afterAll(async () => {
  await backend?.dispose();
  await fs.rm(root, { recursive: true, force: true });
});

const fetchInput = () => ({
  projectDir: project,
  template: 'template.yaml',
  dataset: '/StreamExpress/Run2025F-Express-v1/DQMIO',
  runs: { kind: 'list', runs: [398100] },
});

describe('DIALS methods through the API', () => {
  it('a fetch writes only into a project the user opened', async () => {
    const refused = await backend.dispatch('dials.fetch', fetchInput());
    expect(refused).toMatchObject({ ok: false, error: { code: 'OUTSIDE_OPENED_FOLDERS' } });
    expect(refused.ok ? '' : refused.error.message).toContain(`the DIALS fetch (data/dials/) would go to ${path.join(project, 'data')}`);
    await expect(fs.access(path.join(project, 'data'))).rejects.toThrow();
    expect(await backend.dispatch('projects.open', { dir: project })).toMatchObject({ ok: true });
    const started = await backend.dispatch('dials.fetch', fetchInput());
    expect(started).toMatchObject({ ok: true, result: { kind: 'dials.fetch' } });
    const end = await backend.ctx.jobs.wait((started as { result: { id: string } }).result.id);
    // not signed in to the (default: development) instance: nothing fetched, the way to sign in said
    expect(end).toMatchObject({ state: 'failed', error: { code: 'DIALS_SIGN_IN_REQUIRED' } });
  });

  it('the contract refuses bad runs and LS limits before anything runs', async () => {
    for (const bad of [
      { runs: { kind: 'range', first: 398100 } },
      { runs: { kind: 'list', runs: [] } },
      { runs: { kind: 'list', runs: [-1] } },
      { ls: { first: 0 } },
      { mes: [] },
    ]) {
      const r = await backend.dispatch('dials.fetch', { ...fetchInput(), ...bad });
      expect(r, JSON.stringify(bad)).toMatchObject({ ok: false, error: { code: 'SCHEMA_INVALID' } });
    }
  });

  it('an ME the template does not have is refused with the ones it has', async () => {
    await backend.dispatch('projects.open', { dir: project });
    const r = await backend.dispatch('dials.fetch', { ...fetchInput(), mes: ['PixelPhase1/Tracks/PXBarrel/charge_PXLayer_2'] });
    expect(r).toMatchObject({ ok: false, error: { code: 'DIALS_BAD_REQUEST' } });
    expect(r.ok ? '' : r.error.message).toMatch(
      /^PixelPhase1\/Tracks\/PXBarrel\/charge_PXLayer_2 is not in the InputSignature of template\.yaml \(it has PixelPhase1\/Phase1_MechanicalView/,
    );
  });
});
