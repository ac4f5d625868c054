import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '@/backend/cli/main';
import { generateDemoProject } from '@/backend/demo/demo-project';
import { encodeNpy, readNpyFile } from '@/backend/pipeline/npy';
import { pixelBarrelPreset } from '@/shared/preset/pixel-barrel';
import { LAYERS, REFERENCE_DIR } from './fixture';

let root: string;
let presetFile: string;

async function cli(args: string[], cwd = REFERENCE_DIR): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    signal: new AbortController().signal,
    cwd,
    env: process.env,
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'preview-cli-'));
  presetFile = path.join(root, 'preset.json');
  const preset = pixelBarrelPreset(LAYERS, (l) => ({
    onnx: path.join(REFERENCE_DIR, `model/nmf_${l}.onnx`),
    localNorm: path.join(REFERENCE_DIR, `model/local_norm_${l}.npy`),
    lossMask: path.join(REFERENCE_DIR, `model/loss_mask_${l}.npy`),
  }));
  await fs.writeFile(presetFile, JSON.stringify(preset, null, 2));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

const dataArgs = [
  ...LAYERS.flatMap((l) => ['--data', `${l}=data/raw_${l}.npy`]),
  '--runs',
  'data/run_number.npy',
  '--lumis',
  'data/ls_number.npy',
  '--oms',
  'data/omsdata_Run2025F-v1.json',
  '--hlt',
  'data/hltrate_Run2025F-v1.json',
];

describe('dism-studio preview', () => {
  it('dumps every stage with the reference file names, dtypes and values', async () => {
    const dump = path.join(root, 'stages');
    const json = path.join(root, 'out.json');
    const r = await cli(['preview', '--preset', presetFile, ...dataArgs, '--dump-stages', dump, '--json', json, '--chunk-size', '5']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('24 lumisections: 6 flagged before the filter, 5 flagged after, 18 passed the filter');
    expect(r.out).toMatch(/398012\s+10\s+FLAG\s+-\s+fail\s+HLT_ZeroBias_v12 rate 2 Hz \(needs > 5\)/);
    const names = (await fs.readdir(path.join(REFERENCE_DIR, 'reference/onnx'))).sort();
    const dumped = (await fs.readdir(dump)).sort();
    expect(dumped).toEqual([...names, 'filter_mask.npy'].sort());
    for (const name of dumped) {
      const mine = await readNpyFile(path.join(dump, name));
      const ref = await readNpyFile(
        path.join(REFERENCE_DIR, name === 'filter_mask.npy' ? 'reference/filter_mask.npy' : `reference/onnx/${name}`),
      );
      expect([name, mine.dtype, mine.shape]).toEqual([name, ref.dtype, ref.shape]);
      const exact = ref.dtype === 'bool' || ref.dtype === 'int8' || name.startsWith('combined') || name.startsWith('loss_mask');
      for (let i = 0; i < ref.data.length; i++) {
        const a = mine.data[i];
        const e = ref.data[i];
        const ok = Number.isNaN(e) ? Number.isNaN(a) : exact ? a === e : Math.abs(a - e) <= 1e-5 + 1e-4 * Math.abs(e);
        if (!ok) throw new Error(`${name}[${i}]: ${a} vs ${e}`);
      }
    }
    const out = JSON.parse(await fs.readFile(json, 'utf8'));
    expect(out.summary).toMatchObject({ lumisections: 24, flagged: 5, flaggedBeforeFilter: 6, passedFilter: 18 });
    expect(out.lumisections[17]).toMatchObject({ run: 398012, ls: 6, flagged: false, passedFilter: false });
    expect(out.lumisections[17].reasons[0]).toMatch(/^BPix2 has .* entries \(needs > 2\.500e\+5\)$/);
  });

  it('reads DIALS parquet exports and prints JSON to standard output', async () => {
    const parquet = (l: string) =>
      `parquet/ZeroBias-Run2025F-PromptReco-v1-DQMIO-PixelPhase1-Phase1_MechanicalView-PXBarrel-clusters_per_SignedModuleCoord_per_SignedLadderCoord_PXLayer_${l.slice(-1)}.parquet`;
    const r = await cli(['preview', '--preset', presetFile, ...LAYERS.flatMap((l) => ['--data', `${l}=${parquet(l)}`]), '--json', '-']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.out);
    expect(out.lumisections.map((x: { flaggedBeforeFilter: boolean }) => x.flaggedBeforeFilter).filter(Boolean)).toHaveLength(6);
    expect(r.err).toMatch(/no OMS metadata given: the OMS flag and pileup cuts are skipped/);
  });

  it('runs a project (preset, template check, data/ by default)', async () => {
    const demo = path.join(root, 'demo');
    await generateDemoProject(demo, { trainingLs: 16, iterations: 10, contributors: [] });
    const r = await cli(['preview', '--project', demo]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/120 lumisections: \d+ flagged before the filter/);
    const template = path.join(demo, 'template.yaml');
    await fs.writeFile(template, (await fs.readFile(template, 'utf8')).replace('- 90\n', '- 91\n'));
    const bad = await cli(['preview', '--project', demo]);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain(
      `${template} does not match the model preset: input BPix3 has Dims [-1, 91, 72], but the preset expects [-1, 90, 72]`,
    );
  });

  it('explains wrong arguments and bad files', async () => {
    expect((await cli(['preview'])).code).toBe(2);
    const r = await cli(['preview', '--preset', presetFile, '--data', 'BPix2']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--data expects NAME=FILE');
    const missing = await cli(['preview', '--preset', presetFile, '--data', 'BPix2=data/raw_BPix2.npy']);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('no data for layer(s) BPix3, BPix4');
  });

  it('as a program: the inference thread started before the CLI is loaded runs the preview, or lets a usage error end at once', async () => {
    const bin = path.resolve('bin/dism-studio.mjs');
    const run = (args: string[]) =>
      promisify(execFile)(process.execPath, [bin, ...args], { cwd: REFERENCE_DIR, timeout: 60_000 }).then(
        (r) => ({ code: 0, ...r }),
        (e: { code: number; stdout: string; stderr: string; killed?: boolean }) => ({ ...e, code: e.killed ? -1 : e.code }),
      );
    const program = await run(['preview', '--preset', presetFile, ...dataArgs, '--json', '-']);
    const inProcess = await cli(['preview', '--preset', presetFile, ...dataArgs, '--json', '-']);
    expect(program.code).toBe(0);
    expect(JSON.parse(program.stdout)).toEqual(JSON.parse(inProcess.out));
    // the thread holds nothing until it gets a preset: the process ends as soon as the command does
    const t0 = performance.now();
    const usage = await run(['preview', '--preset', presetFile, '--data', 'BPix2']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--data expects NAME=FILE');
    const missing = await run(['preview', '--preset', path.join(root, 'no-such-preset.json'), ...dataArgs]);
    expect(missing.code).toBe(1);
    expect(performance.now() - t0).toBeLessThan(30_000);
  });

  it('a bad value in a late chunk of a streamed .npy stops the run with the same message and writes nothing', async () => {
    // the values of .npy stacks are checked as the run reads each chunk (the files are read once)
    const raw = await readNpyFile(path.join(REFERENCE_DIR, 'data/raw_BPix3.npy'));
    const data = Int32Array.from(raw.data);
    data[20 * 90 * 72 + 3 * 72 + 9] = -5;
    const bad = path.join(root, 'bad_BPix3.npy');
    await fs.writeFile(bad, encodeNpy({ dtype: 'int32', shape: raw.shape, data }));
    const out = path.join(root, 'bad-run');
    const args = dataArgs.map((a) => (a === 'BPix3=data/raw_BPix3.npy' ? `BPix3=${bad}` : a));
    const r = await cli([
      'preview',
      '--preset',
      presetFile,
      ...args,
      '--chunk-size',
      '5',
      '--json',
      path.join(out, 'r.json'),
      '--dump-stages',
      path.join(out, 'a/stages'),
    ]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      `${bad}: BPix3 raw counts contain a negative count -5 (map 20, bin (3, 9)); raw counts must be finite numbers ≥ 0`,
    );
    expect(r.out).toBe('');
    // the folders --dump-stages created are gone again, no file was written
    await expect(fs.access(out)).rejects.toThrow();
    // a folder that existed stays (empty as it was)
    await fs.mkdir(path.join(out, 'kept'), { recursive: true });
    const again = await cli(['preview', '--preset', presetFile, ...args, '--chunk-size', '5', '--dump-stages', path.join(out, 'kept')]);
    expect(again.code).toBe(1);
    expect(await fs.readdir(path.join(out, 'kept'))).toEqual([]);
  });
});
