import { describe, expect, it } from 'vitest';
import { crossFor, splitCombinedLossMask } from '@/backend/import-joblib/loss-mask';
import { cropGeometry } from '@/shared/pipeline/model';
import { areaPlan, rebinKeepClip } from '@/shared/pipeline/rebin';
import { pixelBarrelPreset } from '@/shared/preset/pixel-barrel';

describe('cross from the NMF input shape', () => {
  it.each([
    [[58, 72], [56, 64], { rows: [28, 30], columns: [32, 40] }],
    [[130, 72], [128, 64], { rows: [64, 66], columns: [32, 40] }],
    [[26, 72], [24, 64], { rows: [12, 14], columns: [32, 40] }],
    [[10, 8], [10, 8], { rows: [5, 5], columns: [4, 4] }],
  ] as const)('%j → %j', (shape, xshape, cross) => {
    expect(crossFor([...shape], [...xshape])).toEqual(cross);
  });
  it('refuses shapes a centred cross cannot give', () => {
    expect(crossFor([58, 72], [57, 64])).toBeNull();
    expect(crossFor([58, 72], [60, 64])).toBeNull();
  });
});

describe('splitting the combined loss mask into per-layer masks', () => {
  const layers = pixelBarrelPreset().layers;
  const geoms = layers.map(cropGeometry);
  const [r0, c0] = [geoms[0].outRows, geoms[0].outCols];

  function recombine(masks: Uint8Array[]): Float64Array {
    const sum = new Float64Array(r0 * c0);
    geoms.forEach((g, j) => {
      const uz = new Float64Array(g.outRows * g.outCols);
      for (let y = 0; y < g.outRows; y++)
        for (let x = 0; x < g.outCols; x++) uz[y * g.outCols + x] = masks[j][g.rowIdx[y] * g.cols + g.colIdx[x]] ? 0 : 1;
      rebinKeepClip(uz, areaPlan(g.outRows, g.outCols, r0, c0)).forEach((v, i) => (sum[i] += v));
    });
    return sum;
  }

  it('gives the combined mask back where whole first-layer blocks are masked', () => {
    const C = new Float64Array(r0 * c0);
    for (let y = 10; y < 20; y++) for (let x = 8; x < 16; x++) C[y * c0 + x] = 2;
    for (let y = 30; y < 40; y++) for (let x = 40; x < 48; x++) C[y * c0 + x] = 1;
    const { masks, warnings } = splitCombinedLossMask(layers, { dtype: 'float64', shape: [r0, c0], data: C });
    const back = recombine(masks);
    let differ = 0;
    back.forEach((v, i) => (differ += v !== C[i] ? 1 : 0));
    // Only the block edges can move by one bin when rebinning 88→56 and 128→56 rows.
    expect(differ).toBeLessThan(0.05 * C.filter((v) => v > 0).length + 8);
    expect(warnings[0]).toContain('reconstructed');
  });

  it('masks nothing, and says so, without a combined mask', () => {
    const { masks, warnings } = splitCombinedLossMask(layers, null);
    expect(masks.every((m) => m.every((v) => v === 1))).toBe(true);
    expect(warnings).toEqual(['The PixelNMF has no loss mask; the preview masks nothing.']);
  });
});
