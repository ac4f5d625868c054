import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBackend, type Backend } from '../api/create-backend';
import { setValue } from '@/shared/template/edit';

const FIXTURE = 'test/fixtures/templates/pixel-barrel-nmf.template.yaml';

let root: string;
let project: string;
let backend: Backend;

async function call<T>(method: string, input: unknown): Promise<T> {
  const reply = await backend.dispatch(method, input);
  if (!reply.ok) throw Object.assign(new Error(reply.error.message), { code: reply.error.code });
  return reply.result as T;
}

beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'dism-template-'));
  project = path.join(root, 'project');
  await fs.mkdir(project);
  await fs.copyFile(FIXTURE, path.join(project, 'template.yaml'));
  backend = await createBackend({ host: { kind: 'test' }, userDataDir: path.join(root, 'user-data'), pollEngine: false });
  await call('projects.open', { dir: project }); // as the UI does: the API writes only inside opened projects
});

afterEach(async () => {
  await backend.dispose();
  await fs.rm(root, { recursive: true, force: true });
});

interface Opened {
  path: string;
  text: string;
  disk: { hash: string };
  draft: { text: string } | null;
}

describe('template files through the API', () => {
  it('saves an unchanged production template byte-identically and keeps template.yaml.dism-studio.bak', async () => {
    const original = await fs.readFile(FIXTURE);
    const opened = await call<Opened>('template.open', { projectDir: project, path: 'template.yaml' });
    expect(Buffer.from(opened.text, 'utf8').equals(original)).toBe(true);
    const saved = await call<{ backupPath: string }>('template.save', {
      projectDir: project,
      path: 'template.yaml',
      text: opened.text,
      baseHash: opened.disk.hash,
    });
    expect((await fs.readFile(path.join(project, 'template.yaml'))).equals(original)).toBe(true);
    expect(saved.backupPath).toBe(path.join(project, 'template.yaml.dism-studio.bak'));
    expect((await fs.readFile(saved.backupPath)).equals(original)).toBe(true);
  });

  it('after a form edit of Name only that line differs on disk', async () => {
    const opened = await call<Opened>('template.open', { projectDir: project, path: 'template.yaml' });
    const edited = setValue(opened.text, ['Resources', 'PixelNMF', 'Properties', 'Name'], 'pixel-barrel-nmf-2026').text;
    await call('template.save', { projectDir: project, path: 'template.yaml', text: edited, baseHash: opened.disk.hash });
    const before = (await fs.readFile(FIXTURE, 'utf8')).split('\n');
    const after = (await fs.readFile(path.join(project, 'template.yaml'), 'utf8')).split('\n');
    expect(after.length).toBe(before.length);
    const diff = before.flatMap((l, i) => (l === after[i] ? [] : [i + 1]));
    expect(diff).toEqual([11]);
    expect(after[10]).toBe('      Name: pixel-barrel-nmf-2026');
  });

  it('detects changes on disk and refuses to overwrite them unless forced', async () => {
    const file = path.join(project, 'template.yaml');
    const opened = await call<Opened>('template.open', { projectDir: project, path: 'template.yaml' });
    const same = await call<{ changed: boolean }>('template.diskState', {
      projectDir: project,
      path: 'template.yaml',
      knownHash: opened.disk.hash,
    });
    expect(same.changed).toBe(false);
    const external = opened.text.replace('MaxRunNumber: 999999', 'MaxRunNumber: 400000');
    await fs.writeFile(file, external);
    const changed = await call<{ changed: boolean; text: string }>('template.diskState', {
      projectDir: project,
      path: 'template.yaml',
      knownHash: opened.disk.hash,
    });
    expect(changed).toMatchObject({ changed: true, text: external });
    const mine = opened.text.replace('FillType: PROTONS', 'FillType: IONS');
    await expect(
      call('template.save', { projectDir: project, path: 'template.yaml', text: mine, baseHash: opened.disk.hash }),
    ).rejects.toMatchObject({
      code: 'TEMPLATE_CHANGED_ON_DISK',
      message: expect.stringContaining('was changed on disk by another program'),
    });
    expect(await fs.readFile(file, 'utf8')).toBe(external);
    await call('template.save', { projectDir: project, path: 'template.yaml', text: mine, baseHash: opened.disk.hash, force: true });
    expect(await fs.readFile(file, 'utf8')).toBe(mine);
    expect(await fs.readFile(`${file}.dism-studio.bak`, 'utf8')).toBe(external);
    const gone = await fs
      .rm(file)
      .then(() => call<{ deleted: boolean }>('template.diskState', { projectDir: project, path: 'template.yaml', knownHash: 'x' }));
    expect(gone.deleted).toBe(true);
  });

  it('keeps unsaved edits as a draft offered on the next open, cleared by save', async () => {
    const opened = await call<Opened>('template.open', { projectDir: project, path: 'template.yaml' });
    const unsaved = opened.text.replace('MinEnergy: 6500', 'MinEnergy: 6800');
    await call('template.saveDraft', { projectDir: project, path: 'template.yaml', text: unsaved, baseHash: opened.disk.hash });
    // A new back end = the app restarted after a crash.
    await backend.dispose();
    backend = await createBackend({ host: { kind: 'test' }, userDataDir: path.join(root, 'user-data'), pollEngine: false });
    const reopened = await call<Opened>('template.open', { projectDir: project, path: 'template.yaml' });
    expect(reopened.draft?.text).toBe(unsaved);
    await call('template.save', { projectDir: project, path: 'template.yaml', text: unsaved, baseHash: reopened.disk.hash });
    expect((await call<Opened>('template.open', { projectDir: project, path: 'template.yaml' })).draft).toBeNull();
    await call('template.saveDraft', { projectDir: project, path: 'template.yaml', text: 'x: 1\n', baseHash: null });
    await call('template.discardDraft', { projectDir: project, path: 'template.yaml' });
    expect((await call<Opened>('template.open', { projectDir: project, path: 'template.yaml' })).draft).toBeNull();
  });

  it('ignores a torn draft file instead of failing to open', async () => {
    await call('template.saveDraft', { projectDir: project, path: 'template.yaml', text: 'x', baseHash: null });
    const dir = path.join(root, 'user-data', 'template-drafts');
    const [draftFile] = await fs.readdir(dir);
    await fs.writeFile(path.join(dir, draftFile), '{"path": "/tm');
    expect((await call<Opened>('template.open', { projectDir: project, path: 'template.yaml' })).draft).toBeNull();
  });

  it('refuses templates outside the project and overwriting on create', async () => {
    await expect(call('template.open', { projectDir: project, path: '../elsewhere.yaml' })).rejects.toMatchObject({
      code: 'OUTSIDE_PROJECT',
    });
    await expect(call('template.create', { projectDir: project, path: 'template.yaml', text: 'x: 1\n' })).rejects.toMatchObject({
      code: 'ALREADY_EXISTS',
    });
    const created = await call<Opened>('template.create', { projectDir: project, path: 'model/template.yaml', text: 'a: 1\n' });
    expect(created.path).toBe(path.join(project, 'model', 'template.yaml'));
    await expect(call('template.open', { projectDir: project, path: 'missing.yaml' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining('missing.yaml'),
    });
  });
  it("keeps the template's mode (0600 stays 0600) and never touches the user's own template.yaml.bak", async () => {
    const file = path.join(project, 'template.yaml');
    await fs.chmod(file, 0o600);
    await fs.writeFile(`${file}.bak`, 'my own backup');
    const opened = await call<Opened>('template.open', { projectDir: project, path: 'template.yaml' });
    const saved = await call<{ backupPath: string }>('template.save', {
      projectDir: project,
      path: 'template.yaml',
      text: `${opened.text}# edited\n`,
      baseHash: opened.disk.hash,
    });
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    expect(await fs.readFile(`${file}.bak`, 'utf8')).toBe('my own backup');
    expect(saved.backupPath).toBe(`${file}.dism-studio.bak`);
    expect(await fs.readFile(saved.backupPath, 'utf8')).toBe(opened.text);
  });

  it('saving through a link updates the real file and keeps the link', async () => {
    await fs.mkdir(path.join(project, 'models'));
    await fs.rename(path.join(project, 'template.yaml'), path.join(project, 'models', 'pixel.yaml'));
    await fs.symlink('models/pixel.yaml', path.join(project, 'template.yaml'));
    const opened = await call<Opened>('template.open', { projectDir: project, path: 'template.yaml' });
    await call('template.save', {
      projectDir: project,
      path: 'template.yaml',
      text: `${opened.text}# edited\n`,
      baseHash: opened.disk.hash,
    });
    expect((await fs.lstat(path.join(project, 'template.yaml'))).isSymbolicLink()).toBe(true);
    expect(await fs.readFile(path.join(project, 'models', 'pixel.yaml'), 'utf8')).toBe(`${opened.text}# edited\n`);
  });

  it('refuses to write outside the project through a linked folder or a linked file', async () => {
    const outside = path.join(root, 'outside');
    await fs.mkdir(outside);
    await fs.writeFile(path.join(outside, 'template.yaml'), 'outside: 1\n');
    await fs.symlink(outside, path.join(project, 'linked'));
    await fs.symlink(path.join(outside, 'template.yaml'), path.join(project, 'other.yaml'));
    for (const p of ['linked/template.yaml', 'other.yaml']) {
      const opened = await call<Opened>('template.open', { projectDir: project, path: p });
      await expect(
        call('template.save', { projectDir: project, path: p, text: 'x: 2\n', baseHash: opened.disk.hash, force: true }),
      ).rejects.toMatchObject({
        code: expect.stringMatching(/^OUTSIDE_(PROJECT|OPENED_FOLDERS)$/),
        message: expect.stringContaining(outside),
      });
    }
    // The dispatcher's write scope (opened folders) or the template rule (inside the project) refuses it, whichever sees it first.
    await expect(call('template.create', { projectDir: project, path: 'linked/new.yaml', text: 'x: 1\n' })).rejects.toMatchObject({
      code: expect.stringMatching(/^OUTSIDE_(PROJECT|OPENED_FOLDERS)$/),
    });
    expect(await fs.readFile(path.join(outside, 'template.yaml'), 'utf8')).toBe('outside: 1\n');
    expect(await fs.readdir(outside)).toEqual(['template.yaml']);
  });

  it('a save without a base hash does not bypass the conflict check', async () => {
    const file = path.join(project, 'template.yaml');
    const before = await fs.readFile(file, 'utf8');
    await expect(
      call('template.save', { projectDir: project, path: 'template.yaml', text: 'x: 1\n', baseHash: null }),
    ).rejects.toMatchObject({ code: 'TEMPLATE_CHANGED_ON_DISK' });
    expect(await fs.readFile(file, 'utf8')).toBe(before);
    // Null is right for a file that does not exist (yet): the save creates it.
    await call('template.save', { projectDir: project, path: 'new/template.yaml', text: 'x: 1\n', baseHash: null });
    expect(await fs.readFile(path.join(project, 'new/template.yaml'), 'utf8')).toBe('x: 1\n');
  });

  it('opening a template removes the temp files a crashed save left next to it', async () => {
    const crashed = path.join(project, `.template.yaml.dism-${2 ** 22 + 17}-0123456789ab.tmp`);
    const legacy = path.join(project, '.template.yaml.0123456789ab.tmp');
    await fs.writeFile(crashed, 'half a templ');
    await fs.writeFile(legacy, 'half a templ');
    await call<Opened>('template.open', { projectDir: project, path: 'template.yaml' });
    expect((await fs.readdir(project)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});
