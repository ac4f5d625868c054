import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exportArtifacts } from '@/backend/export/export-artifacts';
import { runCli } from '@/backend/cli/main';
import { createBackend } from '@/backend/api/create-backend';
import { unwritableDir } from '../helpers/unwritable';

/**
 * Where an export may go (backend/export/export-target.ts): never the project, a folder inside it
 * or a folder containing it — also not through a link — and a replaced target is moved aside and
 * deleted only after the new export is complete. The CLI and the API go through the same rule.
 */
let tmp: string;
let project: string;

async function put(rel: string, data: string) {
  const f = path.join(project, rel);
  await fs.mkdir(path.dirname(f), { recursive: true });
  await fs.writeFile(f, data);
}

async function listTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, prefix: string) => {
    for (const e of await fs.readdir(d, { withFileTypes: true })) {
      const rel = prefix ? `${prefix}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(path.join(d, e.name), rel);
      else out.push(rel);
    }
  };
  await walk(dir, '');
  return out.sort();
}

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    signal: new AbortController().signal,
    cwd: tmp,
    env: process.env,
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

let projectFiles: string[];

beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'dism-export-target-'));
  project = path.join(tmp, 'work', 'pixel-project');
  await put('template.yaml', 'Resources: {}\n');
  await put('mlserver-model/app.py', 'class Handler: pass\n');
  await put('.dism-artifacts/build/template.yaml', 'Resources: {}\n');
  await put('.dism-artifacts/build/PixelNMF/app.py', 'class Handler: pass\n');
  projectFiles = await listTree(project);
});
afterEach(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('export target rule', () => {
  it('CLI: --to the project, its parent, or a folder inside it is refused even with --overwrite; nothing is deleted', async () => {
    const targets = [
      project,
      path.dirname(project),
      tmp,
      path.join(project, 'exports'),
      path.join(project, 'exports', 'out.zip'),
      path.join(project, '.dism-artifacts'),
      path.join(project, '.dism-artifacts', 'copy'),
    ];
    for (const to of targets) {
      await fs.mkdir(path.join(project, 'exports'), { recursive: true });
      const r = await cli('export', project, '--to', to, '--overwrite');
      expect(r.code, to).toBe(1);
      expect(r.err, to).toMatch(
        /InvalidTargetError: Cannot export to .*(is the project folder|inside the project folder|contains the project folder)/,
      );
      expect(await listTree(project), to).toEqual(projectFiles);
    }
  });

  it('a link leading into the project is followed before deciding', async () => {
    await fs.symlink(project, path.join(tmp, 'link-to-project'));
    await fs.symlink(path.dirname(project), path.join(tmp, 'link-to-parent'));
    for (const to of [
      path.join(tmp, 'link-to-project'),
      path.join(tmp, 'link-to-project', 'exports', 'x'),
      path.join(tmp, 'link-to-parent'),
    ]) {
      await expect(exportArtifacts({ projectDir: project, to, overwrite: true }), to).rejects.toMatchObject({ code: 'INVALID_TARGET' });
    }
    expect(await listTree(project)).toEqual(projectFiles);
  });

  it("API (the UI's Replace) takes the same rule", async () => {
    const backend = await createBackend({ host: { kind: 'test' }, userDataDir: path.join(tmp, 'user'), pollEngine: false });
    try {
      const r = await backend.dispatch('export.run', { projectDir: project, to: path.dirname(project), overwrite: true });
      expect(r).toMatchObject({
        ok: false,
        error: { code: 'INVALID_TARGET', message: expect.stringContaining('contains the project folder') },
      });
    } finally {
      await backend.dispose();
    }
    expect(await listTree(project)).toEqual(projectFiles);
  });

  it('an existing folder that is not an earlier export is never replaced', async () => {
    const mine = path.join(tmp, 'my-analysis');
    await fs.mkdir(mine);
    await fs.writeFile(path.join(mine, 'notes.txt'), 'important');
    const r = await cli('export', project, '--to', mine, '--overwrite');
    expect(r.code).toBe(1);
    expect(r.err).toContain('is not a DISM Studio export');
    expect(await fs.readFile(path.join(mine, 'notes.txt'), 'utf8')).toBe('important');
  });

  it('replacing an earlier export keeps it until the new one is complete', async () => {
    const to = path.join(tmp, 'export');
    await exportArtifacts({ projectDir: project, to });
    const first = await fs.readFile(path.join(to, 'manifest.json'), 'utf8');
    // A cancelled replacement (the new export never completes) leaves the earlier one as it was.
    const controller = new AbortController();
    await expect(
      exportArtifacts({
        projectDir: project,
        to,
        overwrite: true,
        signal: controller.signal,
        onProgress: () => controller.abort(new Error('Cancelled')),
      }),
    ).rejects.toThrow('Cancelled');
    expect(await fs.readFile(path.join(to, 'manifest.json'), 'utf8')).toBe(first);
    expect((await fs.readdir(tmp)).sort()).toEqual(['export', 'work']);
    const r = await exportArtifacts({ projectDir: project, to, overwrite: true });
    expect(r.replaced).toBe(true);
    expect((await fs.readdir(tmp)).sort()).toEqual(['export', 'work']);
  });

  it('leftovers of a crashed export: the earlier export moved aside is put back, a half-written one removed', async () => {
    const to = path.join(tmp, 'export');
    await exportArtifacts({ projectDir: project, to });
    const manifest = await fs.readFile(path.join(to, 'manifest.json'), 'utf8');
    const dead = 2 ** 22 + 17; // above Linux's pid_max: no such process
    // The crash came between "move the old one aside" and "move the new one in".
    await fs.rename(to, path.join(tmp, `.export.dism-${dead}-0123456789ab.replaced`));
    await fs.mkdir(path.join(tmp, `.export.dism-${dead}-abcdef012345.partial`));
    await expect(exportArtifacts({ projectDir: project, to })).rejects.toMatchObject({ code: 'TARGET_EXISTS' });
    expect(await fs.readFile(path.join(to, 'manifest.json'), 'utf8')).toBe(manifest);
    expect((await fs.readdir(tmp)).sort()).toEqual(['export', 'work']);
  });

  it('TARGET_EXISTS tells what would be replaced', async () => {
    const to = path.join(tmp, 'export');
    await exportArtifacts({ projectDir: project, to });
    await expect(exportArtifacts({ projectDir: project, to })).rejects.toMatchObject({
      code: 'TARGET_EXISTS',
      details: { target: to, kind: 'folder', files: 2, createdAt: expect.any(String) },
    });
  });
});

describe('an export into a folder that cannot be written', () => {
  for (const name of ['x.tar.gz', 'x.zip', 'x']) {
    it(`${name}: fails with a plain message, no crash, no hang`, async () => {
      const ro = await unwritableDir();
      const err = (await exportArtifacts({ projectDir: project, to: path.join(ro, name) }).catch((e: unknown) => e)) as Error & {
        code?: string;
      };
      expect(err).toBeInstanceOf(Error);
      expect(err.message).toContain(`Could not write the export ${path.join(ro, name)}`);
      expect(err.message).not.toMatch(/\bE[A-Z]{3,}\b:|\.partial/);
    });
  }
});
