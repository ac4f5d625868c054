import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDataInputs } from '@/backend/pipeline/data-inputs';
import { loadDialsJson } from '@/backend/pipeline/dials-json';
import { loadDialsParquet } from '@/backend/pipeline/dials-parquet';
import { encodeNpy, readNpyFile } from '@/backend/pipeline/npy';
import { alignHlt, alignOms, globToRegExp, loadHltRates, loadOmsColumnar } from '@/backend/pipeline/oms';
import { NmfSession } from '@/backend/pipeline/onnx-session';
import { pixelBarrelPreset } from '@/shared/preset/pixel-barrel';
import { LAYERS, parquetFile, REFERENCE_DIR } from './fixture';

const tmpDirs: string[] = [];
async function tmp(): Promise<string> {
  const d = await fs.mkdtemp(path.join(os.tmpdir(), 'pipeline-loaders-'));
  tmpDirs.push(d);
  return d;
}
afterAll(async () => {
  for (const d of tmpDirs) await fs.rm(d, { recursive: true, force: true });
});

describe('DIALS parquet and JSON', () => {
  it.each(LAYERS)('%s parquet gives the same raw arrays and (run, LS) as the .npy files', async (layer) => {
    const npy = await readNpyFile(path.join(REFERENCE_DIR, `data/raw_${layer}.npy`));
    const runs = await readNpyFile(path.join(REFERENCE_DIR, 'data/run_number.npy'));
    const lumis = await readNpyFile(path.join(REFERENCE_DIR, 'data/ls_number.npy'));
    const me = pixelBarrelPreset([layer]).layers[0].monitoringElement;
    const pq = await loadDialsParquet(parquetFile(layer), me);
    expect([pq.n, pq.rows, pq.cols]).toEqual(npy.shape);
    expect(pq.me).toBe(me);
    expect(Array.from(pq.maps)).toEqual(Array.from(npy.data));
    expect(Array.from(pq.runs)).toEqual(Array.from(runs.data));
    expect(Array.from(pq.lumis)).toEqual(Array.from(lumis.data));
  });

  it('parquet inputs of different row order are aligned by (run, LS)', async () => {
    const preset = pixelBarrelPreset(LAYERS);
    const fromParquet = await loadDataInputs(preset, { layers: Object.fromEntries(LAYERS.map((l) => [l, parquetFile(l)])) });
    const fromNpy = await loadDataInputs(preset, {
      layers: Object.fromEntries(LAYERS.map((l) => [l, `data/raw_${l}.npy`])),
      runs: 'data/run_number.npy',
      lumis: 'data/ls_number.npy',
      baseDir: REFERENCE_DIR,
    });
    expect(fromParquet.n).toBe(24);
    fromParquet.raws.forEach((r, i) => expect(Array.from(r)).toEqual(Array.from(fromNpy.raws[i])));
  });

  it('reads DIALS API JSON pages and rejects NaN counts', async () => {
    const dir = await tmp();
    const npy = await readNpyFile(path.join(REFERENCE_DIR, 'data/raw_BPix2.npy'));
    const me = pixelBarrelPreset(['BPix2']).layers[0].monitoringElement;
    const map = (i: number) =>
      Array.from({ length: 58 }, (_, r) => Array.from(npy.data.subarray(i * 4176 + r * 72, i * 4176 + r * 72 + 72)));
    const pages = [0, 1].map((p) => ({
      next: null,
      results: [0, 1].map((k) => ({ run_number: 1, ls_number: p * 2 + k + 1, me, x_bin: 72, y_bin: 58, entries: 0, data: map(p * 2 + k) })),
    }));
    const file = path.join(dir, 'pages.json');
    await fs.writeFile(file, JSON.stringify(pages));
    const m = await loadDialsJson(file, me);
    expect(m.n).toBe(4);
    expect(Array.from(m.lumis)).toEqual([1, 2, 3, 4]);
    expect(Array.from(m.maps.subarray(3 * 4176, 4 * 4176))).toEqual(Array.from(npy.data.subarray(3 * 4176, 4 * 4176)));
    (pages[1].results[1].data[5] as unknown[])[7] = null;
    await fs.writeFile(file, JSON.stringify(pages));
    await expect(loadDialsJson(file, me)).rejects.toThrow(`${file}: run 1 LS 4: bin (5, 7) is null; raw counts must be numbers`);
    await expect(loadDialsJson(file, 'Other/ME')).rejects.toThrow(/no rows for monitoring element "Other\/ME"/);
  });
});

describe('data input errors', () => {
  const preset = pixelBarrelPreset(LAYERS);
  const layers = Object.fromEntries(LAYERS.map((l) => [l, path.join(REFERENCE_DIR, `data/raw_${l}.npy`)]));

  it('shape, N mismatch, NaN and missing files are named', async () => {
    const dir = await tmp();
    const wrong = path.join(dir, 'wrong.npy');
    await fs.writeFile(wrong, encodeNpy({ dtype: 'int32', shape: [2, 90, 72], data: new Int32Array(2 * 90 * 72) }));
    await expect(loadDataInputs(preset, { layers: { ...layers, BPix2: wrong } })).rejects.toThrow(
      `${wrong}: BPix2 maps have shape (2, 90, 72), expected (N, 58, 72)`,
    );
    const short = path.join(dir, 'short.npy');
    await fs.writeFile(short, encodeNpy({ dtype: 'int32', shape: [2, 58, 72], data: new Int32Array(2 * 58 * 72) }));
    await expect(loadDataInputs(preset, { layers: { ...layers, BPix2: short } })).rejects.toThrow(
      /has 24 maps but .*short\.npy has 2; every layer needs the same lumisections/,
    );
    const nan = path.join(dir, 'nan.npy');
    const data = new Float64Array(2 * 58 * 72);
    data[58 * 72 + 3 * 72 + 9] = NaN;
    await fs.writeFile(nan, encodeNpy({ dtype: 'float64', shape: [2, 58, 72], data }));
    await expect(loadDataInputs(preset, { layers: { ...layers, BPix2: nan } })).rejects.toThrow(
      `${nan}: BPix2 raw counts contain NaN (map 1, bin (3, 9))`,
    );
    await expect(loadDataInputs(preset, { layers: { ...layers, BPix2: path.join(dir, 'absent.npy') } })).rejects.toThrow(
      /absent\.npy: file not found/,
    );
    await expect(loadDataInputs(preset, { layers: { BPix2: layers.BPix2 } })).rejects.toThrow('no data for layer(s) BPix3, BPix4');
    await expect(loadDataInputs(preset, { layers: { ...layers, BPix2: parquetFile('BPix3') } })).rejects.toThrow(
      /no rows for monitoring element ".*PXLayer_2"/,
    );
  });

  it('ONNX files: corrupt, missing and wrong shape', async () => {
    const dir = await tmp();
    const corrupt = path.join(dir, 'corrupt.onnx');
    await fs.writeFile(corrupt, 'garbage');
    await expect(NmfSession.open(corrupt, 'BPix2', 56, 64)).rejects.toThrow(
      `ONNX model of BPix2 (${corrupt}) cannot be loaded by onnxruntime`,
    );
    await expect(NmfSession.open(path.join(dir, 'none.onnx'), 'BPix2', 56, 64)).rejects.toThrow(/none\.onnx\): file not found/);
    const bpix3 = path.join(REFERENCE_DIR, 'model/nmf_BPix3.onnx');
    await expect(NmfSession.open(bpix3, 'BPix2', 56, 64)).rejects.toThrow(
      `ONNX model of BPix2 (${bpix3}): input "input" has shape [?, 88, 64], expected [N, 56, 64] (the BPix2 map with the centre cross removed)`,
    );
  });
});

describe('OMS and HLT metadata', () => {
  it('matches LS by (run, LS) and warns about missing ones', async () => {
    const oms = await loadOmsColumnar(path.join(REFERENCE_DIR, 'data/omsdata_Run2025F-v1.json'));
    const warnings: string[] = [];
    const cols = alignOms(oms, [398012, 398011, 1], [3, 1, 1], ['beams_stable', 'pileup', 'absent_flag'], warnings);
    expect(cols.found).toEqual([true, true, false]);
    expect(cols.attributes.pileup).toEqual([34, 62, null]);
    expect(warnings.join('\n')).toMatch(/no OMS attribute absent_flag/);
    expect(warnings.join('\n')).toMatch(/no OMS metadata for 1 lumisection\(s\) \(run:LS 1:1\)/);
    const hlt = await loadHltRates(path.join(REFERENCE_DIR, 'data/hltrate_Run2025F-v1.json'), 'HLT_ZeroBias_v*', warnings);
    const h = alignHlt(hlt, [398012, 398012], [10, 11], warnings);
    expect(h.rate).toEqual([2, 40]);
    expect(h.trigger).toEqual(['HLT_ZeroBias_v12', 'HLT_ZeroBias_v12']);
  });

  it('reads the real 2024 OMS exports and picks the trigger by glob', async () => {
    const dir = path.join(REFERENCE_DIR, '../oms');
    const oms = await loadOmsColumnar(path.join(dir, 'omsdata_Run2024A-v1.json'));
    expect(oms.index.size).toBe(3374);
    const warnings: string[] = [];
    const hlt = await loadHltRates(path.join(dir, 'hltrate_Run2024A-v1.json'), 'HLT_ZeroBias_v*', warnings);
    const some = [...hlt.rates.values()][0];
    expect(some.trigger).toMatch(/^HLT_ZeroBias_v\d+$/);
    expect(globToRegExp('HLT_ZeroBias_v*').test('HLT_ZeroBias_v12')).toBe(true);
    expect(globToRegExp('HLT_ZeroBias_v*').test('HLT_ZeroBias_FirstBX_v1')).toBe(false);
    expect(globToRegExp('DQM_Pixel?econstruction_v8').test('DQM_PixelReconstruction_v8')).toBe(true);
  });
});
