import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataInputs } from '@/backend/pipeline/data-inputs';
import { compilePresetFiles } from '@/backend/pipeline/preset-io';
import { encodeNpy, readNpyFile } from '@/backend/pipeline/npy';
import { pixelBarrelPreset } from '@/shared/preset/pixel-barrel';
import { rawCountsProblem } from '@/shared/pipeline/input-checks';
import type { NumericArray } from '@/shared/pipeline/ndarray';
import { LAYERS, REFERENCE_DIR } from './fixture';

/**
 * Values that would silently change the result are refused, naming the file, the map and the bin
 * (as NaN already was): raw counts must be finite and ≥ 0, run and LS numbers whole and ≥ 0, a loss
 * mask only 0/1. Each boundary is pinned: the last value accepted and the first refused.
 */
let dir: string;
const preset = pixelBarrelPreset(LAYERS);
const layers = Object.fromEntries(LAYERS.map((l) => [l, path.join(REFERENCE_DIR, `data/raw_${l}.npy`)]));
const N = 24;
const SIZE = 58 * 72;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dism-input-values-'));
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

/** BPix2 maps of the reference with one value changed at map 1, bin (3, 9). */
async function bpix2With(value: number, name: string): Promise<string> {
  const ref = await readNpyFile(layers.BPix2);
  const data = Float64Array.from(ref.data);
  data[SIZE + 3 * 72 + 9] = value;
  const f = path.join(dir, `${name}.npy`);
  await fs.writeFile(f, encodeNpy({ dtype: 'float64', shape: [N, 58, 72], data }));
  return f;
}

async function ids(name: string, values: number[]): Promise<string> {
  const f = path.join(dir, `${name}.npy`);
  await fs.writeFile(f, encodeNpy({ dtype: 'float64', shape: [values.length], data: Float64Array.from(values) }));
  return f;
}

describe('raw counts', () => {
  it.each([
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
    [NaN, 'NaN'],
  ])('%s is refused, naming the map and bin', async (v, shown) => {
    const f = await bpix2With(v, `bad-${shown}`);
    await expect(loadDataInputs(preset, { layers: { ...layers, BPix2: f } })).rejects.toThrow(
      `${f}: BPix2 raw counts contain ${shown} (map 1, bin (3, 9))`,
    );
  });

  it('negative counts are refused; 0, -0 and the largest finite value are accepted', async () => {
    const neg = await bpix2With(-1e-300, 'tiny-negative');
    await expect(loadDataInputs(preset, { layers: { ...layers, BPix2: neg } })).rejects.toThrow(
      `${neg}: BPix2 raw counts contain a negative count -1e-300 (map 1, bin (3, 9)); raw counts must be finite numbers ≥ 0`,
    );
    for (const [v, name] of [
      [0, 'zero'],
      [-0, 'minus-zero'],
      [Number.MAX_VALUE, 'max'],
    ] as const) {
      const ok = await bpix2With(v, name);
      await expect(loadDataInputs(preset, { layers: { ...layers, BPix2: ok } }), name).resolves.toMatchObject({ n: N });
    }
  });
});

describe('run and LS numbers', () => {
  const runs = path.join(REFERENCE_DIR, 'data/run_number.npy');
  const lumis = path.join(REFERENCE_DIR, 'data/ls_number.npy');

  it('fractional and negative numbers are refused, naming the position', async () => {
    const ref = Array.from((await readNpyFile(lumis)).data);
    const frac = await ids(
      'ls-frac',
      ref.map((v, i) => (i === 4 ? v + 0.5 : v)),
    );
    await expect(loadDataInputs(preset, { layers, runs, lumis: frac })).rejects.toThrow(
      `${frac}: LS number ${ref[4] + 0.5} at position 4 is not a whole number ≥ 0`,
    );
    const neg = await ids(
      'ls-neg',
      ref.map((v, i) => (i === 2 ? -1 : v)),
    );
    await expect(loadDataInputs(preset, { layers, runs, lumis: neg })).rejects.toThrow(
      `${neg}: LS number -1 at position 2 is not a whole number ≥ 0`,
    );
    const runRef = Array.from((await readNpyFile(runs)).data);
    const runFrac = await ids(
      'run-frac',
      runRef.map((v, i) => (i === 0 ? v + 1e-6 : v)),
    );
    await expect(loadDataInputs(preset, { layers, runs: runFrac, lumis })).rejects.toThrow(
      /run number 398011\.000001 at position 0 is not a whole number ≥ 0/,
    );
    const big = await ids(
      'run-unsafe',
      runRef.map((v, i) => (i === 0 ? 2 ** 53 : v)),
    );
    await expect(loadDataInputs(preset, { layers, runs: big, lumis })).rejects.toThrow(
      /run number 9007199254740992 at position 0 is not a whole number ≥ 0/,
    );
  });

  it('0 and the largest exact whole number are accepted', async () => {
    const runRef = Array.from((await readNpyFile(runs)).data);
    const edge = await ids(
      'run-edge',
      runRef.map((v, i) => (i === 0 ? 0 : i === 1 ? 2 ** 53 - 1 : v)),
    );
    await expect(loadDataInputs(preset, { layers, runs: edge, lumis })).resolves.toMatchObject({ n: N });
  });
});

describe('loss masks', () => {
  async function presetWithMask(values: (i: number) => number, dtype: 'float64' | 'bool' | 'uint8', name: string) {
    const ref = await readNpyFile(path.join(REFERENCE_DIR, 'model/loss_mask_BPix3.npy'));
    const data =
      dtype === 'float64' ? Float64Array.from(ref.data, (v, i) => values(i) ?? v) : Uint8Array.from(ref.data, (v, i) => values(i) ?? v);
    const mask = path.join(dir, `${name}.npy`);
    await fs.writeFile(mask, encodeNpy({ dtype, shape: ref.shape, data }));
    const p = pixelBarrelPreset(LAYERS, (l) => ({
      onnx: path.join(REFERENCE_DIR, `model/nmf_${l}.onnx`),
      localNorm: path.join(REFERENCE_DIR, `model/local_norm_${l}.npy`),
      lossMask: l === 'BPix3' ? mask : path.join(REFERENCE_DIR, `model/loss_mask_${l}.npy`),
    }));
    return { loaded: { file: path.join(dir, 'preset.json'), dir, preset: p }, mask };
  }

  it('a float map used as a loss mask is refused, naming the layer, file and bin', async () => {
    const { loaded, mask } = await presetWithMask(
      (i) => (i === 5 * 72 + 7 ? 0.37 : (undefined as unknown as number)),
      'float64',
      'float-mask',
    );
    await expect(compilePresetFiles(loaded)).rejects.toThrow(
      `loss mask of BPix3 (${mask}) has the value 0.37 at bin (5, 7); a loss mask holds only 0 and 1 (false/true)`,
    );
  });

  it('the boundaries: 1.0000001 and -0.5 and NaN are refused; 0/1 as float, uint8 or bool are accepted', async () => {
    for (const [v, shown] of [
      [1.0000001, '1.0000001'],
      [-0.5, '-0.5'],
      [NaN, 'NaN'],
      [2, '2'],
    ] as const) {
      const { loaded } = await presetWithMask((i) => (i === 0 ? v : (undefined as unknown as number)), 'float64', `mask-${shown}`);
      await expect(compilePresetFiles(loaded), shown).rejects.toThrow(`has the value ${shown} at bin (0, 0)`);
    }
    for (const dtype of ['float64', 'uint8', 'bool'] as const) {
      const { loaded } = await presetWithMask(() => undefined as unknown as number, dtype, `mask-ok-${dtype}`);
      await expect(compilePresetFiles(loaded), dtype).resolves.toMatchObject({ layers: expect.any(Array) });
    }
  });
});

describe('rawCountsProblem on every integer and float dtype', () => {
  // 2 maps of 3 × 4: the bad value at map 1, bin (2, 3), the last bin
  const at = (Ctor: new (n: number) => NumericArray, v: number) => {
    const a = new Ctor(24);
    a.fill(7);
    a[23] = v;
    return a;
  };
  const bad = 'map 1, bin (2, 3)';

  it('signed integers: the first negative value is found, the smallest one too; 0 and the largest are fine', () => {
    for (const [Ctor, min, max] of [
      [Int8Array, -128, 127],
      [Int16Array, -32768, 32767],
      [Int32Array, -2147483648, 2147483647],
    ] as const) {
      expect(rawCountsProblem(at(Ctor, -1), 3, 4)).toContain(`negative count -1 (${bad})`);
      expect(rawCountsProblem(at(Ctor, min), 3, 4)).toContain(`negative count ${min} (${bad})`);
      expect(rawCountsProblem(at(Ctor, 0), 3, 4)).toBeNull();
      expect(rawCountsProblem(at(Ctor, max), 3, 4)).toBeNull();
      // two negatives: the first one is named
      const two = at(Ctor, -3);
      two[5] = -2;
      expect(rawCountsProblem(two, 3, 4)).toContain('negative count -2 (map 0, bin (1, 1))');
    }
  });

  it('unsigned integers are always counts', () => {
    for (const Ctor of [Uint8Array, Uint8ClampedArray, Uint16Array, Uint32Array])
      expect(rawCountsProblem(at(Ctor, 0xffffffff), 3, 4)).toBeNull();
  });

  it('floats: NaN, ±Inf and negatives down to the smallest are refused, −0 is accepted', () => {
    for (const Ctor of [Float32Array, Float64Array]) {
      expect(rawCountsProblem(at(Ctor, NaN), 3, 4)).toContain(`contain NaN (${bad})`);
      expect(rawCountsProblem(at(Ctor, Infinity), 3, 4)).toContain(`contain +Inf (${bad})`);
      expect(rawCountsProblem(at(Ctor, -Infinity), 3, 4)).toContain(`contain -Inf (${bad})`);
      expect(rawCountsProblem(at(Ctor, -0), 3, 4)).toBeNull();
    }
    expect(rawCountsProblem(at(Float64Array, -Number.MIN_VALUE), 3, 4)).toContain(`negative count -5e-324 (${bad})`);
  });
});
