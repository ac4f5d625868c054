import { describe, expect, it } from 'vitest';
import { structuredPlaceholder, titleText, valueText } from './value-text';

describe('form value text', () => {
  it('never prints an object as "[object Object]"', () => {
    expect(valueText({ Flag: null })).toBe('(a mapping)');
    expect(valueText(['a'])).toBe('(a list)');
    expect(titleText({ x: 1 }, 'input 0')).toBe('input 0');
    expect(structuredPlaceholder({ x: 1 })).toMatch(/^a mapping in the YAML/);
  });
  it('shows scalars as they are', () => {
    expect(valueText('Flag')).toBe('Flag');
    expect(valueText(3.5)).toBe('3.5');
    expect(valueText(false)).toBe('false');
    expect(valueText(null)).toBe('');
    expect(valueText(new Date('2025-03-31T00:00:00Z'))).toBe('2025-03-31');
    expect(titleText('BPix2', 'input 0')).toBe('BPix2');
    expect(structuredPlaceholder('x')).toBeUndefined();
  });
});
