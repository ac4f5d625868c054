import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeNpyValues, encodeNpy, NpyStackReader, parseNpy, parseNpyLayout, readNpyFile } from '@/backend/pipeline/npy';

const DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/npy');

/** .npy bytes of `data` with a header of `pad` extra bytes, so the data starts at a chosen offset. */
function npyWithDataAt(descr: string, shape: number[], body: Uint8Array, pad: number): Uint8Array {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat(pad) + '\n';
  const out = new Uint8Array(10 + header.length + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(body, 10 + header.length);
  return out;
}

describe('.npy values as views on the file bytes', () => {
  it('aligned host-order data is a view (no copy); unaligned data is copied once and equal', () => {
    const values = Float64Array.from([1.5, -2, NaN, 1e300]);
    const aligned = encodeNpy({ dtype: 'float64', shape: [4], data: values });
    const a = parseNpy(aligned);
    expect(a.data.buffer).toBe(aligned.buffer);
    expect(Array.from(a.data)).toEqual(Array.from(values));
    // data at an offset that is not a multiple of 8
    const body = new Uint8Array(values.buffer);
    const odd = npyWithDataAt('<f8', [4], body, 3);
    expect(parseNpyLayout(odd, 'x').dataStart % 8).not.toBe(0);
    const b = parseNpy(odd);
    expect(b.data.buffer).not.toBe(odd.buffer);
    expect(Array.from(b.data)).toEqual(Array.from(values));
  });

  it('big-endian, int64 beyond 2^53, float16 and bool other than 0/1 are converted exactly', () => {
    const be = new Uint8Array(8);
    new DataView(be.buffer).setInt32(0, -123456, false);
    new DataView(be.buffer).setInt32(4, 7, false);
    expect(Array.from(parseNpy(npyWithDataAt('>i4', [2], be, 0)).data)).toEqual([-123456, 7]);
    const i64 = new BigInt64Array([-(2n ** 62n) - 1n, 2n ** 53n + 1n, -1n, 0n]);
    const got = parseNpy(npyWithDataAt('<i8', [4], new Uint8Array(i64.buffer), 0)).data;
    expect(Array.from(got)).toEqual(Array.from(i64, (v) => Number(v)));
    const u64 = new BigUint64Array([2n ** 64n - 1n, 2n ** 63n + 2n ** 11n]);
    expect(Array.from(parseNpy(npyWithDataAt('<u8', [2], new Uint8Array(u64.buffer), 0)).data)).toEqual(Array.from(u64, (v) => Number(v)));
    const f16 = new Uint16Array([0x3c00, 0xc000, 0x7c00, 0x0001, 0x7e00]);
    const h = Array.from(parseNpy(npyWithDataAt('<f2', [5], new Uint8Array(f16.buffer), 0)).data);
    expect(h.slice(0, 4)).toEqual([1, -2, Infinity, 2 ** -24]);
    expect(h[4]).toBeNaN();
    const bools = Uint8Array.from([0, 1, 2, 255]);
    const bytes = npyWithDataAt('|b1', [4], bools, 0);
    expect(Array.from(parseNpy(bytes).data)).toEqual([0, 1, 1, 1]);
    // the file's bytes are left as they were
    expect(Array.from(bytes.subarray(bytes.length - 4))).toEqual([0, 1, 2, 255]);
  });

  it('decodeNpyValues converts into the caller’s array when one is given', () => {
    const be = new Uint8Array(8);
    new DataView(be.buffer).setFloat32(0, 2.5, false);
    new DataView(be.buffer).setFloat32(4, -1, false);
    const into = new Float32Array(4);
    const out = decodeNpyValues({ dtype: 'float32', itemSize: 4, little: false }, be, 0, 2, into);
    expect(out.buffer).toBe(into.buffer);
    expect(Array.from(out)).toEqual([2.5, -1]);
  });
});

describe('NpyStackReader', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'npy-stack-'));
  });
  afterAll(async () => {
    await fs.rm(tmp, { recursive: true, force: true });
  });

  it('reads blocks of maps equal to the whole file, for every fixture dtype and byte order', async () => {
    const names = (await fs.readdir(DIR)).filter((f) => /_C\.npy$/.test(f));
    expect(names.length).toBeGreaterThan(10);
    for (const name of names) {
      const whole = await readNpyFile(path.join(DIR, name));
      const reader = NpyStackReader.open(path.join(DIR, name))!;
      expect(reader.n, name).toBe(whole.shape[0]);
      const per = reader.mapSize;
      const bytes = new Uint8Array(reader.blockBytes(1));
      for (let k = 0; k < reader.n; k++) {
        const block = reader.read(k, 1, bytes);
        expect(Array.from(block), `${name} map ${k}`).toEqual(Array.from(whole.data.subarray(k * per, (k + 1) * per)));
      }
      reader.close();
    }
  });

  it('a block is a view on the caller’s buffer when the stored values can be used as they are', async () => {
    const file = path.join(tmp, 'stack.npy');
    const data = Int32Array.from({ length: 5 * 6 }, (_, i) => i * 3 - 7);
    await fs.writeFile(file, encodeNpy({ dtype: 'int32', shape: [5, 2, 3], data }));
    const reader = NpyStackReader.open(file)!;
    const bytes = new Uint8Array(reader.blockBytes(2));
    const block = reader.read(3, 2, bytes);
    expect(block.buffer).toBe(bytes.buffer);
    expect(Array.from(block)).toEqual(Array.from(data.subarray(18, 30)));
    reader.close();
  });

  it('Fortran-ordered stacks are left to the whole-file reader; a truncated file is named', async () => {
    expect(NpyStackReader.open(path.join(DIR, 'int32_le_F.npy'))).toBeNull();
    const file = path.join(tmp, 'short.npy');
    const full = encodeNpy({ dtype: 'float32', shape: [3, 2], data: new Float32Array(6) });
    await fs.writeFile(file, full.subarray(0, full.length - 4));
    expect(() => NpyStackReader.open(file)).toThrow(/short\.npy: data ends after 20 bytes, shape \(3, 2\) × <f4 needs 24/);
    expect(() => NpyStackReader.open(path.join(tmp, 'absent.npy'))).toThrow(/absent\.npy: file not found/);
  });
});
