import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { usePackagedProject } from '../helpers/packaged-project';

const fx = usePackagedProject('dism-dismcli-api-');

describe('dismcli API', () => {
  it('remembers the DIALS choice per project', async () => {
    expect(await fx.backend.dispatch('dismcli.dials.get', { projectDir: fx.project })).toMatchObject({
      result: { choice: 'development', url: 'https://dev-cmsdials-api.web.cern.ch' },
    });
    expect(
      await fx.backend.dispatch('dismcli.dials.set', { projectDir: fx.project, choice: 'custom', customUrl: 'not a url' }),
    ).toMatchObject({ ok: false, error: { code: 'INVALID_URL' } });
    await fx.backend.dispatch('dismcli.dials.set', { projectDir: fx.project, choice: 'custom', customUrl: 'https://my-dials.example/' });
    await fx.backend.dispatch('dismcli.dials.set', { projectDir: fx.project, choice: 'production' });
    expect(await fx.backend.dispatch('dismcli.dials.get', { projectDir: fx.project })).toMatchObject({
      result: { choice: 'production', url: 'https://cmsdials-api.web.cern.ch', customUrl: 'https://my-dials.example/' },
    });
  });

  it('shows the generated runner Dockerfile without an engine', async () => {
    const r = await fx.backend.dispatch('dismcli.runner.get', { projectDir: fx.project });
    expect(r).toMatchObject({ ok: true, result: { recipe: { kind: 'pip' }, problems: [] } });
    expect((r as { result: { dockerfile: string } }).result.dockerfile).toContain('pip install --no-cache-dir "cmsdism[docker]"');
    const pinned = await fx.backend.dispatch('dismcli.runner.save', {
      projectDir: fx.project,
      recipe: { kind: 'pip', cmsdismVersion: '1.4.2' },
    });
    expect((pinned as { result: { dockerfile: string } }).result.dockerfile).toContain('"cmsdism[docker]==1.4.2"');
    const bad = await fx.backend.dispatch('dismcli.runner.save', {
      projectDir: fx.project,
      recipe: { kind: 'pyinstaller', dismcliFolder: path.join(fx.tmp, 'nowhere') },
    });
    expect((bad as { result: { problems: string[] } }).result.problems[0]).toMatch(/No dismcli executable in .*nowhere/);
  });
});
