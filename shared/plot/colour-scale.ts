import type { ColourMapId } from './colour-maps';
import { LUT_SIZE } from './colour-maps';

/**
 * How a stage column maps values to colours: linear or log z, its range (the stage's fixed range,
 * from the data, or typed in), and the colour map. One rule for the Preview and the PDF report.
 *
 * Log z and values ≤ 0 (zeros are common: empty ROCs, zero loss): bins ≤ 0 are not drawn — they stay
 * the plot background, as matplotlib's LogNorm masks them and ROOT's COLZ leaves them unpainted —
 * and the lower end of the range must be > 0:
 * - auto: the smallest value > 0 in the data of the column (matplotlib's LogNorm autoscale);
 * - fixed or manual with a minimum ≤ 0: 10⁻³ × the maximum, at most 1 (ROOT's rule for log z).
 * Values between 0 and the minimum take the lowest colour, values above the maximum the highest
 * (matplotlib's default clipping), on either scale.
 */
export type ZScale = 'linear' | 'log';
export type RangeMode = 'fixed' | 'auto' | 'manual';

export interface ColumnScale {
  scale: ZScale;
  range: RangeMode;
  /** The typed-in range (used when range is 'manual'; kept while another mode is chosen). */
  min: number | null;
  max: number | null;
  colourMap: ColourMapId;
}

export const DEFAULT_COLUMN_SCALE: ColumnScale = { scale: 'linear', range: 'fixed', min: null, max: null, colourMap: 'default' };

/** Finite extremes of a column's maps; minPositive is the smallest value > 0 (null when none). */
export interface ValueStats {
  min: number;
  max: number;
  minPositive: number | null;
}

export interface ResolvedRange {
  lo: number;
  hi: number;
  scale: ZScale;
  /** Where the range comes from, for the colour bar: 'fixed', 'auto', 'manual'. */
  source: RangeMode;
  /** Said under the colour bar (short): how zeros are drawn, or why the range differs from what was asked. */
  notes: string[];
}

/** ROOT's lower end for log z when the asked-for minimum is ≤ 0. */
export function logFloor(hi: number): number {
  return Math.min(1, 1e-3 * hi);
}

export const LOG_ZERO_NOTE = '≤ 0 not drawn';

/** Finite min / max / smallest positive value over maps (null entries are gaps). */
export function valueStats(maps: Iterable<Iterable<Iterable<number | null>>>): ValueStats | null {
  let lo = Infinity;
  let hi = -Infinity;
  let pos = Infinity;
  for (const m of maps)
    for (const row of m)
      for (const v of row) {
        if (v === null || !Number.isFinite(v)) continue;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
        if (v > 0 && v < pos) pos = v;
      }
  if (lo === Infinity) return null;
  return { min: lo, max: hi, minPositive: pos === Infinity ? null : pos };
}

/**
 * The range a column is drawn with. `fixed` is the stage's fixed range (null for stages that
 * always take theirs from the data, e.g. raw counts: they fall back to auto).
 */
export function resolveRange(col: ColumnScale, fixed: [number, number] | null, stats: ValueStats | null): ResolvedRange {
  const notes: string[] = [];
  let source: RangeMode;
  let lo: number;
  let hi: number;
  const auto = (): [number, number] => {
    if (!stats) return col.scale === 'log' ? [1, 10] : [0, 1];
    if (col.scale === 'log') {
      if (stats.minPositive === null || stats.max <= 0) {
        notes.push('no value > 0');
        return [1, 10];
      }
      return [stats.minPositive, stats.max];
    }
    return [Math.min(0, stats.min), stats.max];
  };
  if (col.range === 'manual' && (col.min !== null || col.max !== null)) {
    const a = auto();
    lo = col.min ?? a[0];
    hi = col.max ?? a[1];
    source = 'manual';
  } else if (col.range === 'fixed' && fixed) {
    [lo, hi] = fixed;
    source = 'fixed';
  } else {
    [lo, hi] = auto();
    source = 'auto';
  }
  if (col.scale === 'log') {
    if (!(hi > 0)) {
      notes.push('max ≤ 0 → 1…10');
      [lo, hi] = [1, 10];
    } else if (!(lo > 0)) {
      lo = logFloor(hi);
      notes.push('min ≤ 0 → 10⁻³ × max');
    }
    notes.push(LOG_ZERO_NOTE);
  }
  if (!(hi > lo)) hi = col.scale === 'log' ? lo * 10 : lo + 1;
  return { lo, hi, scale: col.scale, source, notes };
}

/**
 * LUT index of a value for a range, or −1 when the bin is not drawn (gap, NaN, or ≤ 0 on a log
 * scale). Values outside the range clip to the end colours.
 */
export function lutIndexer(r: Pick<ResolvedRange, 'lo' | 'hi' | 'scale'>): (v: number | null) => number {
  const top = LUT_SIZE - 1;
  if (r.scale === 'log') {
    const l0 = Math.log10(r.lo);
    const k = top / (Math.log10(r.hi) - l0 || 1);
    return (v) => {
      if (v === null || !(v > 0) || !Number.isFinite(v)) return -1;
      const i = Math.round((Math.log10(v) - l0) * k);
      return i < 0 ? 0 : i > top ? top : i;
    };
  }
  const k = r.hi > r.lo ? top / (r.hi - r.lo) : 0;
  return (v) => {
    if (v === null || !Number.isFinite(v)) return -1;
    const i = Math.round((v - r.lo) * k);
    return i < 0 ? 0 : i > top ? top : i;
  };
}

/** Fraction 0..1 along a colour bar of a value (log or linear). */
export function barPosition(r: Pick<ResolvedRange, 'lo' | 'hi' | 'scale'>, v: number): number {
  if (r.scale === 'log') return (Math.log10(v) - Math.log10(r.lo)) / (Math.log10(r.hi) - Math.log10(r.lo) || 1);
  return (v - r.lo) / (r.hi - r.lo || 1);
}

/** A number as short as it stays exact enough for an axis or a range end. */
export function formatNumber(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(1).replace(/\.0e/, 'e').replace('e+', 'e');
  return String(Number(v.toPrecision(3)));
}

export interface ManualRangeProblem {
  field: 'min' | 'max';
  message: string;
}

/** What is wrong with a typed-in range, in plain words (null when it can be drawn). */
export function manualRangeProblem(scale: ZScale, min: number | null, max: number | null): ManualRangeProblem | null {
  if (min !== null && !Number.isFinite(min)) return { field: 'min', message: 'The minimum is not a number.' };
  if (max !== null && !Number.isFinite(max)) return { field: 'max', message: 'The maximum is not a number.' };
  if (min !== null && max !== null && !(max > min))
    return { field: 'max', message: `The maximum (${max}) must be larger than the minimum (${min}).` };
  if (scale === 'log' && max !== null && !(max > 0)) return { field: 'max', message: 'On a log scale the maximum must be larger than 0.' };
  return null;
}
