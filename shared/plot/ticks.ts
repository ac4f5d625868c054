import { barPosition, formatNumber, type ResolvedRange } from './colour-scale';

/**
 * Tick values and labels that never run into each other: colour-bar ticks for a bar of a given
 * width and axis ticks thinned to the room they have. Widths come from a `measure` function (the
 * UI measures with its font on a canvas, the report with the PDF font), so the rule is the same
 * on screen and on paper.
 */

/** Width of a label in the units of the layout (px on screen, pt in the PDF). */
export type Measure = (label: string) => number;

/** Up to about `n` round tick values (1, 2, 2.5, 5 × 10^k steps) inside [lo, hi], ends included when round. */
export function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo) || !Number.isFinite(lo) || !Number.isFinite(hi)) return [lo];
  const raw = (hi - lo) / Math.max(1, n - 1);
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/**
 * Log-scale ticks inside [lo, hi] (lo > 0): powers of ten, every k-th decade when there are more
 * than about `n`; with less than two decades also 2× and 5× (as matplotlib's LogLocator).
 */
export function logTicks(lo: number, hi: number, n = 5): number[] {
  if (!(lo > 0) || !(hi > lo)) return [lo];
  const d0 = Math.ceil(Math.log10(lo) - 1e-9);
  const d1 = Math.floor(Math.log10(hi) + 1e-9);
  const decades = d1 - d0 + 1;
  if (decades >= 2) {
    const every = Math.max(1, Math.ceil(decades / Math.max(1, n)));
    const out: number[] = [];
    for (let d = d0; d <= d1; d++) if ((d - d0) % every === 0) out.push(Number((10 ** d).toPrecision(12)));
    return out;
  }
  const out: number[] = [];
  for (let d = Math.floor(Math.log10(lo)); d <= Math.ceil(Math.log10(hi)); d++)
    for (const m of [1, 2, 5]) {
      const v = Number((m * 10 ** d).toPrecision(12));
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(v);
    }
  return out.length > n ? out.filter((v) => Number(v.toPrecision(1)) === 10 ** Math.round(Math.log10(v))) : out;
}

const SUPERSCRIPT: Record<string, string> = {
  '-': '⁻',
  '0': '⁰',
  '1': '¹',
  '2': '²',
  '3': '³',
  '4': '⁴',
  '5': '⁵',
  '6': '⁶',
  '7': '⁷',
  '8': '⁸',
  '9': '⁹',
};

/** A compact tick label: "0.025", "1.5", "2k", "1e6"; powers of ten as "10⁻³" when `powers` (log scales). */
export function tickLabel(v: number, opts: { powers?: boolean; unicode?: boolean } = {}): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  const exp = Math.round(Math.log10(a));
  if (opts.powers && Math.abs(a / 10 ** exp - 1) < 1e-9 && (exp < -2 || exp > 3)) {
    if (opts.unicode === false) return `${v < 0 ? '-' : ''}1e${exp}`;
    return `${v < 0 ? '−' : ''}10${String(exp)
      .split('')
      .map((c) => SUPERSCRIPT[c])
      .join('')}`;
  }
  if (a >= 1e5 || a < 1e-3) return v.toExponential(0).replace('e+', 'e');
  if (a >= 1000) return `${Math.round(v / 100) / 10}k`.replace('.0k', 'k');
  return String(Number(v.toPrecision(3)));
}

export interface BarTick {
  value: number;
  label: string;
  /** 0..1 along the bar. */
  at: number;
  /** How the label sits on its tick: the range ends are aligned inwards so they stay inside the bar. */
  anchor: 'start' | 'middle' | 'end';
}

/**
 * Ticks of a colour bar `width` wide: its two ends labelled with the range (so the range is always
 * readable), and as many round values between them as fit without any two labels closer than `gap`.
 */
export function colourBarTicks(
  r: Pick<ResolvedRange, 'lo' | 'hi' | 'scale'>,
  width: number,
  measure: Measure,
  gap = 6,
  unicode = true,
): BarTick[] {
  const endLabel = (v: number) => (r.scale === 'log' ? tickLabel(v, { powers: true, unicode }) : formatNumber(v));
  const ends: BarTick[] = [
    { value: r.lo, label: endLabel(r.lo), at: 0, anchor: 'start' },
    { value: r.hi, label: endLabel(r.hi), at: 1, anchor: 'end' },
  ];
  const box = (t: BarTick): [number, number] => {
    const w = measure(t.label);
    const x = t.at * width;
    return t.anchor === 'start' ? [x, x + w] : t.anchor === 'end' ? [x - w, x] : [x - w / 2, x + w / 2];
  };
  // Both ends must fit; if not even they do, the larger end alone says where the scale goes.
  if (box(ends[0])[1] + gap > box(ends[1])[0]) return [ends[1]];
  for (let n = 7; n >= 2; n--) {
    const values = r.scale === 'log' ? logTicks(r.lo, r.hi, n) : niceTicks(r.lo, r.hi, n);
    const inner: BarTick[] = values
      .map((value) => ({ value, at: barPosition(r, value) }))
      .filter((t) => t.at > 1e-6 && t.at < 1 - 1e-6)
      .map((t) => ({ ...t, label: tickLabel(t.value, { powers: r.scale === 'log', unicode }), anchor: 'middle' as const }));
    const all = [ends[0], ...inner, ends[1]];
    const boxes = all.map(box);
    let ok = true;
    for (let i = 1; i < boxes.length && ok; i++) ok = boxes[i][0] >= boxes[i - 1][1] + gap;
    if (ok) return all;
  }
  return ends;
}

const THIN_STEPS = [1, 2, 4, 5, 8, 10, 16, 20, 32, 40, 50];

/**
 * Every `step`-th of evenly spaced axis ticks (`spacing` apart in layout units), the smallest step
 * that leaves `gap` between neighbouring labels; the tick at value 0 is always kept.
 */
export function thinTicks(
  values: number[],
  labels: string[],
  spacing: number,
  measure: Measure,
  gap = 4,
): { values: number[]; labels: string[] } {
  if (values.length < 2) return { values, labels };
  const widest = Math.max(...labels.map(measure));
  const zero = Math.max(0, values.indexOf(0));
  const step = THIN_STEPS.find((s) => s * spacing >= widest + gap) ?? values.length;
  const keep = values.map((_, i) => (i - zero) % step === 0);
  return { values: values.filter((_, i) => keep[i]), labels: labels.filter((_, i) => keep[i]) };
}

/** Rough label width for a font size when no real measurement is at hand (digits and signs ≈ 0.6 em). */
export function estimateWidth(fontSize: number): Measure {
  return (label) => label.length * fontSize * 0.6;
}
