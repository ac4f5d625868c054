import { describe, expect, it } from 'vitest';
import { addRebinnedBinary, areaPlan, rebinKeepClip, resizeArea } from '@/shared/pipeline/rebin';

const close = (a: ArrayLike<number>, b: number[]) => {
  expect(a.length).toBe(b.length);
  Array.from(a).forEach((v, i) => expect(v).toBeCloseTo(b[i], 5));
};

describe('INTER_AREA resize', () => {
  it('averages blocks for integer factors', () => {
    const src = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
    close(resizeArea(src, areaPlan(4, 4, 2, 2)), [3.5, 5.5, 11.5, 13.5]);
  });

  it('weights partial source bins for non-integer factors (3 → 2)', () => {
    // rows [0, 3, 6] → [(2/3)·0 + (1/3)·3, (1/3)·3 + (2/3)·6] = [1, 5]
    close(resizeArea([0, 3, 6], areaPlan(3, 1, 2, 1)), [1, 5]);
    // 3 × 3 → 2 × 2 is separable: T·A·Tᵀ with T = [[2/3, 1/3, 0], [0, 1/3, 2/3]]
    const A = [9, 0, 0, 0, 0, 0, 0, 0, 9];
    close(resizeArea(A, areaPlan(3, 3, 2, 2)), [4, 0, 0, 4]);
  });

  it('handles 5 → 2 with the last bin at the edge', () => {
    // [0, 2.5): 0.4, 0.4, 0.2 · bins 0..2; [2.5, 5): 0.2, 0.4, 0.4 · bins 2..4
    close(resizeArea([10, 20, 30, 40, 50], areaPlan(5, 1, 2, 1)), [0.4 * 10 + 0.4 * 20 + 0.2 * 30, 0.2 * 30 + 0.4 * 40 + 0.4 * 50]);
  });

  it('88 → 56 rows keeps the total (each output bin is a mean over 11/7 input rows)', () => {
    const src = Array.from({ length: 88 }, (_, i) => (i % 7) + 1);
    const out = resizeArea(src, areaPlan(88, 1, 56, 1));
    const sumIn = src.reduce((a, b) => a + b, 0);
    const sumOut = Array.from(out).reduce((a, b) => a + b, 0);
    expect(sumOut * (88 / 56)).toBeCloseTo(sumIn, 3);
  });

  it('identity shapes copy the map', () => {
    close(resizeArea([1, 2, 3, 4, 5, 6], areaPlan(2, 3, 2, 3)), [1, 2, 3, 4, 5, 6]);
  });

  it('enlarging uses OpenCV area-mode linear weights', () => {
    close(resizeArea([0, 10], areaPlan(1, 2, 1, 4)), [0, 0, 10, 10]);
    close(resizeArea([0, 10], areaPlan(1, 2, 1, 3)), [0, 5, 10]);
  });
});

describe('keep-clip rebinning', () => {
  it('any output bin touched by a 1 is 1, values ≥ 1 are clipped', () => {
    const plan = areaPlan(3, 1, 2, 1);
    close(rebinKeepClip([1, 0, 0], plan), [1, 0]);
    close(rebinKeepClip([0, 1, 0], plan), [1, 1]);
    close(rebinKeepClip([0, 0, 2], plan), [0, 1]);
    close(rebinKeepClip([0.3, 0.3, 0.3], plan), [0.3, 0.3]);
  });

  it('ignores source bins that overlap an output bin by less than 1e-3 (OpenCV table)', () => {
    // 1001 → 1000: output bin 0 covers [0, 1.001): bin 1 overlaps by 0.001 — not above 1e-3
    const src = new Float64Array(1001);
    src[1] = 1;
    const out = rebinKeepClip(src, areaPlan(1001, 1, 1000, 1));
    expect(out[0]).toBe(0);
    expect(out[1]).toBe(1);
  });

  it('the binary fast path agrees with the general one', () => {
    let seed = 3;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (const [sr, sc, dr, dc] of [
      [88, 64, 56, 64],
      [128, 64, 56, 64],
      [7, 9, 3, 4],
      [56, 64, 56, 64],
      [4, 4, 6, 3],
    ]) {
      const plan = areaPlan(sr, sc, dr, dc);
      const src = new Uint8Array(sr * sc).map(() => (rnd() < 0.05 ? 1 : 0));
      const acc = new Uint8Array(dr * dc);
      addRebinnedBinary(src, 0, plan, acc, 0, new Uint8Array(dr * sc));
      const general = rebinKeepClip(src, plan);
      expect(Array.from(acc)).toEqual(Array.from(general).map((v) => (v > 0 ? 1 : 0)));
    }
  });
});
