import type { Panel } from './build-figure';
import type { ColourScale } from './stage-specs';

/**
 * A panel's map as a PNG data URL with one pixel per bin (row 0 at the bottom), coloured with the
 * stage's scale over the panel's range; gaps (null) are transparent so the plot background shows.
 * `scale` > 1 draws every bin as scale × scale pixels (for PNG export, where no CSS keeps the
 * bins sharp).
 */

const lutCache = new WeakMap<ColourScale, Uint8ClampedArray>();

function parseHex(c: string): [number, number, number] {
  const h = c.replace('#', '');
  return [parseInt(h.slice(0, 2), 16), parseInt(h.slice(2, 4), 16), parseInt(h.slice(4, 6), 16)];
}

/** 256 RGB entries sampled along the scale (steps where two stops share a position). */
export function colourLut(scale: ColourScale): Uint8ClampedArray {
  let lut = lutCache.get(scale);
  if (lut) return lut;
  lut = new Uint8ClampedArray(256 * 3);
  const stops = scale.map(([p, c]) => ({ p, rgb: parseHex(c) }));
  for (let i = 0; i < 256; i++) {
    const t = i / 255;
    let k = stops.findIndex((s) => s.p > t);
    if (k < 0) k = stops.length - 1;
    const a = stops[Math.max(0, k - 1)];
    const b = stops[k];
    const f = b.p > a.p ? Math.min(1, Math.max(0, (t - a.p) / (b.p - a.p))) : 1;
    for (let ch = 0; ch < 3; ch++) lut[i * 3 + ch] = Math.round(a.rgb[ch] + (b.rgb[ch] - a.rgb[ch]) * f);
  }
  lutCache.set(scale, lut);
  return lut;
}

let canvas: HTMLCanvasElement | null = null;
let big: HTMLCanvasElement | null = null;

export function panelImage(p: Panel, scale = 1): string {
  const rows = p.values.length;
  const cols = p.values[0]?.length ?? 0;
  canvas ??= document.createElement('canvas');
  canvas.width = cols;
  canvas.height = rows;
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(cols, rows);
  const lut = colourLut(p.stage.colourScale);
  const [lo, hi] = p.range;
  const k = hi > lo ? 255 / (hi - lo) : 0;
  const px = img.data;
  for (let r = 0; r < rows; r++) {
    const row = p.values[r];
    let o = (rows - 1 - r) * cols * 4;
    for (let c = 0; c < cols; c++, o += 4) {
      const v = row[c];
      if (v === null) continue;
      const i = Math.max(0, Math.min(255, Math.round((v - lo) * k))) * 3;
      px[o] = lut[i];
      px[o + 1] = lut[i + 1];
      px[o + 2] = lut[i + 2];
      px[o + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
  if (scale <= 1) return canvas.toDataURL('image/png');
  big ??= document.createElement('canvas');
  big.width = cols * scale;
  big.height = rows * scale;
  const bctx = big.getContext('2d')!;
  bctx.imageSmoothingEnabled = false;
  bctx.clearRect(0, 0, big.width, big.height);
  bctx.drawImage(canvas, 0, 0, big.width, big.height);
  return big.toDataURL('image/png');
}
