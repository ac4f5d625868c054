import { describe, expect, it } from 'vitest';
import {
  axisRanges,
  binCentres,
  binLabel,
  columnAt,
  columnCentre,
  croppedMapRows,
  describeBin,
  equivalentLadder,
  fullColumnOfCropped,
  fullMapRows,
  fullRowOfCropped,
  GeometryError,
  ladderGrid,
  ladderOfRow,
  ladderTicks,
  layerGeometry,
  moduleGrid,
  moduleOfColumn,
  moduleTicks,
  rocOf,
  rowAt,
  rowCentre,
  rowsOfLadder,
  SQUARE_BIN_SCALE_RATIO,
} from './index';

const bpix2 = layerGeometry('BPix2', [58, 72], { rows: [28, 30], columns: [32, 40] });
const bpix3 = layerGeometry('BPix3', [90, 72], { rows: [44, 46], columns: [32, 40] });
const bpix4 = layerGeometry('BPix4', [130, 72], { rows: [64, 66], columns: [32, 40] });

describe('layer geometry', () => {
  it('derives ladders, modules and the cropped shape from the barrel map shapes', () => {
    expect([bpix2.maxLadder, bpix3.maxLadder, bpix4.maxLadder]).toEqual([14, 22, 32]);
    expect(bpix2.maxModule).toBe(4);
    expect([bpix2.croppedRows, bpix2.croppedCols]).toEqual([56, 64]);
    expect([bpix3.croppedRows, bpix4.croppedRows]).toEqual([88, 128]);
  });

  it('rejects shapes that are not whole ladders and modules, naming the layer', () => {
    expect(() => layerGeometry('X', [57, 72], { rows: [0, 0], columns: [0, 0] })).toThrow(GeometryError);
    expect(() => layerGeometry('X', [58, 70], { rows: [0, 0], columns: [0, 0] })).toThrow(/X: 70 columns/);
    expect(() => layerGeometry('X', [60, 72], { rows: [0, 0], columns: [0, 0] })).toThrow(/odd number of ladders/);
    expect(() => layerGeometry('X', [58, 72], { rows: [28, 60], columns: [32, 40] })).toThrow(/do not fit/);
  });
});

describe('bin → ladder / module / ROC', () => {
  it('maps rows to signed ladders, two rows per ladder, with ladder 0 on the cross rows', () => {
    expect(ladderOfRow(bpix2, 0)).toBe(-14);
    expect(ladderOfRow(bpix2, 1)).toBe(-14);
    expect(ladderOfRow(bpix2, 2)).toBe(-13);
    expect(ladderOfRow(bpix2, 28)).toBe(0);
    expect(ladderOfRow(bpix2, 29)).toBe(0);
    expect(ladderOfRow(bpix2, 30)).toBe(1);
    expect(ladderOfRow(bpix2, 57)).toBe(14);
    expect(ladderOfRow(bpix4, 64)).toBe(0);
    expect(ladderOfRow(bpix4, 129)).toBe(32);
  });

  it('maps columns to signed modules, eight columns per module, with module 0 on the cross columns', () => {
    expect(moduleOfColumn(bpix3, 0)).toBe(-4);
    expect(moduleOfColumn(bpix3, 7)).toBe(-4);
    expect(moduleOfColumn(bpix3, 8)).toBe(-3);
    expect(moduleOfColumn(bpix3, 31)).toBe(-1);
    expect(moduleOfColumn(bpix3, 32)).toBe(0);
    expect(moduleOfColumn(bpix3, 39)).toBe(0);
    expect(moduleOfColumn(bpix3, 40)).toBe(1);
    expect(moduleOfColumn(bpix3, 71)).toBe(4);
  });

  it('gives the ROC position inside the module: 8 along z, 2 along φ', () => {
    expect(rocOf(0, 0)).toEqual({ z: 0, phi: 0, index: 0 });
    expect(rocOf(0, 7)).toEqual({ z: 7, phi: 0, index: 7 });
    expect(rocOf(1, 0)).toEqual({ z: 0, phi: 1, index: 8 });
    expect(rocOf(31, 45)).toEqual({ z: 5, phi: 1, index: 13 });
  });

  it('describes a bin in one line, and the cross as the centre gap', () => {
    expect(binLabel(describeBin(bpix3, 0, 0))).toBe('BPix3 ladder −22 · module −4 · ROC 0');
    expect(binLabel(describeBin(bpix3, 89, 71))).toBe('BPix3 ladder +22 · module +4 · ROC 15');
    expect(binLabel(describeBin(bpix3, 44, 10))).toBe('BPix3 centre gap (row 44, column 10)');
  });
});

describe('axis coordinates', () => {
  it('centres bins in module and ladder units and finds the bin back from an axis value', () => {
    expect(columnCentre(bpix2, 0)).toBeCloseTo(-4.4375, 12);
    expect(columnCentre(bpix2, 71)).toBeCloseTo(4.4375, 12);
    expect(rowCentre(bpix2, 0)).toBeCloseTo(-14.25, 12);
    expect(rowCentre(bpix2, 57)).toBeCloseTo(14.25, 12);
    for (let c = 0; c < 72; c++) expect(columnAt(bpix2, columnCentre(bpix2, c))).toBe(c);
    for (let r = 0; r < 130; r++) expect(rowAt(bpix4, rowCentre(bpix4, r))).toBe(r);
    expect(columnAt(bpix2, 99)).toBe(71);
    expect(rowAt(bpix2, -99)).toBe(0);
    // A module's tick (integer) is at the middle of its 8 columns.
    expect((columnCentre(bpix2, 40) + columnCentre(bpix2, 47)) / 2).toBeCloseTo(1, 12);
    expect((rowCentre(bpix2, 30) + rowCentre(bpix2, 31)) / 2).toBeCloseTo(1, 12);
  });

  it('maps cropped indices to full-map indices around the cross', () => {
    expect(fullRowOfCropped(bpix2, 27)).toBe(27);
    expect(fullRowOfCropped(bpix2, 28)).toBe(30);
    expect(fullColumnOfCropped(bpix2, 31)).toBe(31);
    expect(fullColumnOfCropped(bpix2, 32)).toBe(40);
    expect(fullColumnOfCropped(bpix2, 63)).toBe(71);
  });

  it('spans the map edges and makes bins square', () => {
    expect(axisRanges(bpix4)).toEqual({ x: [-4.5, 4.5], y: [-32.5, 32.5] });
    expect(SQUARE_BIN_SCALE_RATIO).toBe(0.25);
    const { x, y } = binCentres(bpix2);
    expect(x).toHaveLength(72);
    expect(y).toHaveLength(58);
  });
});

describe('ticks and grid', () => {
  it('puts x ticks at modules −4…+4 with signed labels', () => {
    expect(moduleTicks(bpix2)).toEqual({
      values: [-4, -3, -2, -1, 0, 1, 2, 3, 4],
      labels: ['−4', '−3', '−2', '−1', '0', '+1', '+2', '+3', '+4'],
    });
  });

  it('puts y ticks at signed ladders, thinned to a readable number and symmetric around 0', () => {
    const t2 = ladderTicks(bpix2, 15);
    expect(t2.values).toEqual([-14, -12, -10, -8, -6, -4, -2, 0, 2, 4, 6, 8, 10, 12, 14]);
    expect(t2.labels[0]).toBe('−14');
    expect(t2.labels[14]).toBe('+14');
    expect(ladderTicks(bpix2, 100).values).toHaveLength(29);
    const t4 = ladderTicks(bpix4, 15);
    expect(t4.values).toEqual([-30, -25, -20, -15, -10, -5, 0, 5, 10, 15, 20, 25, 30]);
    for (const g of [bpix2, bpix3, bpix4]) {
      const t = ladderTicks(g, 15);
      expect(t.values.length).toBeLessThanOrEqual(15);
      expect(t.values).toContain(0);
      expect(t.values.map((v) => (v === 0 ? 0 : -v)).reverse()).toEqual(t.values);
    }
  });

  it('draws a grid line every 8 x-bins (module edges) and every 2 y-bins (ladder edges)', () => {
    const mg = moduleGrid(bpix2);
    expect(mg.positions).toEqual([-4.5, -3.5, -2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 4.5]);
    // Every line falls between column 8k−1 and 8k.
    for (const [i, p] of mg.positions.slice(1, -1).entries()) {
      expect(columnAt(bpix2, p - 1e-9)).toBe(8 * (i + 1) - 1);
      expect(columnAt(bpix2, p + 1e-9)).toBe(8 * (i + 1));
    }
    const lg = ladderGrid(bpix3);
    expect(lg.positions).toHaveLength(46);
    expect(lg.positions[0]).toBe(-22.5);
    expect(lg.positions[45]).toBe(22.5);
    expect(rowAt(bpix3, lg.positions[1] - 1e-9)).toBe(1);
    expect(rowAt(bpix3, lg.positions[1] + 1e-9)).toBe(2);
  });
});

describe('heatmap rows', () => {
  it('keeps full maps row-major with row 0 first (drawn at the bottom) and NaN as a gap', () => {
    const g = layerGeometry('T', [6, 8], { rows: [2, 4], columns: [0, 0] });
    const flat = Array.from({ length: 48 }, (_, i) => i);
    flat[9] = NaN;
    const rows = fullMapRows(g, flat);
    expect(rows).toHaveLength(6);
    expect(rows[0][0]).toBe(0);
    expect(rows[1][1]).toBeNull();
    expect(rows[5][7]).toBe(47);
  });

  it('puts a cropped map back around the cross, leaving the cross empty', () => {
    const cropped = Float32Array.from({ length: 56 * 64 }, (_, i) => i);
    const rows = croppedMapRows(bpix2, cropped);
    expect(rows).toHaveLength(58);
    expect(rows[0][0]).toBe(0);
    expect(rows[0][31]).toBe(31);
    expect(rows[0][32]).toBeNull();
    expect(rows[0][40]).toBe(32);
    expect(rows[28].every((v) => v === null)).toBe(true);
    expect(rows[30][0]).toBe(28 * 64);
    expect(rows[57][71]).toBe(56 * 64 - 1);
    expect(() => croppedMapRows(bpix2, new Float32Array(58 * 72))).toThrow(/cropped map has 4176 values, expected 3584 \(56×64\)/);
  });
});

describe('positions across layers', () => {
  it('scales a ladder to the same φ on another layer and never lands in the gap', () => {
    // Ladder centres at (|l| − ½)/L of the half-shell: 13.5/14 ≈ 30.9/32.
    expect(equivalentLadder(bpix2, bpix4, 14)).toBe(31);
    expect(equivalentLadder(bpix2, bpix4, -14)).toBe(-31);
    expect(equivalentLadder(bpix2, bpix4, 1)).toBe(2);
    expect(equivalentLadder(bpix2, bpix3, 7)).toBe(11);
    expect(equivalentLadder(bpix4, bpix2, 32)).toBe(14);
    expect(equivalentLadder(bpix4, bpix2, 1)).toBe(1);
    expect(equivalentLadder(bpix4, bpix2, -1)).toBe(-1);
    expect(equivalentLadder(bpix2, bpix2, 5)).toBe(5);
    expect(rowsOfLadder(bpix2, -14)).toEqual([0, 2]);
    expect(rowsOfLadder(bpix2, 1)).toEqual([30, 32]);
  });
});
