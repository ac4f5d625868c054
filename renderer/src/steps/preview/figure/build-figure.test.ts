import { describe, expect, it } from 'vitest';
import { layerGeometry } from '../../../../../shared/pixel-geometry';
import { pixelBarrelPreset } from '../../../../../shared/preset/pixel-barrel';
import { buildStageFigure, type LumisectionStageMaps } from './build-figure';

const preset = pixelBarrelPreset();
const geometries = preset.layers.map((l) => layerGeometry(l.name, l.shape, l.cross));

function maps(fill: (stage: string, k: number) => number): LumisectionStageMaps {
  return {
    layers: geometries.map((g) => ({
      name: g.name,
      raw: Float32Array.from({ length: g.rows * g.cols }, (_, k) => fill('raw', k)),
      preprocessed: Float32Array.from({ length: g.croppedRows * g.croppedCols }, (_, k) => fill('preprocessed', k)),
      reconstruction: new Float32Array(g.croppedRows * g.croppedCols).fill(1),
      loss: new Float32Array(g.croppedRows * g.croppedCols).fill(0.01),
      lossBinary: new Uint8Array(g.croppedRows * g.croppedCols),
    })),
    combined: new Uint8Array(56 * 64),
    lossMask: new Float32Array(56 * 64),
    final: new Uint8Array(56 * 64),
  };
}

describe('stage figure', () => {
  const fig = buildStageFigure(maps((s, k) => (s === 'raw' ? k : k % 4)), { width: 1000, colourMode: 'fixed', geometries, combinedGeometry: geometries[0], zoomRevision: 0 });
  const axis = (n: number, xy: 'x' | 'y') => fig.layout[n === 1 ? `${xy}axis` : `${xy}axis${n}`] as Record<string, unknown>;

  it('draws five stages per layer and three combined maps', () => {
    expect(fig.data).toHaveLength(18);
    expect(fig.data.map((d) => d.name).slice(0, 5)).toEqual(['BPix2 Raw', 'BPix2 Input (preprocessed)', 'BPix2 Reconstruction', 'BPix2 Loss (input − reco)²', 'BPix2 Binary loss']);
    expect(fig.data[17].name).toBe('combined (BPix2 binning) Final binary map');
  });

  it('uses module ticks on x, signed ladder ticks on y, a dotted module/ladder grid and square bins', () => {
    const x = axis(6, 'x');
    const y = axis(6, 'y');
    expect(x.tickvals).toEqual([-4, -3, -2, -1, 0, 1, 2, 3, 4]);
    expect((x.ticktext as string[])[0]).toBe('−4');
    expect((x.minor as { tickvals: number[]; griddash: string }).tickvals).toHaveLength(10);
    expect((x.minor as { griddash: string }).griddash).toBe('dot');
    expect((y.minor as { tickvals: number[] }).tickvals).toHaveLength(46); // BPix3: 45 ladder positions
    expect(y.range).toEqual([-22.5, 22.5]);
    expect(y.scaleanchor).toBe('x6');
    expect(axis(7, 'y').scaleanchor).toBeUndefined();
    expect(y.scaleratio).toBe(0.25);
    // Row 0 of the map is at the bottom: y ascending from the first row.
    const ys = fig.data[5].y as number[];
    expect(ys[0]).toBeLessThan(ys[ys.length - 1]);
  });

  it('links zoom within a layer row only', () => {
    expect(axis(1, 'x').matches).toBeUndefined();
    expect(axis(2, 'x').matches).toBe('x');
    expect(axis(5, 'y').matches).toBe('y');
    expect(axis(6, 'x').matches).toBeUndefined();
    expect(axis(7, 'x').matches).toBe('x6');
    expect(axis(17, 'x').matches).toBe('x16');
  });

  it('has fixed colour ranges per stage, or ranges from the data in auto mode', () => {
    const range = (f: typeof fig, n: number) => {
      const c = f.layout[n === 1 ? 'coloraxis' : `coloraxis${n}`] as { cmin: number; cmax: number };
      return [c.cmin, c.cmax];
    };
    expect(range(fig, 2)).toEqual([0, 2]);
    expect(range(fig, 3)).toEqual([0, 2]);
    expect(range(fig, 4)).toEqual([0, 0.1]);
    expect(range(fig, 5)).toEqual([0, 1]);
    expect(range(fig, 6)).toEqual([0, 3]);
    expect(range(fig, 8)).toEqual([0, 1]);
    expect(range(fig, 1)[1]).toBe(130 * 72 - 1);
    const auto = buildStageFigure(maps((s, k) => (s === 'raw' ? k : k % 4)), { width: 1000, colourMode: 'auto', geometries, combinedGeometry: geometries[0], zoomRevision: 0 });
    expect(range(auto, 2)).toEqual([0, 3]);
  });

  it('hovers with layer, stage, ladder, module, ROC and value', () => {
    const t = fig.data[8];
    expect(t.hovertemplate).toContain('BPix3 · Loss');
    expect((t.text as string[][])[0][0]).toBe('BPix3 ladder −22 · module −4 · ROC 0');
    expect(t.hovertemplate).toContain('%{z:.4g}');
  });
});
