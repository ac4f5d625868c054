import { BINS_PER_LADDER, BINS_PER_MODULE } from '@/shared/pixel-geometry';
import type { PatternSpec } from '@/shared/preset/model-preset';

/**
 * A number as a Tuning field shows it: as written when it has at most 6 significant digits, else to
 * 4 significant digits (exponent form from 1e5 up and below 1e-3), e.g. 500000/3 → "1.667e5".
 * The exact value stays in the preset until the user types another one.
 */
export function readableNumber(v: number): string {
  const plain = String(v);
  // Significant digits: those of the shortest exponent form (1000000 → "1e6" → 1 digit).
  const digits = v.toExponential().replace(/^-/, '').replace(/e.*$/, '').replace('.', '');
  if (digits.length <= 6) return plain;
  const abs = Math.abs(v);
  if (abs >= 1e5 || abs < 1e-3) {
    const [m, e] = v.toExponential(3).split('e');
    return `${m.replace(/\.?0+$/, '')}e${Number(e)}`;
  }
  return String(Number(v.toPrecision(4)));
}

const FRACTION: Record<string, string> = { '0.5': '½', '0.25': '¼', '0.75': '¾', '0.125': '⅛' };

function amount(n: number, eighths: boolean): string {
  const whole = Math.floor(n);
  const rest = n - whole;
  if (rest === 0) return String(whole);
  const f = FRACTION[String(rest)] ?? (eighths && Number.isInteger(rest * 8) ? `${rest * 8}/8` : String(Number(rest.toFixed(3))));
  return whole ? `${whole}${f}` : f;
}

/** A pattern's size in detector terms (bins of the first layer's map: 2 rows a ladder, 8 columns a module). */
export function patternSize(p: PatternSpec): string {
  const [rows, cols] = 'ones' in p ? p.ones : [p.length, p[0]?.length ?? 0];
  const ladders = rows / BINS_PER_LADDER;
  const modules = cols / BINS_PER_MODULE;
  return `${amount(ladders, false)} ladder${ladders > 1 ? 's' : ''} × ${amount(modules, true)} module${modules > 1 ? 's' : ''}`;
}
