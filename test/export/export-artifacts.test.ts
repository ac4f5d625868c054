import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { unzipSync } from 'fflate';
import tar from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ExportManifest } from '@/shared/api/contract/export';
import { exportArtifacts, MANIFEST_NAME } from '@/backend/export/export-artifacts';
import { safeEntryName, safeJoin } from '@/backend/export/safe-path';
import { exportSummary } from '@/backend/export/registration';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
let tmp: string;
let project: string;

async function put(rel: string, data: string | Uint8Array, mode?: number) {
  const f = path.join(project, '.dism-artifacts', rel);
  await fs.mkdir(path.dirname(f), { recursive: true });
  await fs.writeFile(f, data, mode ? { mode } : {});
}

beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'dism-export-'));
  project = path.join(tmp, 'pixel-project');
  const template = await fs.readFile(path.join(__dirname, '../fixtures/templates/pixel-barrel-nmf.template.yaml'), 'utf8');
  await put('build/template.yaml', template);
  await put('build/PixelNMF/app.py', 'class Handler: pass\n');
  await put('build/PixelNMF/model-settings.json', '{"name":"pixel-barrel-nmf"}');
  await put(
    'build/PixelNMF/pixelnmf.joblib',
    new Uint8Array(300_000).map((_, i) => (i * 31) % 251),
  );
  await put('build/PixelNMF/run.sh', '#!/bin/sh\n', 0o755);
  await put('package/template.yaml', template);
});
afterEach(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

/** Every file the manifest lists has exactly that size and SHA-256 in `read`, and nothing else is there. */
function expectMatches(manifest: ExportManifest, entries: Map<string, Uint8Array>) {
  const names = [...entries.keys()].filter((n) => n !== MANIFEST_NAME).sort();
  expect(names).toEqual(manifest.files.map((f) => f.path).sort());
  for (const f of manifest.files) {
    const data = entries.get(f.path)!;
    expect(data.length).toBe(f.size);
    expect(sha(data)).toBe(f.sha256);
  }
  expect(JSON.parse(Buffer.from(entries.get(MANIFEST_NAME)!).toString())).toEqual(manifest);
}

async function readFolder(root: string): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  const walk = async (dir: string, prefix: string) => {
    for (const e of await fs.readdir(dir, { withFileTypes: true })) {
      const rel = prefix ? `${prefix}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(path.join(dir, e.name), rel);
      else out.set(rel, await fs.readFile(path.join(dir, e.name)));
    }
  };
  await walk(root, '');
  return out;
}

async function readTarGz(file: string): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  const extract = tar.extract();
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => {
        out.set(header.name, Buffer.concat(chunks));
        next();
      });
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  extract.end(gunzipSync(await fs.readFile(file)));
  await done;
  return out;
}

const sourceHash = async (rel: string) => sha(await fs.readFile(path.join(project, '.dism-artifacts', rel)));

describe('export of .dism-artifacts', () => {
  it('folder export matches its manifest and the sources', async () => {
    const to = path.join(tmp, 'out', 'pixel-export');
    await fs.mkdir(path.dirname(to));
    const r = await exportArtifacts({ projectDir: project, to });
    expect(r.format).toBe('folder');
    expect(r.manifest.parts).toEqual(['build', 'package']);
    expect(r.manifest.files).toHaveLength(6);
    expectMatches(r.manifest, await readFolder(to));
    for (const f of r.manifest.files) expect(f.sha256).toBe(await sourceHash(f.path));
    expect((await fs.stat(path.join(to, 'build/PixelNMF/run.sh'))).mode & 0o111).not.toBe(0);
    expect(await fs.readdir(path.dirname(to))).toEqual(['pixel-export']); // no temp left behind
  });

  it('zip export matches its manifest', async () => {
    const to = path.join(tmp, 'pixel.zip');
    const r = await exportArtifacts({ projectDir: project, to, parts: ['package'] });
    expect(r.format).toBe('zip');
    expect(r.manifest.files.map((f) => f.path)).toEqual(['package/template.yaml']);
    expectMatches(r.manifest, new Map(Object.entries(unzipSync(await fs.readFile(to)))));
  });

  it('tar.gz export matches its manifest', async () => {
    const to = path.join(tmp, 'pixel.tar.gz');
    const r = await exportArtifacts({ projectDir: project, to });
    expectMatches(r.manifest, await readTarGz(to));
  });

  it('does not overwrite an existing target without confirmation, and replaces it when confirmed', async () => {
    const zip = path.join(tmp, 'pixel.zip');
    await fs.writeFile(zip, 'precious');
    await expect(exportArtifacts({ projectDir: project, to: zip })).rejects.toMatchObject({ code: 'TARGET_EXISTS' });
    expect(await fs.readFile(zip, 'utf8')).toBe('precious');

    // A folder of the user's is never replaced, confirmed or not; an earlier export is, once confirmed.
    const folder = path.join(tmp, 'existing');
    await fs.mkdir(folder);
    await fs.writeFile(path.join(folder, 'notes.txt'), 'mine');
    await expect(exportArtifacts({ projectDir: project, to: folder, overwrite: true })).rejects.toMatchObject({ code: 'INVALID_TARGET' });
    expect(await fs.readdir(folder)).toEqual(['notes.txt']);
    await fs.rm(folder, { recursive: true });
    await exportArtifacts({ projectDir: project, to: folder, parts: ['package'] });
    await expect(exportArtifacts({ projectDir: project, to: folder })).rejects.toMatchObject({ code: 'TARGET_EXISTS' });

    const r = await exportArtifacts({ projectDir: project, to: folder, overwrite: true });
    expect(r.replaced).toBe(true);
    expectMatches(r.manifest, await readFolder(folder));
    const z = await exportArtifacts({ projectDir: project, to: zip, overwrite: true });
    expect(z.replaced).toBe(true);
    expect(Object.keys(unzipSync(await fs.readFile(zip)))).toContain('build/PixelNMF/pixelnmf.joblib');
    expect((await fs.readdir(tmp)).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('an empty existing folder is used without asking', async () => {
    const folder = path.join(tmp, 'empty');
    await fs.mkdir(folder);
    const r = await exportArtifacts({ projectDir: project, to: folder });
    expect(r.replaced).toBe(false);
    expectMatches(r.manifest, await readFolder(folder));
  });

  it('refuses links that point outside the artifacts, targets inside them, and relative targets', async () => {
    await fs.symlink('/etc/hostname', path.join(project, '.dism-artifacts/build/PixelNMF/leak'));
    await expect(exportArtifacts({ projectDir: project, to: path.join(tmp, 'x.zip') })).rejects.toMatchObject({ code: 'UNSAFE_PATH' });
    await expect(fs.access(path.join(tmp, 'x.zip'))).rejects.toThrow();
    await expect(
      exportArtifacts({ projectDir: project, to: path.join(project, '.dism-artifacts', 'inside'), parts: ['package'] }),
    ).rejects.toMatchObject({ code: 'INVALID_TARGET' });
    await expect(exportArtifacts({ projectDir: project, to: 'relative/out.zip', parts: ['package'] })).rejects.toMatchObject({
      code: 'INVALID_TARGET',
    });
  });

  it('follows a link that stays inside the part', async () => {
    await fs.symlink('app.py', path.join(project, '.dism-artifacts/build/PixelNMF/app-link.py'));
    const r = await exportArtifacts({ projectDir: project, to: path.join(tmp, 'l.zip'), parts: ['build'] });
    expect(r.manifest.files.find((f) => f.path === 'build/PixelNMF/app-link.py')?.sha256).toBe(await sourceHash('build/PixelNMF/app.py'));
  });

  it('names the missing part', async () => {
    await fs.rm(path.join(project, '.dism-artifacts/package'), { recursive: true });
    await expect(exportArtifacts({ projectDir: project, to: path.join(tmp, 'p.zip'), parts: ['package'] })).rejects.toThrow(
      /\.dism-artifacts\/package.*dismcli package/,
    );
  });

  it('cancel leaves nothing behind', async () => {
    const ac = new AbortController();
    ac.abort(new Error('Cancelled by user'));
    await expect(exportArtifacts({ projectDir: project, to: path.join(tmp, 'c.tar.gz'), signal: ac.signal })).rejects.toThrow(/Cancelled/);
    expect(await fs.readdir(tmp)).toEqual(['pixel-project']);
  });
});

describe('entry names can never escape the chosen folder', () => {
  it.each(['../x', 'a/../../x', '/etc/passwd', 'C:/x', 'a\\..\\x', '..', 'a/..', '', '.', 'a\0b'])('refuses %j', (name) => {
    expect(() => safeJoin('/tmp/root', name)).toThrow(/Refusing/);
  });
  it('normalises harmless names', () => {
    expect(safeEntryName('./build//x.yaml')).toBe('build/x.yaml');
    expect(safeJoin('/tmp/root', 'build/x')).toBe('/tmp/root/build/x');
  });
});

describe('registration request', () => {
  it('prefills title, description and the attached packaged template', async () => {
    const s = await exportSummary(project);
    expect(s.parts.map((p) => [p.part, p.exists, p.files])).toEqual([
      ['build', true, 5],
      ['package', true, 1],
    ]);
    expect(s.packageTemplate).toContain('pixel-barrel-nmf');
    expect(s.registration?.title).toBe('[Request] Model registration');
    expect(s.registration?.body).toContain('Description: Spot anomalies in the pixel cluster occupancy (barrel layers)');
    expect(s.registration?.body).toContain('Model: pixel-barrel-nmf (resource PixelNMF)');
    expect(s.registration?.body).toContain(
      'PixelPhase1/Phase1_MechanicalView/PXBarrel/clusters_per_SignedModuleCoord_per_SignedLadderCoord_PXLayer_3',
    );
    expect(s.registration?.body).toContain('attached (package/template.yaml)');
    expect(s.suggestedName).toBe('pixel-project-dism-artifacts');
  });
});
