import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findProjectPresets } from '@/backend/pipeline/project-presets';

const root = mkdtempSync(path.join(os.tmpdir(), 'dism-presets-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('project presets', () => {
  it('lists preset.json and the presets a joblib import wrote next to templates', async () => {
    writeFileSync(path.join(root, 'preset.json'), '{}');
    mkdirSync(path.join(root, 'preview-PixelNMF'));
    writeFileSync(path.join(root, 'preview-PixelNMF', 'preset.json'), '{}');
    mkdirSync(path.join(root, 'model', 'preview-Other'), { recursive: true });
    writeFileSync(path.join(root, 'model', 'preview-Other', 'preset.json'), '{}');
    mkdirSync(path.join(root, 'preview-Empty'));
    const found = await findProjectPresets(root);
    expect(found).toEqual([
      { file: path.join(root, 'preset.json'), label: 'preset.json (project)' },
      { file: path.join(root, 'preview-PixelNMF', 'preset.json'), label: 'preview-PixelNMF/preset.json (imported PixelNMF)' },
      { file: path.join(root, 'model', 'preview-Other', 'preset.json'), label: 'model/preview-Other/preset.json (imported Other)' },
    ]);
  });
});
