import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { encodeNpy, encodeNpz, NpyFormatError, parseNpy, parseNpz, readNpyFile, readNpzFile } from '@/backend/pipeline/npy';

const DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/npy');

describe('npy reader', async () => {
  const expected = JSON.parse(await fs.readFile(path.join(DIR, 'expected.json'), 'utf8')) as {
    shape: number[];
    values: Record<string, number[]>;
  };

  it.each(Object.keys(expected.values))('%s', async (name) => {
    const arr = await readNpyFile(path.join(DIR, name));
    expect(arr.shape).toEqual(expected.shape);
    expect(arr.dtype).toBe(name.split('_')[0]);
    expect(Array.from(arr.data)).toEqual(expected.values[name]);
  });

  it('reads 1-D arrays with NaN', async () => {
    const arr = await readNpyFile(path.join(DIR, 'vector_f8.npy'));
    expect(arr.shape).toEqual([3]);
    expect(Array.from(arr.data)).toEqual([1.5, -2, NaN]);
  });

  it('reads stored and compressed .npz archives', async () => {
    const stored = await readNpzFile(path.join(DIR, 'stored.npz'));
    expect(Object.keys(stored).sort()).toEqual(['BPix2', 'ls_number', 'run_number']);
    expect(stored.BPix2.shape).toEqual([2, 3, 4]);
    expect(Array.from(stored.ls_number.data)).toEqual([1, 2]);
    const compressed = await readNpzFile(path.join(DIR, 'compressed.npz'));
    expect(Array.from(compressed.a.data)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(Array.from(compressed.b.data)).toEqual([1, 0]);
  });

  it('round-trips through the writer', () => {
    const arrays = {
      f: { dtype: 'float32' as const, shape: [2, 2], data: new Float32Array([1, 2.5, NaN, -4]) },
      b: { dtype: 'bool' as const, shape: [3], data: new Uint8Array([1, 0, 1]) },
      i: { dtype: 'int32' as const, shape: [1, 3], data: new Int32Array([-1, 0, 7]) },
    };
    for (const a of Object.values(arrays)) {
      const back = parseNpy(encodeNpy(a));
      expect(back.dtype).toBe(a.dtype);
      expect(back.shape).toEqual(a.shape);
      expect(Array.from(back.data)).toEqual(Array.from(a.data));
    }
    const npz = parseNpz(encodeNpz(arrays));
    expect(Array.from(npz.i.data)).toEqual([-1, 0, 7]);
  });

  it('names the file and the problem for bad input', async () => {
    const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'npy-'));
    const bad = path.join(tmp, 'bad.npy');
    await fs.writeFile(bad, 'not numpy');
    await expect(readNpyFile(bad)).rejects.toThrow(`${bad}: not a .npy file`);
    await expect(readNpyFile(path.join(tmp, 'absent.npy'))).rejects.toThrow(/absent\.npy: file not found/);
    const good = encodeNpy({ dtype: 'float64', shape: [4], data: new Float64Array(4) });
    await fs.writeFile(bad, good.subarray(0, good.length - 8));
    await expect(readNpyFile(bad)).rejects.toThrow(/data ends after 24 bytes, shape \(4,\) × <f8 needs 32/);
    const complex = good.slice();
    complex[Buffer.from(complex).indexOf('<f8') + 1] = 'c'.charCodeAt(0);
    expect(() => parseNpy(complex, 'x.npy')).toThrow(NpyFormatError);
    expect(() => parseNpy(complex, 'x.npy')).toThrow(/unsupported dtype "<c8"/);
    await fs.rm(tmp, { recursive: true, force: true });
  });
});
