import { describe, expect, it } from 'vitest';
import { layerGeometry } from '@/shared/pixel-geometry';
import { pixelBarrelPreset } from '@/shared/preset/pixel-barrel';
import type { ColumnScales } from '@/shared/plot/panels';
import { STAGE_KEYS } from '@/shared/plot/stage-specs';
import { buildPanels, buildStageFigure, type LumisectionStageMaps } from './build-figure';

const every = (range: 'fixed' | 'auto'): ColumnScales =>
  Object.fromEntries(STAGE_KEYS.map((k) => [k, { scale: 'linear', range, min: null, max: null, colourMap: 'default' }]));

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
  const m = maps((s, k) => (s === 'raw' ? k : k % 4));
  const panels = buildPanels(m, geometries, geometries[0], every('fixed'));
  const fig = buildStageFigure(panels, { width: 1000, images: panels.map((_, i) => `img${i}`), zoomRevision: 0 });
  const axis = (n: number, xy: 'x' | 'y') => fig.layout[n === 1 ? `${xy}axis` : `${xy}axis${n}`] as Record<string, unknown>;

  it('draws five stages per layer and three combined maps', () => {
    expect(fig.data).toHaveLength(18);
    expect(fig.data.map((d) => d.name).slice(0, 5)).toEqual([
      'BPix2 Raw',
      'BPix2 Input (preprocessed)',
      'BPix2 Reconstruction',
      'BPix2 Loss (input − reco)²',
      'BPix2 Binary loss',
    ]);
    expect(fig.data[17].name).toBe('combined (BPix2 binning) Final binary map');
  });

  it('uses module ticks on x, signed ladder ticks on y, a dotted module/ladder grid and square bins', () => {
    const x = axis(6, 'x');
    const y = axis(6, 'y');
    expect(x.tickvals).toEqual([-4, -3, -2, -1, 0, 1, 2, 3, 4]);
    expect((x.ticktext as string[])[0]).toBe('−4');
    expect(y.range).toEqual([-22.5, 22.5]);
    expect(y.scaleanchor).toBe('x6');
    expect(axis(7, 'y').scaleanchor).toBeUndefined();
    expect(y.scaleratio).toBe(0.25);
    // Grid: one dotted path per subplot, 8 inner module edges and 44 inner ladder edges for BPix3.
    const grid = (fig.layout.shapes as Array<{ type: string; xref: string; path?: string; line: { dash: string } }>).find(
      (sh) => sh.type === 'path' && sh.xref === 'x6',
    )!;
    expect(grid.line.dash).toBe('dot');
    expect(grid.path!.match(/V/g)).toHaveLength(8);
    expect(grid.path!.match(/H/g)).toHaveLength(44);
    expect(grid.path).toContain('M0.5,-22.5V22.5');
    expect(grid.path).toContain('M-4.5,-21.5H4.5');
    // Row 0 of the map is at the bottom: y ascending, and the image is anchored at the top edge.
    const ys = fig.data[5].y as number[];
    expect(ys[0]).toBeLessThan(ys[ys.length - 1]);
    const img = (fig.layout.images as Array<Record<string, unknown>>)[5];
    expect(img).toMatchObject({ source: 'img5', xref: 'x6', yref: 'y6', x: -4.5, y: 22.5, sizex: 9, sizey: 45, yanchor: 'top' });
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
    const bars = (f: typeof fig) => f.colourBars.map((b) => [b.stage.key, b.range.lo, b.range.hi]);
    expect(bars(fig)).toEqual([
      ['raw', 0, 130 * 72 - 1],
      ['preprocessed', 0, 2],
      ['reconstruction', 0, 2],
      ['loss', 0, 0.1],
      ['lossBinary', 0, 1],
      ['combined', 0, 3],
      ['lossMask', 0, 3],
      ['final', 0, 1],
    ]);
    expect(fig.colourBars[1].range.source).toBe('fixed');
    expect(fig.colourBars[0].range.source).toBe('auto');
    const autoPanels = buildPanels(m, geometries, geometries[0], every('auto'));
    const auto = buildStageFigure(autoPanels, { width: 1000, images: autoPanels.map(() => ''), zoomRevision: 0 });
    expect([auto.colourBars[1].range.lo, auto.colourBars[1].range.hi]).toEqual([0, 3]);
    expect(autoPanels.every((p) => p.range.source === 'auto')).toBe(true);
    // The export figure draws the same colour bars into the figure: gradient image, range ends, ticks, title.
    const exp = buildStageFigure(panels, {
      width: 1000,
      images: panels.map(() => ''),
      zoomRevision: 0,
      drawColourBars: true,
      barImage: () => 'bar',
    });
    const texts = (exp.layout.annotations as Array<{ text: string }>).map((a) => a.text);
    expect(texts).toContain('<b>Binary loss</b>');
    expect(texts).toContain('0.1');
    expect((exp.layout.images as Array<{ source: string }>).filter((i) => i.source === 'bar')).toHaveLength(8);
    expect((fig.layout.images as unknown[]).length).toBe(18);
  });

  it('keeps the hover target constant between lumisections and the map values per panel', () => {
    const other = buildPanels(
      maps(() => 1),
      geometries,
      geometries[0],
      every('fixed'),
    );
    const fig2 = buildStageFigure(other, { width: 1000, images: other.map(() => ''), zoomRevision: 0 });
    expect(fig2.data[8].z).toBe(fig.data[8].z);
    expect(fig.data[8]).toMatchObject({ opacity: 0, hoverinfo: 'none', showscale: false });
    const lossBpix3 = panels[8];
    expect(lossBpix3.layerName).toBe('BPix3');
    expect(lossBpix3.stage.key).toBe('loss');
    expect(lossBpix3.values[44].every((v) => v === null)).toBe(true);
    expect(lossBpix3.values[0][0]).toBeCloseTo(0.01, 6);
  });

  it('keeps its height when a column switches between linear and log (plotly then only swaps images)', () => {
    const heightWith = (scale: 'linear' | 'log', width: number) => {
      const columns: ColumnScales = { ...every('fixed'), loss: { scale, range: 'fixed', min: null, max: null, colourMap: 'default' } };
      const p = buildPanels(m, geometries, geometries[0], columns);
      return buildStageFigure(p, { width, images: p.map((_, i) => `img${i}`), zoomRevision: 0 }).height;
    };
    for (const width of [760, 1000, 1400]) expect(heightWith('log', width), `width ${width}`).toBe(heightWith('linear', width));
  });
});
