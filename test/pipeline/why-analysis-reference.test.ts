import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readNpyFile } from '@/backend/pipeline/npy';
import { layerGeometry } from '@/shared/pixel-geometry';
import { pixelBarrelPreset } from '@/shared/preset/pixel-barrel';
import type { LumisectionStageMaps } from '@/renderer/src/steps/preview/figure/build-figure';
import { clustersOf, explainLumisection } from '@/shared/pipeline/why';

const REF = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/pixelnmf-reference');
const LAYERS = ['BPix2', 'BPix3', 'BPix4'];
const preset = pixelBarrelPreset(LAYERS);
const geometries = preset.layers.map((l) => layerGeometry(l.name, l.shape, l.cross));

describe('Why analysis', () => {
  it('finds 8-connected clusters and places them in ladders and modules', () => {
    const g = geometries[0];
    const m = new Uint8Array(g.croppedRows * g.croppedCols);
    // Two bins touching at a corner in cropped rows 0–1, and one block across the module gap.
    m[0] = 1;
    m[g.croppedCols + 1] = 1;
    for (let c = 30; c < 34; c++) m[10 * g.croppedCols + c] = 1;
    const cl = clustersOf(g, m);
    expect(cl).toHaveLength(2);
    expect(cl[0]).toMatchObject({ bins: 4, row0: 10, row1: 11, col0: 30, col1: 42, where: 'ladder −9 · modules −1…+1' });
    expect(cl[1]).toMatchObject({ bins: 2, where: 'ladder −14 · module −4' });
  });

  it('says a flagging pattern fired exactly for the LS the reference pipeline flags', async () => {
    const load = async (f: string) => (await readNpyFile(path.join(REF, 'reference/onnx', f))).data;
    const final = await load('combined_binary.npy');
    const combined = await load('combined_loss_unmasked.npy');
    const mask = await load('loss_mask_combined.npy');
    const flags = await load('flags_before_filter.npy');
    const binaries = await Promise.all(LAYERS.map((l) => load(`loss_binary_${l}.npy`)));
    const t = 56 * 64;
    let fired = 0;
    for (let i = 0; i < flags.length; i++) {
      const maps: LumisectionStageMaps = {
        layers: LAYERS.map((name, k) => {
          const size = geometries[k].croppedRows * geometries[k].croppedCols;
          const bin = binaries[k].subarray(i * size, (i + 1) * size);
          return { name, raw: [], preprocessed: [], reconstruction: [], loss: [], lossBinary: bin };
        }),
        combined: combined.subarray(i * t, (i + 1) * t),
        lossMask: mask,
        final: final.subarray(i * t, (i + 1) * t),
      };
      const why = explainLumisection(maps, preset, geometries, geometries[0]);
      const anyFired = why.patterns.some((p) => p.fired);
      expect(anyFired, `LS ${i}`).toBe(flags[i] === 1);
      if (anyFired) {
        fired++;
        expect(why.finalBins).toBeGreaterThan(0);
        expect(why.marks.length).toBeGreaterThan(0);
        expect(why.patterns.find((p) => p.fired)!.regions[0].where).toMatch(/^BPix2 ladders? [−+]\d+/);
      }
    }
    expect(fired).toBe(6);
  });
});
