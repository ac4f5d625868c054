import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildLocal } from '@/backend/build-local/local-build';
import { exportArtifacts } from '@/backend/export/export-artifacts';
import { validateTemplateFile } from '@/backend/template/validate-file';

/**
 * Files that lie: links in or as CodeUri/ModelUri. One rule (backend/template/project-paths.ts)
 * for validate and build: everything packaged must really lie inside the project; links inside it
 * are copied as the files they point to (as dismcli's copy does); loops and links out are refused
 * in plain words.
 */
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
});

async function project(): Promise<{ root: string; dir: string; template: string }> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'dism-build-links-'));
  dirs.push(root);
  const dir = path.join(root, 'project');
  await fs.mkdir(path.join(dir, 'mlserver-model'), { recursive: true });
  await fs.copyFile('test/fixtures/templates/pixel-barrel-nmf.template.yaml', path.join(dir, 'template.yaml'));
  await fs.writeFile(path.join(dir, 'mlserver-model', 'app.py'), 'from mlserver import MLModel\n\nclass Handler(MLModel):\n    pass\n');
  await fs.writeFile(path.join(dir, 'mlserver-model', 'pixelnmf.joblib'), 'the model');
  return { root, dir, template: path.join(dir, 'template.yaml') };
}

async function setModelUri(template: string, value: string) {
  const text = await fs.readFile(template, 'utf8');
  await fs.writeFile(template, text.replace('ModelUri: mlserver-model/pixelnmf.joblib', `ModelUri: ${value}`));
}

const errorsOf = async (dir: string, template: string) =>
  (await validateTemplateFile(dir, template)).problems.filter((p) => p.severity === 'error').map((p) => p.message);

describe('build-local and validate: one rule for links', () => {
  it("CodeUri a link to a folder outside the project: build refuses with validate's words, nothing outside is copied", async () => {
    const { root, dir, template } = await project();
    const outside = path.join(root, 'outside-code');
    await fs.rename(path.join(dir, 'mlserver-model'), outside);
    await fs.writeFile(path.join(outside, 'secret.txt'), 'not for DIALS');
    await fs.symlink(outside, path.join(dir, 'mlserver-model'));
    const problems = await errorsOf(dir, template);
    expect(problems[0]).toMatch(/^CodeUri "mlserver-model\/" is a link to .*outside-code, outside the project folder/);
    const err = (await buildLocal(template).catch((e: unknown) => e)) as Error & { code?: string };
    expect(err.code).toBe('PATH_OUTSIDE_PROJECT');
    expect(err.message).toContain(problems[0]);
    await expect(fs.access(path.join(dir, '.dism-artifacts', 'build'))).rejects.toThrow();
  });

  it('a link inside CodeUri leading out of the project: refused by build and flagged by validate', async () => {
    const { root, dir, template } = await project();
    await fs.writeFile(path.join(root, 'credentials.txt'), 'token');
    await fs.symlink(path.join(root, 'credentials.txt'), path.join(dir, 'mlserver-model', 'creds.txt'));
    const problems = await errorsOf(dir, template);
    expect(problems.some((m) => m.includes('mlserver-model/creds.txt is a link to') && m.includes('outside the project folder'))).toBe(
      true,
    );
    await expect(buildLocal(template)).rejects.toMatchObject({
      code: 'PATH_OUTSIDE_PROJECT',
      message: expect.stringContaining('mlserver-model/creds.txt is a link to'),
    });
  });

  it('ModelUri a link to a file inside CodeUri (no "SystemError … subdirectory of self")', async () => {
    const { dir, template } = await project();
    await fs.symlink('pixelnmf.joblib', path.join(dir, 'mlserver-model', 'alias.joblib'));
    await setModelUri(template, 'mlserver-model/alias.joblib');
    const res = await buildLocal(template);
    const built = path.join(res.buildDir, 'PixelNMF');
    expect((await fs.lstat(path.join(built, 'alias.joblib'))).isFile()).toBe(true);
    expect(await fs.readFile(path.join(built, 'alias.joblib'), 'utf8')).toBe('the model');
    expect(await fs.readFile(path.join(built, 'model-settings.json'), 'utf8')).toContain('"uri": "alias.joblib"');
  });

  it('a link in CodeUri pointing at the ModelUri elsewhere in the project: the build holds the file, and export ships it', async () => {
    const { root, dir, template } = await project();
    await fs.mkdir(path.join(dir, 'models'));
    await fs.rename(path.join(dir, 'mlserver-model', 'pixelnmf.joblib'), path.join(dir, 'models', 'pixelnmf.joblib'));
    await fs.symlink('../models/pixelnmf.joblib', path.join(dir, 'mlserver-model', 'pixelnmf.joblib'));
    await setModelUri(template, 'models/pixelnmf.joblib');
    const res = await buildLocal(template);
    expect((await fs.lstat(path.join(res.buildDir, 'PixelNMF', 'pixelnmf.joblib'))).isFile()).toBe(true);
    const exported = await exportArtifacts({ projectDir: dir, to: path.join(root, 'export.zip') });
    expect(exported.manifest.files.map((f) => f.path)).toContain('build/PixelNMF/pixelnmf.joblib');
  });

  it('a link loop inside CodeUri: plain message, not a hang or ELOOP', async () => {
    const { dir, template } = await project();
    await fs.symlink('..', path.join(dir, 'mlserver-model', 'parent'));
    await expect(buildLocal(template)).rejects.toMatchObject({
      code: 'PATH_LOOP',
      message: expect.stringMatching(/mlserver-model\/parent is a link to a folder that contains it/),
    });
    expect((await errorsOf(dir, template)).some((m) => m.includes('mlserver-model/parent is a link to a folder that contains it'))).toBe(
      true,
    );
  });

  it('CodeUri inside .dism-artifacts (the build output) is refused', async () => {
    const { dir, template } = await project();
    await buildLocal(template);
    const text = await fs.readFile(template, 'utf8');
    await fs.writeFile(template, text.replace('CodeUri: mlserver-model/', 'CodeUri: .dism-artifacts/build/PixelNMF/'));
    await expect(buildLocal(template)).rejects.toMatchObject({ code: 'PATH_IN_BUILD_OUTPUT' });
    expect(await fs.readFile(path.join(dir, '.dism-artifacts/build/PixelNMF/app.py'), 'utf8')).toContain('class Handler');
  });
});
