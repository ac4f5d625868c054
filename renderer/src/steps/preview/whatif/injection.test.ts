import { describe, expect, it } from 'vitest';
import { layerGeometry, ladderOfRow, moduleOfColumn } from '@/shared/pixel-geometry';
import { describeWhatIf, injectionRegions, pickAt, PickError, positionFromFields } from './injection';

const geoms = [
  layerGeometry('BPix2', [58, 72], { rows: [28, 30], columns: [32, 40] }),
  layerGeometry('BPix3', [90, 72], { rows: [44, 46], columns: [32, 40] }),
  layerGeometry('BPix4', [130, 72], { rows: [64, 66], columns: [32, 40] }),
];

describe('what-if injection', () => {
  it('picks the module and ladder under a click and refuses the centre gap', () => {
    expect(pickAt(geoms[0], 1.2, -6.2)).toEqual({ layer: 'BPix2', ladder: -6, module: 1, rocRow: 0 });
    expect(pickAt(geoms[0], 1.2, -5.8)).toEqual({ layer: 'BPix2', ladder: -6, module: 1, rocRow: 1 });
    expect(() => pickAt(geoms[0], 0.2, 3)).toThrow(PickError);
    expect(() => pickAt(geoms[0], 2, 0.1)).toThrow(/centre gap/);
  });

  it('kills the same module at the same φ in every chosen layer', () => {
    const spec = {
      kind: 'dead-module' as const,
      position: { layer: 'BPix2', ladder: -6, module: 1, rocRow: 0 },
      layers: ['BPix2', 'BPix3', 'BPix4'],
      factor: 3,
      ladders: 1,
      modules: 1,
    };
    const regions = injectionRegions(spec, geoms);
    expect(regions).toHaveLength(3);
    regions.forEach((r, i) => {
      const g = geoms[i];
      expect(r.factor).toBe(0);
      expect(r.row1 - r.row0).toBe(2);
      expect(r.col1 - r.col0).toBe(8);
      expect(moduleOfColumn(g, r.col0)).toBe(1);
      expect(Math.sign(ladderOfRow(g, r.row0))).toBe(-1);
    });
    expect(regions[0]).toEqual({ layer: 'BPix2', row0: 16, row1: 18, col0: 40, col1: 48, factor: 0 });
    expect(describeWhatIf(spec)).toBe('dead module at ladder −6 (BPix2) · module +1 in BPix2, BPix3, BPix4');
  });

  it('sizes outages and hot regions in ladders × modules and keeps them on the map', () => {
    const hot = injectionRegions(
      {
        kind: 'hot-region',
        position: { layer: 'BPix2', ladder: 14, module: 4, rocRow: 1 },
        layers: ['BPix2'],
        factor: 3,
        ladders: 2,
        modules: 2,
      },
      geoms,
    )[0];
    expect(hot).toEqual({ layer: 'BPix2', row0: 54, row1: 58, col0: 56, col1: 72, factor: 3 });
    const row = injectionRegions(
      {
        kind: 'dead-roc-row',
        position: { layer: 'BPix2', ladder: -14, module: -4, rocRow: 1 },
        layers: ['BPix2'],
        factor: 3,
        ladders: 5,
        modules: 1,
      },
      geoms,
    )[0];
    expect(row).toEqual({ layer: 'BPix2', row0: 1, row1: 2, col0: 0, col1: 8, factor: 0 });
  });
});

describe('what-if position typed in', () => {
  it('accepts a ladder and module of the layer and refuses the gap and positions off the layer', () => {
    // BPix3 here: 90 rows → ladders −22…+22; 72 columns → modules −4…+4.
    expect(positionFromFields(geoms[1], '-3', '2', 1)).toEqual({ layer: 'BPix3', ladder: -3, module: 2, rocRow: 1 });
    expect(positionFromFields(geoms[1], '+22', '-4', 0)).toEqual({ layer: 'BPix3', ladder: 22, module: -4, rocRow: 0 });
    expect(positionFromFields(geoms[1], '0', '2', 0)).toMatch(/^Ladder 0 is the empty centre gap.*−22…−1 or \+1…\+22/);
    expect(positionFromFields(geoms[1], '-3', '0', 0)).toMatch(/^Module 0 is the empty centre gap.*−4…−1 or \+1…\+4/);
    expect(positionFromFields(geoms[1], '23', '1', 0)).toMatch(/BPix3 has ladders −22…−1 and \+1…\+22/);
    expect(positionFromFields(geoms[1], '1', '-5', 0)).toMatch(/BPix3 has modules −4…−1 and \+1…\+4/);
    expect(positionFromFields(geoms[1], '1.5', '1', 0)).toMatch(/whole number/);
    expect(positionFromFields(geoms[1], '', '1', 0)).toBeNull();
    expect(positionFromFields(geoms[1], '1', ' ', 0)).toBeNull();
  });
});
