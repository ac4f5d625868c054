import { describe, expect, it } from 'vitest';
import { patternSize, readableNumber } from './tuning-format';

describe('numbers in the Tuning fields', () => {
  it('shows up to 6 significant digits as written, longer values to 4 significant digits', () => {
    expect(readableNumber(500000 / 3)).toBe('1.667e5');
    expect(readableNumber(166666)).toBe('166666');
    expect(readableNumber(1_000_000)).toBe('1000000');
    expect(readableNumber(0.0125)).toBe('0.0125');
    expect(readableNumber(1 / 3)).toBe('0.3333');
    expect(readableNumber(2 / 3000)).toBe('6.667e-4');
    expect(readableNumber(12.3456789)).toBe('12.35');
    expect(readableNumber(5)).toBe('5');
    expect(readableNumber(0)).toBe('0');
    expect(readableNumber(-1 / 3)).toBe('-0.3333');
    expect(readableNumber(123456.7)).toBe('1.235e5');
  });
  it('reads back as nearly the same value (4 significant digits)', () => {
    for (const v of [500000 / 3, 1 / 3, 2 / 3000, 12.3456789]) expect(Math.abs(Number(readableNumber(v)) - v) / v).toBeLessThan(5e-4);
  });
});

describe('pattern sizes in detector terms', () => {
  it('reads bins of the first layer as ladders (2 rows) × modules (8 columns)', () => {
    expect(patternSize({ ones: [1, 8] })).toBe('½ ladder × 1 module');
    expect(patternSize({ ones: [2, 8] })).toBe('1 ladder × 1 module');
    expect(patternSize({ ones: [4, 16] })).toBe('2 ladders × 2 modules');
    expect(patternSize({ ones: [3, 4] })).toBe('1½ ladders × ½ module');
    expect(patternSize({ ones: [1, 1] })).toBe('½ ladder × ⅛ module');
    expect(patternSize({ ones: [1, 3] })).toBe('½ ladder × 3/8 module');
    expect(patternSize([[1, 1, 1]])).toBe('½ ladder × 3/8 module');
  });
});
