import { describe, expect, it } from 'vitest';
import { layerGeometry } from '@/shared/pixel-geometry';
import { colourLut, COLOUR_MAPS, cssGradient, DIFFERENCE_MAP, stopsFor } from './colour-maps';
import { DEFAULT_COLUMN_SCALE, logFloor, lutIndexer, manualRangeProblem, resolveRange, valueStats, type ColumnScale } from './colour-scale';
import { buildComparePanels, differenceRange } from './compare';
import { paintMap, type LumisectionStageMaps } from './panels';
import { DEFAULT_PLOT_SETTINGS, readPlotSettings, withColumn } from './plot-settings';
import { LAYER_STAGES } from './stage-specs';
import { colourBarTicks, estimateWidth, logTicks, niceTicks, thinTicks, tickLabel } from './ticks';

const col = (patch: Partial<ColumnScale>): ColumnScale => ({ ...DEFAULT_COLUMN_SCALE, ...patch });
const rgb = (lut: Uint8ClampedArray, i: number) => [...lut.slice(i * 3, i * 3 + 3)];

describe('colour maps', () => {
  it('samples the stage maps end to end, with a hard step for binary maps', () => {
    const loss = colourLut(LAYER_STAGES[3].defaultMap);
    expect(rgb(loss, 0)).toEqual([255, 255, 255]);
    expect(rgb(loss, 255)).toEqual([0x7f, 0, 0]);
    const bin = colourLut(LAYER_STAGES[4].defaultMap);
    expect(rgb(bin, 0)).toEqual([0xf7, 0xf7, 0xf7]);
    expect(rgb(bin, 127)).toEqual([0xf7, 0xf7, 0xf7]);
    expect(rgb(bin, 128)).toEqual([0xb3, 0, 0]);
    expect(colourLut(LAYER_STAGES[4].defaultMap)).toBe(bin);
  });

  it('has viridis, ROOT kBird and the DQM GUI palette (ROOT palette 1: 50 flat steps, violet to red)', () => {
    expect(rgb(colourLut(COLOUR_MAPS.viridis.stops), 0)).toEqual([0x44, 0x01, 0x54]);
    expect(rgb(colourLut(COLOUR_MAPS.viridis.stops), 255)).toEqual([0xfd, 0xe7, 0x25]);
    // kBird's first and last stops: (0.2082, 0.1664, 0.5293) and (0.9764, 0.9832, 0.0539)
    expect(rgb(colourLut(COLOUR_MAPS.bird.stops), 0)).toEqual([53, 42, 135]);
    expect(rgb(colourLut(COLOUR_MAPS.bird.stops), 255)).toEqual([249, 251, 14]);
    const dqm = COLOUR_MAPS.dqm.stops;
    expect(new Set(dqm.map(([, c]) => c)).size).toBe(50);
    // hue 274.4° (violet: red 34.4/60 of full) first, pure red (hue 0) last, fully saturated
    expect(dqm[0][1]).toBe('#9200ff');
    expect(dqm[dqm.length - 1][1]).toBe('#ff0000');
    const lut = colourLut(dqm);
    // flat steps: every LUT entry is one of the 50 colours, and a step is about 5 entries wide
    expect(rgb(lut, 1)).toEqual(rgb(lut, 0));
    expect(rgb(lut, 6)).not.toEqual(rgb(lut, 0));
    expect(stopsFor('default', LAYER_STAGES[3].defaultMap)).toBe(LAYER_STAGES[3].defaultMap);
    expect(stopsFor('viridis', LAYER_STAGES[3].defaultMap)).toBe(COLOUR_MAPS.viridis.stops);
    expect(cssGradient(DIFFERENCE_MAP)).toMatch(/^linear-gradient\(to right, #053061 0\.00%, .* #67001f 100\.00%\)$/);
  });
});

describe('colour ranges (linear, log, zeros)', () => {
  const stats = { min: 0, max: 50, minPositive: 2 };
  it('takes fixed, auto or typed-in ranges', () => {
    expect(resolveRange(col({ range: 'fixed' }), [0, 2], stats)).toMatchObject({ lo: 0, hi: 2, source: 'fixed', notes: [] });
    // a stage without a fixed range (raw counts) falls back to the data
    expect(resolveRange(col({ range: 'fixed' }), null, stats)).toMatchObject({ lo: 0, hi: 50, source: 'auto' });
    expect(resolveRange(col({ range: 'auto' }), [0, 2], { min: 3, max: 7, minPositive: 3 })).toMatchObject({ lo: 0, hi: 7 });
    expect(resolveRange(col({ range: 'manual', min: 5, max: 20 }), [0, 2], stats)).toMatchObject({ lo: 5, hi: 20, source: 'manual' });
    expect(resolveRange(col({ range: 'manual', min: null, max: 20 }), [0, 2], stats)).toMatchObject({ lo: 0, hi: 20 });
    expect(resolveRange(col({ range: 'manual' }), [0, 2], stats)).toMatchObject({ source: 'auto', hi: 50 });
  });

  it('on a log scale starts auto at the smallest value > 0, and a minimum ≤ 0 at 10⁻³ × max (at most 1)', () => {
    expect(resolveRange(col({ scale: 'log', range: 'auto' }), null, stats)).toMatchObject({ lo: 2, hi: 50, notes: ['≤ 0 not drawn'] });
    expect(resolveRange(col({ scale: 'log', range: 'fixed' }), [0, 0.1], stats)).toMatchObject({ lo: 1e-4, hi: 0.1 });
    expect(resolveRange(col({ scale: 'log', range: 'fixed' }), [0, 2000], stats)).toMatchObject({ lo: 1, hi: 2000 });
    expect(logFloor(1000)).toBe(1);
    expect(logFloor(999)).toBeCloseTo(0.999, 12);
    expect(resolveRange(col({ scale: 'log', range: 'manual', min: 0, max: 10 }), null, stats).notes).toEqual([
      'min ≤ 0 → 10⁻³ × max',
      '≤ 0 not drawn',
    ]);
    expect(resolveRange(col({ scale: 'log', range: 'auto' }), null, { min: 0, max: 0, minPositive: null })).toMatchObject({
      lo: 1,
      hi: 10,
      notes: ['no value > 0', '≤ 0 not drawn'],
    });
  });

  it('maps values to the LUT: clipped at the ends, ≤ 0 not drawn on log z, gaps never drawn', () => {
    const lin = lutIndexer({ lo: 0, hi: 10, scale: 'linear' });
    expect([lin(-1), lin(0), lin(5), lin(10), lin(11), lin(null), lin(NaN)]).toEqual([0, 0, 128, 255, 255, -1, -1]);
    const log = lutIndexer({ lo: 1, hi: 100, scale: 'log' });
    expect([log(0), log(-3), log(0.5), log(1), log(10), log(100), log(1e6)]).toEqual([-1, -1, 0, 0, 128, 255, 255]);
    expect(log(Number.MIN_VALUE)).toBe(0);
  });

  it('says what is wrong with a typed-in range', () => {
    expect(manualRangeProblem('linear', 1, 1)).toEqual({ field: 'max', message: 'The maximum (1) must be larger than the minimum (1).' });
    expect(manualRangeProblem('linear', 1, 1.0001)).toBeNull();
    expect(manualRangeProblem('log', null, 0)).toEqual({ field: 'max', message: 'On a log scale the maximum must be larger than 0.' });
    expect(manualRangeProblem('log', null, 1e-9)).toBeNull();
    expect(manualRangeProblem('linear', NaN, 3)).toMatchObject({ field: 'min' });
    expect(valueStats([[[null, 0, -2, 3, NaN]]])).toEqual({ min: -2, max: 3, minPositive: 3 });
    expect(valueStats([[[null]]])).toBeNull();
  });

  it('paints bins ≤ 0 on a log scale like gaps: transparent (RGBA) or the background (RGB)', () => {
    const values = [
      [0, 1],
      [10, null],
    ];
    const out = new Uint8ClampedArray(16);
    paintMap(values, { lo: 1, hi: 10, scale: 'log' }, COLOUR_MAPS.viridis.stops, out, 4);
    // the top image row is map row 1: [10, gap]; the bottom is row 0: [0, 1]
    expect([...out.slice(0, 4)]).toEqual([0xfd, 0xe7, 0x25, 255]);
    expect(out[7]).toBe(0);
    expect(out[11]).toBe(0);
    expect([...out.slice(12, 16)]).toEqual([0x44, 0x01, 0x54, 255]);
    const rgbOut = new Uint8Array(12);
    paintMap(values, { lo: 1, hi: 10, scale: 'log' }, COLOUR_MAPS.viridis.stops, rgbOut, 3, [1, 2, 3]);
    expect([...rgbOut.slice(6, 9)]).toEqual([1, 2, 3]);
  });
});

describe('ticks that never touch', () => {
  it('picks round linear and log values', () => {
    expect(niceTicks(0, 2)).toEqual([0, 0.5, 1, 1.5, 2]);
    expect(niceTicks(0, 0.1)).toEqual([0, 0.025, 0.05, 0.075, 0.1]);
    expect(niceTicks(0, 2873)).toEqual([0, 1000, 2000]);
    expect(niceTicks(5, 5)).toEqual([5]);
    expect(logTicks(1e-4, 0.1)).toEqual([1e-4, 1e-3, 0.01, 0.1]);
    expect(logTicks(1e-6, 1e6, 5)).toEqual([1e-6, 1e-3, 1, 1e3, 1e6]);
    expect(logTicks(2, 50)).toEqual([2, 5, 10, 20, 50]);
    expect([0, 0.025, 1.5, 2000, 2500, 1e6, 1e-4].map((v) => tickLabel(v))).toEqual(['0', '0.025', '1.5', '2k', '2.5k', '1e6', '1e-4']);
    expect(tickLabel(1e-4, { powers: true })).toBe('10⁻⁴');
    expect(tickLabel(1e-4, { powers: true, unicode: false })).toBe('1e-4');
    expect(tickLabel(100, { powers: true })).toBe('100');
  });

  it('labels both ends of a colour bar and keeps every label apart, however narrow the bar', () => {
    const m = estimateWidth(10);
    for (const width of [30, 45, 60, 80, 100, 140, 200, 400]) {
      for (const r of [
        { lo: 0, hi: 0.1, scale: 'linear' as const },
        { lo: 0, hi: 2873, scale: 'linear' as const },
        { lo: 1e-4, hi: 0.1, scale: 'log' as const },
      ]) {
        const ticks = colourBarTicks(r, width, m, 6);
        const boxes = ticks.map((t) => {
          const w = m(t.label);
          const x = t.at * width;
          return t.anchor === 'start' ? [x, x + w] : t.anchor === 'end' ? [x - w, x] : [x - w / 2, x + w / 2];
        });
        for (let i = 1; i < boxes.length; i++) expect(boxes[i][0], `${width}px ${r.hi}`).toBeGreaterThanOrEqual(boxes[i - 1][1] + 6);
        // the top of the range is always shown
        expect(ticks.at(-1)!.value).toBe(r.hi);
        if (width >= 100) expect(ticks[0].value).toBe(r.lo);
      }
    }
    expect(colourBarTicks({ lo: 0, hi: 0.1, scale: 'linear' }, 400, m).map((t) => t.label)).toEqual([
      '0',
      '0.02',
      '0.04',
      '0.06',
      '0.08',
      '0.1',
    ]);
    // exactly at the boundary: the labels "0" and "0.1" 6 px apart fit, one px less does not
    const tight = m('0') + m('0.1') + 6;
    expect(colourBarTicks({ lo: 0, hi: 0.1, scale: 'linear' }, tight, m).map((t) => t.label)).toEqual(['0', '0.1']);
    expect(colourBarTicks({ lo: 0, hi: 0.1, scale: 'linear' }, tight - 1, m).map((t) => t.label)).toEqual(['0.1']);
  });

  it('thins evenly spaced axis ticks to the room they have, keeping 0', () => {
    const values = [-4, -3, -2, -1, 0, 1, 2, 3, 4];
    const labels = values.map(String);
    const m = () => 12;
    expect(thinTicks(values, labels, 16, m, 4).values).toEqual(values);
    expect(thinTicks(values, labels, 15.9, m, 4).values).toEqual([-4, -2, 0, 2, 4]);
    expect(thinTicks(values, labels, 7.9, m, 4).values).toEqual([-4, 0, 4]);
  });
});

describe('plot settings', () => {
  it('reads back what is valid and drops what is not', () => {
    const good = withColumn(DEFAULT_PLOT_SETTINGS, 'loss', { scale: 'log' });
    expect(readPlotSettings(good)).toEqual(good);
    expect(readPlotSettings({ grid: 'diagonal', columns: { loss: good.columns.loss, raw: { scale: 'cubic' } } })).toEqual({
      grid: 'modules',
      columns: { loss: good.columns.loss },
    });
    expect(readPlotSettings(null)).toEqual(DEFAULT_PLOT_SETTINGS);
  });
});

describe('compare', () => {
  const g = layerGeometry('L', [6, 24], { rows: [2, 4], columns: [8, 16] });
  const maps = (v: number): LumisectionStageMaps => ({
    layers: [
      {
        name: 'L',
        raw: new Float32Array(6 * 24).fill(v),
        preprocessed: new Float32Array(4 * 16).fill(v),
        reconstruction: new Float32Array(4 * 16),
        loss: new Float32Array(4 * 16),
        lossBinary: new Uint8Array(4 * 16),
      },
    ],
    combined: new Uint8Array(4 * 16),
    lossMask: new Float32Array(4 * 16),
    final: new Uint8Array(4 * 16),
  });

  it('draws A and B with one range over both, and A − B symmetric around 0', () => {
    const panels = buildComparePanels(maps(3), maps(7), 'raw', { a: 'LS 1', b: 'LS 2' }, [g], g, { raw: col({ range: 'auto' }) });
    expect(panels.map((p) => p.stage.title)).toEqual(['LS 1 · Raw', 'LS 2 · Raw', 'Difference A − B']);
    expect(panels[0].range).toBe(panels[1].range);
    expect([panels[0].range.lo, panels[0].range.hi]).toEqual([0, 7]);
    expect(panels[2].values[0][0]).toBe(-4);
    expect([panels[2].range.lo, panels[2].range.hi]).toEqual([-4, 4]);
    expect(panels[2].ownScale).toBe(true);
    // the cross stays a gap in the difference of cropped maps
    const pre = buildComparePanels(maps(3), maps(1), 'preprocessed', { a: 'a', b: 'b' }, [g], g);
    expect(pre[2].values[2].every((v) => v === null)).toBe(true);
    expect(pre[2].values[0][0]).toBe(2);
    expect(differenceRange([[[0, 0]]])).toMatchObject({ lo: -1, hi: 1, notes: ['A and B are equal'] });
  });
});
