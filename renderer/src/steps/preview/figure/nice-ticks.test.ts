import { describe, expect, it } from 'vitest';
import { niceTicks, tickLabel } from './nice-ticks';
import { colourLut } from './raster';
import { LAYER_STAGES } from './stage-specs';

describe('colour bar ticks', () => {
  it('picks round steps covering the range', () => {
    expect(niceTicks(0, 2)).toEqual([0, 0.5, 1, 1.5, 2]);
    expect(niceTicks(0, 0.1)).toEqual([0, 0.025, 0.05, 0.075, 0.1]);
    expect(niceTicks(0, 1)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(niceTicks(0, 2873)).toEqual([0, 1000, 2000]);
    expect(niceTicks(0, 3)).toEqual([0, 1, 2, 3]);
    expect(niceTicks(5, 5)).toEqual([5]);
  });
  it('labels compactly', () => {
    expect([0, 0.025, 1.5, 2000, 2500, 1e6, 1e-4].map(tickLabel)).toEqual(['0', '0.025', '1.5', '2k', '2.5k', '1e6', '1e-4']);
  });
});

describe('colour look-up', () => {
  it('samples the stage scales end to end, with a hard step for binary maps', () => {
    const loss = colourLut(LAYER_STAGES[3].colourScale);
    expect([...loss.slice(0, 3)]).toEqual([255, 255, 255]);
    expect([...loss.slice(255 * 3)]).toEqual([0x7f, 0, 0]);
    const bin = colourLut(LAYER_STAGES[4].colourScale);
    expect([...bin.slice(0, 3)]).toEqual([0xf7, 0xf7, 0xf7]);
    expect([...bin.slice(127 * 3, 128 * 3)]).toEqual([0xf7, 0xf7, 0xf7]);
    expect([...bin.slice(128 * 3, 129 * 3)]).toEqual([0xb3, 0, 0]);
    expect(colourLut(LAYER_STAGES[4].colourScale)).toBe(bin);
  });
});
