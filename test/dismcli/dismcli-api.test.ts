import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackend, type Backend } from '../../backend/api/create-backend';

let tmp: string;
let project: string;
let backend: Backend;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'dism-dismcli-api-'));
  project = path.join(tmp, 'proj');
  await fs.mkdir(path.join(project, '.dism-artifacts/package'), { recursive: true });
  await fs.copyFile(path.join(__dirname, '../fixtures/templates/pixel-barrel-nmf.template.yaml'), path.join(project, '.dism-artifacts/package/template.yaml'));
  backend = await createBackend({ host: { kind: 'test' }, userDataDir: path.join(tmp, 'user'), pollEngine: false });
});
afterAll(async () => {
  await backend.dispose();
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('dismcli API', () => {
  it('remembers the DIALS choice per project', async () => {
    expect(await backend.dispatch('dismcli.dials.get', { projectDir: project })).toMatchObject({ result: { choice: 'development', url: 'https://dev-cmsdials-api.web.cern.ch' } });
    expect(await backend.dispatch('dismcli.dials.set', { projectDir: project, choice: 'custom', customUrl: 'not a url' })).toMatchObject({ ok: false, error: { code: 'INVALID_URL' } });
    await backend.dispatch('dismcli.dials.set', { projectDir: project, choice: 'custom', customUrl: 'https://my-dials.example/' });
    await backend.dispatch('dismcli.dials.set', { projectDir: project, choice: 'production' });
    expect(await backend.dispatch('dismcli.dials.get', { projectDir: project })).toMatchObject({ result: { choice: 'production', url: 'https://cmsdials-api.web.cern.ch', customUrl: 'https://my-dials.example/' } });
  });

  it('shows the generated runner Dockerfile without an engine', async () => {
    const r = await backend.dispatch('dismcli.runner.get', { projectDir: project });
    expect(r).toMatchObject({ ok: true, result: { recipe: { kind: 'pip' }, problems: [] } });
    expect((r as { result: { dockerfile: string } }).result.dockerfile).toContain('pip install --no-cache-dir "cmsdism[docker]"');
    const pinned = await backend.dispatch('dismcli.runner.save', { projectDir: project, recipe: { kind: 'pip', cmsdismVersion: '1.4.2' } });
    expect((pinned as { result: { dockerfile: string } }).result.dockerfile).toContain('"cmsdism[docker]==1.4.2"');
    const bad = await backend.dispatch('dismcli.runner.save', { projectDir: project, recipe: { kind: 'pyinstaller', dismcliFolder: path.join(tmp, 'nowhere') } });
    expect((bad as { result: { problems: string[] } }).result.problems[0]).toMatch(/No dismcli executable in .*nowhere/);
  });
});
