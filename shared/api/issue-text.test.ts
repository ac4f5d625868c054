import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ModelPreset } from '@/shared/preset/model-preset';
import { pixelBarrelPreset } from '@/shared/preset/pixel-barrel';
import { issuesText } from './issue-text';

const text = (schema: z.ZodType, value: unknown) => {
  const r = schema.safeParse(value);
  if (r.success) throw new Error('expected a failure');
  return issuesText(r.error.issues);
};

describe('schema problems in plain words', () => {
  it('says what a value must be, never zod’s own wording', () => {
    const Start = z.object({ port: z.number().int().min(1).max(65535), templateFile: z.string().min(1) }).strict();
    expect(text(Start, { port: 70000, templateFile: 't' })).toBe('port must be at most 65535');
    expect(text(Start, { port: 0, templateFile: 't' })).toBe('port must be at least 1');
    expect(text(Start, { port: 1.5, templateFile: 't' })).toBe('port must be a whole number');
    expect(text(Start, { port: '80', templateFile: '' })).toBe('port must be a number; templateFile must not be empty');
    expect(text(Start, { templateFile: 't' })).toBe('port is missing (it must be a number)');
    expect(text(Start, { port: 80, templateFile: 't', prot: 1 })).toBe('has a key DISM Studio does not know: prot (check the spelling)');
    expect(text(z.enum(['zip', 'folder']), 'rar')).toBe('must be one of "zip", "folder"');
  });

  it('words a preset.json mistake with the key it is at', () => {
    const p = pixelBarrelPreset();
    const bad = { ...p, thresholds: [{ ...p.thresholds[0], lossThreshold: '0.04' }], combine: { minLayers: 2, extra: true } };
    const t = text(ModelPreset, bad);
    expect(t).toBe('thresholds[0].lossThreshold must be a number; combine has a key DISM Studio does not know: extra (check the spelling)');
    expect(t).not.toMatch(/Invalid input|expected .* received|Unrecognized key/);
    // our own refinements keep their words
    expect(text(ModelPreset, { ...p, filters: { ...p.filters, minEntries: { BPix9: 1 } } })).toBe(
      'filters.minEntries.BPix9: minEntries names layer "BPix9", which is not in layers (BPix2, BPix3, BPix4)',
    );
  });
});
