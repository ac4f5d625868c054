import { colourLut, LUT_SIZE, type ColourStops } from '@/shared/plot/colour-maps';
import { paintMap, type Panel } from '@/shared/plot/panels';

/**
 * A panel's map as a PNG data URL with one pixel per bin (row 0 at the bottom), coloured by the
 * shared rule (shared/plot: colour map, linear/log range); bins not drawn (gaps, ≤ 0 on a log
 * scale) are transparent so the plot background shows. `scale` > 1 draws every bin as
 * scale × scale pixels (for export, where no CSS keeps the bins sharp).
 */

let canvas: HTMLCanvasElement | null = null;
let big: HTMLCanvasElement | null = null;

export function panelImage(p: Pick<Panel, 'values' | 'range' | 'stops'>, scale = 1): string {
  const rows = p.values.length;
  const cols = p.values[0]?.length ?? 0;
  canvas ??= document.createElement('canvas');
  canvas.width = cols;
  canvas.height = rows;
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(cols, rows);
  paintMap(p.values, p.range, p.stops, img.data, 4);
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

const barCache = new WeakMap<ColourStops, string>();

/** The colour map as a LUT_SIZE × 1 PNG (left = lowest colour), for colour bars drawn into exported figures. */
export function colourBarImage(stops: ColourStops): string {
  let url = barCache.get(stops);
  if (url) return url;
  const c = document.createElement('canvas');
  c.width = LUT_SIZE;
  c.height = 1;
  const ctx = c.getContext('2d')!;
  const img = ctx.createImageData(LUT_SIZE, 1);
  const lut = colourLut(stops);
  for (let i = 0; i < LUT_SIZE; i++) {
    img.data.set([lut[i * 3], lut[i * 3 + 1], lut[i * 3 + 2], 255], i * 4);
  }
  ctx.putImageData(img, 0, 0);
  barCache.set(stops, (url = c.toDataURL('image/png')));
  return url;
}

let measureCtx: CanvasRenderingContext2D | null = null;
const FONT = 'system-ui, -apple-system, Segoe UI, Roboto, sans-serif';

/** Width of a text in px in the figure's font (plotly and the HTML colour bars use the same family). */
export function measureText(text: string, fontPx: number, bold = false): number {
  measureCtx ??= document.createElement('canvas').getContext('2d')!;
  measureCtx.font = `${bold ? 'bold ' : ''}${fontPx}px ${FONT}`;
  return measureCtx.measureText(text).width;
}
