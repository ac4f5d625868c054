import { BINS_PER_LADDER, BINS_PER_MODULE, signed, type LayerGeometry } from './barrel-geometry';

/** Tick positions (axis values) and their labels, as plotly's tickvals/ticktext take them. */
export interface Ticks {
  values: number[];
  labels: string[];
}

/** Dotted grid lines: first line, spacing and every position (axis values). */
export interface GridLines {
  start: number;
  step: number;
  positions: number[];
}

/** x ticks at every signed module −M…+M (0 is the gap between the half-barrels). */
export function moduleTicks(g: LayerGeometry): Ticks {
  const values: number[] = [];
  for (let m = -g.maxModule; m <= g.maxModule; m++) values.push(m);
  return { values, labels: values.map(signed) };
}

const LADDER_STEPS = [1, 2, 4, 5, 8, 10, 16, 20, 32];

/**
 * y ticks at signed ladders, every `step` ladders where step is the smallest of 1, 2, 4, 5, 8, … that
 * keeps at most `maxTicks` labels (BPix2 with 15: every 2nd ladder; BPix4: every 5th). 0 is always a tick.
 */
export function ladderTicks(g: LayerGeometry, maxTicks = 15): Ticks {
  const step = LADDER_STEPS.find((s) => 2 * Math.floor(g.maxLadder / s) + 1 <= maxTicks) ?? LADDER_STEPS[LADDER_STEPS.length - 1];
  const values: number[] = [];
  const top = Math.floor(g.maxLadder / step) * step;
  for (let l = -top; l <= top; l += step) values.push(l);
  return { values, labels: values.map(signed) };
}

/** Module boundaries: a line every 8 columns, from −M−½ to +M+½. */
export function moduleGrid(g: LayerGeometry): GridLines {
  const start = -g.maxModule - 0.5;
  const step = 1;
  const positions: number[] = [];
  for (let i = 0; i <= g.cols / BINS_PER_MODULE; i++) positions.push(start + i * step);
  return { start, step, positions };
}

/** Ladder boundaries: a line every 2 rows, from −L−½ to +L+½. */
export function ladderGrid(g: LayerGeometry): GridLines {
  const start = -g.maxLadder - 0.5;
  const step = 1;
  const positions: number[] = [];
  for (let i = 0; i <= g.rows / BINS_PER_LADDER; i++) positions.push(start + i * step);
  return { start, step, positions };
}

/** Axis extents (bin edges) of the whole map. */
export function axisRanges(g: LayerGeometry): { x: [number, number]; y: [number, number] } {
  return { x: [-g.maxModule - 0.5, g.maxModule + 0.5], y: [-g.maxLadder - 0.5, g.maxLadder + 0.5] };
}

/**
 * y-unit length over x-unit length that makes every bin square (equal aspect): one module is 8 bins
 * wide and one ladder 2 bins tall, so a ladder is drawn a quarter as long as a module.
 */
export const SQUARE_BIN_SCALE_RATIO = BINS_PER_LADDER / BINS_PER_MODULE;
