import { describe, expect, it } from 'vitest';
import { decodeArray, encodeArray } from '@/shared/pipeline/encoded-array';

describe('encoded arrays', () => {
  it('round-trip every dtype, NaN included, for every length modulo 3', () => {
    for (const len of [0, 1, 2, 3, 4, 5, 1000]) {
      const f32 = Float32Array.from({ length: len }, (_, i) => (i % 7 === 3 ? NaN : i * 0.25 - 3));
      const f64 = Float64Array.from(f32);
      const i32 = Int32Array.from({ length: len }, (_, i) => i * 1000 - 7);
      const u8 = Uint8Array.from({ length: len }, (_, i) => i % 256);
      for (const a of [f32, f64, i32, u8]) {
        const e = encodeArray(a, [len]);
        expect(e.base64).toBe(Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64'));
        const back = decodeArray(e);
        expect(back.constructor).toBe(a.constructor);
        expect(Array.from(back)).toEqual(Array.from(a));
      }
    }
  });

  it('encodes views at an offset', () => {
    const base = Float32Array.from([1, 2, 3, 4, 5]);
    expect(Array.from(decodeArray(encodeArray(base.subarray(2, 4), [2])))).toEqual([3, 4]);
  });
});
