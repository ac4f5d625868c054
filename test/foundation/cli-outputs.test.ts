import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '@/backend/cli/main';
import { planImportOutputs } from '@/backend/import-joblib/import-joblib';
import { pixelBarrelPreset } from '@/shared/preset/pixel-barrel';
import { LAYERS, REFERENCE_DIR } from '../pipeline/fixture';

/**
 * Every output option of the CLI follows one rule (backend/fs/output-target.ts): it never replaces a
 * file the same run reads, and never replaces an existing file without --overwrite. Runs on a copy
 * of the reference fixture, so a regression cannot damage the fixture itself.
 */
let root: string;
const sha = async (f: string) =>
  createHash('sha256')
    .update(await fs.readFile(f))
    .digest('hex');

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    signal: new AbortController().signal,
    cwd: root,
    env: process.env,
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const data = [
  ...LAYERS.flatMap((l) => ['--data', `${l}=data/raw_${l}.npy`]),
  '--runs',
  'data/run_number.npy',
  '--lumis',
  'data/ls_number.npy',
];

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'dism-cli-outputs-'));
  await fs.cp(path.join(REFERENCE_DIR, 'data'), path.join(root, 'data'), { recursive: true });
  await fs.cp(path.join(REFERENCE_DIR, 'model'), path.join(root, 'model'), { recursive: true });
  const preset = pixelBarrelPreset(LAYERS, (l) => ({
    onnx: `model/nmf_${l}.onnx`,
    localNorm: `model/local_norm_${l}.npy`,
    lossMask: `model/loss_mask_${l}.npy`,
  }));
  await fs.writeFile(path.join(root, 'preset.json'), JSON.stringify(preset, null, 2));
});
afterAll(() => fs.rm(root, { recursive: true, force: true }));

describe('CLI outputs never replace an input, nor an existing file without --overwrite', () => {
  it('preview --json refuses its own inputs, even with --overwrite', async () => {
    for (const input of ['data/raw_BPix2.npy', 'preset.json', 'model/loss_mask_BPix3.npy', 'data/run_number.npy']) {
      const before = await sha(path.join(root, input));
      const r = await cli('preview', '--preset', 'preset.json', ...data, '--json', input, '--overwrite');
      expect(r.code, input).toBe(1);
      expect(r.err, input).toContain(`${path.join(root, input)} is an input of this run`);
      expect(await sha(path.join(root, input)), input).toBe(before);
    }
  });

  it('an input reached through a link is still an input', async () => {
    await fs.symlink('data/raw_BPix4.npy', path.join(root, 'alias.npy'));
    const before = await sha(path.join(root, 'data/raw_BPix4.npy'));
    const r = await cli('preview', '--preset', 'preset.json', ...data, '--json', 'alias.npy', '--overwrite');
    expect(r.code).toBe(1);
    expect(await sha(path.join(root, 'data/raw_BPix4.npy'))).toBe(before);
  });

  it('preview --json replaces an existing file only with --overwrite', async () => {
    const out = path.join(root, 'result.json');
    await fs.writeFile(out, 'my notes');
    const r = await cli('preview', '--preset', 'preset.json', ...data, '--json', 'result.json');
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${out} already exists; add --overwrite to replace it. Nothing was written.`);
    expect(await fs.readFile(out, 'utf8')).toBe('my notes');
    const ok = await cli('preview', '--preset', 'preset.json', ...data, '--json', 'result.json', '--overwrite');
    expect(ok.code).toBe(0);
    expect(JSON.parse(await fs.readFile(out, 'utf8')).summary.lumisections).toBe(24);
  });

  it('preview --dump-stages: refuses a stage file that is an input, and existing stage files without --overwrite', async () => {
    await fs.mkdir(path.join(root, 'stages'));
    // The user keeps the BPix2 maps under the name a stage file would get.
    await fs.copyFile(path.join(root, 'data/raw_BPix2.npy'), path.join(root, 'stages/loss_BPix2.npy'));
    const before = await sha(path.join(root, 'stages/loss_BPix2.npy'));
    const withInput = [
      '--data',
      'BPix2=stages/loss_BPix2.npy',
      '--data',
      'BPix3=data/raw_BPix3.npy',
      '--data',
      'BPix4=data/raw_BPix4.npy',
      '--runs',
      'data/run_number.npy',
      '--lumis',
      'data/ls_number.npy',
    ];
    const r = await cli('preview', '--preset', 'preset.json', ...withInput, '--dump-stages', 'stages', '--overwrite');
    expect(r.code).toBe(1);
    expect(r.err).toContain('is an input of this run');
    expect(await sha(path.join(root, 'stages/loss_BPix2.npy'))).toBe(before);
    expect(await fs.readdir(path.join(root, 'stages'))).toEqual(['loss_BPix2.npy']);

    await fs.mkdir(path.join(root, 'stages2'));
    await fs.writeFile(path.join(root, 'stages2/flags.npy'), 'older dump');
    const again = await cli('preview', '--preset', 'preset.json', ...data, '--dump-stages', 'stages2');
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/stages2\/flags\.npy already exists; add --overwrite/);
    expect(await fs.readdir(path.join(root, 'stages2'))).toEqual(['flags.npy']);
    expect((await cli('preview', '--preset', 'preset.json', ...data, '--dump-stages', 'stages2', '--overwrite')).code).toBe(0);
    expect((await fs.readdir(path.join(root, 'stages2'))).length).toBeGreaterThan(10);
  });

  it('infer --json refuses its inputs and existing files before contacting the server', async () => {
    await fs.copyFile(path.join(__dirname, '../fixtures/templates/pixel-barrel-nmf.template.yaml'), path.join(root, 'template.yaml'));
    const before = await sha(path.join(root, 'data/raw_BPix2.npy'));
    const base = [
      'infer',
      '--url',
      'http://127.0.0.1:9',
      '--model',
      'pixel-barrel-nmf',
      '--template',
      'template.yaml',
      '--data',
      'x=data/raw_BPix2.npy',
    ];
    const r = await cli(...base, '--json', 'data/raw_BPix2.npy', '--overwrite');
    expect(r.code).not.toBe(0);
    expect(r.err).toContain('is an input of this run');
    expect(await sha(path.join(root, 'data/raw_BPix2.npy'))).toBe(before);
    await fs.writeFile(path.join(root, 'infer.json'), 'keep me');
    const e = await cli(...base, '--json', 'infer.json');
    expect(e.err).toContain('already exists; add --overwrite');
    expect(await fs.readFile(path.join(root, 'infer.json'), 'utf8')).toBe('keep me');
  });

  it("new-template replaces only with --overwrite (or --force), keeps our backup apart from the user's .bak", async () => {
    const f = path.join(root, 'new.yaml');
    await fs.writeFile(f, 'mine: 1\n');
    await fs.writeFile(`${f}.bak`, 'my backup');
    const r = await cli('new-template', 'new.yaml', '--preset', 'pixel-barrel-nmf');
    expect(r.code).toBe(1);
    expect(r.err).toContain('already exists; add --overwrite to replace it');
    expect((await cli('new-template', 'new.yaml', '--preset', 'pixel-barrel-nmf', '--overwrite')).code).toBe(0);
    expect(await fs.readFile(`${f}.bak`, 'utf8')).toBe('my backup');
    expect(await fs.readFile(`${f}.dism-studio.bak`, 'utf8')).toBe('mine: 1\n');
    expect((await cli('new-template', 'new.yaml', '--preset', 'pixel-barrel-nmf', '--force')).code).toBe(0);
  });

  it('import-joblib: an earlier import is replaced only with --overwrite (checked before the extraction runs)', async () => {
    const proj = path.join(root, 'proj');
    await fs.mkdir(path.join(proj, 'preview-PixelNMF'), { recursive: true });
    await fs.copyFile(path.join(__dirname, '../fixtures/templates/pixel-barrel-nmf.template.yaml'), path.join(proj, 'template.yaml'));
    await expect(planImportOutputs(path.join(proj, 'template.yaml'), 'PixelNMF', false)).resolves.toMatchObject({
      target: path.join(proj, 'preview-PixelNMF'),
      replaces: [],
    });
    await fs.writeFile(path.join(proj, 'preview-PixelNMF/preset.json'), '{"tuned": true}');
    await fs.writeFile(path.join(proj, 'preview-PixelNMF/nmf_BPix1.onnx'), 'x');
    await expect(planImportOutputs(path.join(proj, 'template.yaml'), 'PixelNMF', false)).rejects.toMatchObject({
      code: 'OUTPUT_EXISTS',
      message: expect.stringContaining('preview-PixelNMF'),
    });
    await expect(planImportOutputs(path.join(proj, 'template.yaml'), 'PixelNMF', true)).resolves.toMatchObject({
      replaces: ['nmf_BPix1.onnx', 'preset.json'],
    });
    const r = await cli('import-joblib', 'proj/template.yaml', '--resource', 'PixelNMF');
    expect(r.code).toBe(1);
    expect(r.err).toContain('add --overwrite');
    expect(await fs.readFile(path.join(proj, 'preview-PixelNMF/preset.json'), 'utf8')).toBe('{"tuned": true}');
  });
});
