import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MAX_PATTERN_SIDE, ModelPreset } from '@/shared/preset/model-preset';
import { pixelBarrelPreset } from '@/shared/preset/pixel-barrel';

const SCHEMA_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../shared/preset/model-preset.schema.json');

/** The committed JSON Schema is generated from the zod schema; UPDATE_PRESET_SCHEMA=1 rewrites it. */
function generated(): string {
  const schema = {
    ...z.toJSONSchema(ModelPreset, { io: 'input' }),
    $id: 'https://dism-studio/model-preset.schema.json',
    title: 'DISM Studio model preset',
  };
  return `${JSON.stringify(schema, null, 2)}\n`;
}

describe('model preset', () => {
  it('the JSON Schema file matches the zod schema', async () => {
    if (process.env.UPDATE_PRESET_SCHEMA === '1') await fs.writeFile(SCHEMA_FILE, generated());
    expect(await fs.readFile(SCHEMA_FILE, 'utf8')).toBe(generated());
  });

  it('accepts the pixel barrel preset and rejects unknown keys', () => {
    expect(ModelPreset.parse(JSON.parse(JSON.stringify(pixelBarrelPreset())))).toEqual(pixelBarrelPreset());
    const r = ModelPreset.safeParse({ ...pixelBarrelPreset(), extra: 1 });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.message).join()).toContain('"extra"');
  });

  it('bounds pattern sizes at MAX_PATTERN_SIDE (a typo must not allocate gigabytes)', () => {
    const p = pixelBarrelPreset();
    const withPattern = (pattern: unknown) => ({ ...p, flagging: { ...p.flagging, patterns: [pattern] } });
    expect(ModelPreset.safeParse(withPattern({ ones: [MAX_PATTERN_SIDE, MAX_PATTERN_SIDE] })).success).toBe(true);
    expect(ModelPreset.safeParse(withPattern({ ones: [MAX_PATTERN_SIDE + 1, 1] })).success).toBe(false);
    expect(ModelPreset.safeParse(withPattern({ ones: [1, MAX_PATTERN_SIDE + 1] })).success).toBe(false);
    expect(ModelPreset.safeParse(withPattern({ ones: [100_000, 100_000] })).success).toBe(false);
    expect(ModelPreset.safeParse(withPattern([new Array(MAX_PATTERN_SIDE).fill(1)])).success).toBe(true);
    expect(ModelPreset.safeParse(withPattern([new Array(MAX_PATTERN_SIDE + 1).fill(1)])).success).toBe(false);
    expect(ModelPreset.safeParse(withPattern(new Array(MAX_PATTERN_SIDE + 1).fill([1]))).success).toBe(false);
  });

  it('checks cross ranges, duplicate layers and filter layer names', () => {
    const p = pixelBarrelPreset();
    const r = ModelPreset.safeParse({
      ...p,
      layers: [{ ...p.layers[0], cross: { rows: [28, 70], columns: [32, 40] } }, p.layers[0]],
      filters: { ...p.filters, minEntries: { BPix7: 1 } },
    });
    expect(r.success).toBe(false);
    const messages = r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(messages).toEqual([
      'layers.0.cross.rows: cross rows end 70 is beyond the 58 rows of the map',
      'layers.1.name: duplicate layer name "BPix2"',
      'filters.minEntries.BPix7: minEntries names layer "BPix7", which is not in layers (BPix2)',
    ]);
  });
});
