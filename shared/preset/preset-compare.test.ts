import { describe, expect, it } from 'vitest';
import { firstAffectedStage } from '@/shared/pipeline/model';
import type { ModelPreset } from './model-preset';
import { pixelBarrelPreset } from './pixel-barrel';
import { presetDifferences } from './preset-compare';

const base = pixelBarrelPreset();
const labels = { a: 'model.npz', b: 'preset.json' } as const;
const diff = (a: ModelPreset, b: ModelPreset) => presetDifferences(a, b, { labels }).map((d) => d.text);

describe('presets compared by meaning', () => {
  it('list order does not matter where the rule is "all of" or "any of"', () => {
    const oms = base.filters.omsBooleans;
    // untick and re-tick bpix_ready in the Tuning panel: it moves to the end of the list
    const reticked: ModelPreset = {
      ...base,
      filters: { ...base.filters, omsBooleans: [...oms.filter((f) => f !== 'bpix_ready'), 'bpix_ready'] },
    };
    expect(diff(base, reticked)).toEqual([]);
    expect(firstAffectedStage(base, reticked)).toBeNull();
    // OR-ed threshold entries, "any of" flagging patterns, per-layer minimum entries in another key order
    const t2 = { lossThreshold: 0.2, pattern: { ones: [1, 4] as [number, number] }, filterThreshold: 1 };
    const shuffled: ModelPreset = {
      ...base,
      thresholds: [t2, ...base.thresholds],
      flagging: { ...base.flagging, patterns: [...base.flagging.patterns].reverse() },
      filters: { ...base.filters, minEntries: Object.fromEntries(Object.entries(base.filters.minEntries).reverse()) },
    };
    expect(diff({ ...base, thresholds: [...base.thresholds, t2] }, shuffled)).toEqual([]);
    // a repeated flag means nothing more
    expect(diff(base, { ...base, filters: { ...base.filters, omsBooleans: [...oms, 'cms_active'] } })).toEqual([]);
  });

  it('a pattern written as {"ones": [r, c]} equals the same matrix of ones; numbers compare by value', () => {
    const explicit: ModelPreset = { ...base, flagging: { ...base.flagging, patterns: [[[1, 1, 1, 1, 1, 1, 1, 1]], { ones: [2, 4] }] } };
    expect(diff(base, explicit)).toEqual([]);
    expect(diff(base, { ...base, flagging: { ...base.flagging, threshold: 0.001 } })).toEqual([]);
    expect(diff(base, { ...base, filters: { ...base.filters, minEntries: { ...base.filters.minEntries, BPix3: 500000 / 3 } } })).toEqual(
      [],
    );
  });

  it('layer order matters (the first layer sets the combined binning)', () => {
    const swapped = { ...base, layers: [base.layers[1], base.layers[0], base.layers[2]] };
    expect(diff(base, swapped)).toEqual(['layers: BPix2, BPix3, BPix4 in model.npz, BPix3, BPix2, BPix4 in preset.json']);
    expect(firstAffectedStage(base, swapped)).toBe('inference');
  });

  it('says exactly which keys differ and how', () => {
    const oms = base.filters.omsBooleans;
    const other: ModelPreset = {
      ...base,
      thresholds: [{ ...base.thresholds[0], lossThreshold: 0.07 }],
      flagging: { patterns: [{ ones: [1, 8] }, { ones: [3, 3] }], threshold: 0.001 },
      filters: {
        ...base.filters,
        omsBooleans: oms.filter((f) => f !== 'bpix_ready'),
        minEntries: { ...base.filters.minEntries, BPix3: 2e5 },
        minPileup: null,
        hlt: { triggerGlob: 'HLT_ZeroBias_v*', minRate: 10 },
      },
      combine: { minLayers: 3 },
    };
    expect(diff(base, other)).toEqual([
      'thresholds: lossThreshold 0.04 in model.npz, 0.07 in preset.json',
      'combine.minLayers: 2 in model.npz, 3 in preset.json',
      'flagging.patterns: 2×4 ones only in model.npz; 3×3 ones only in preset.json',
      'filters.minEntries.BPix3: 166666.66666666666 in model.npz, 200000 in preset.json',
      'filters.omsBooleans: bpix_ready only in model.npz',
      'filters.minPileup: 25 in model.npz, none (no cut) in preset.json',
      'filters.hlt.minRate: 5 in model.npz, 10 in preset.json',
    ]);
    expect(presetDifferences(base, other).map((d) => d.part)).toEqual([
      'thresholds',
      'combine',
      'flagging',
      'filters',
      'filters',
      'filters',
      'filters',
    ]);
  });

  it('file paths count only when asked for (the model server does not read them)', () => {
    const moved = { ...base, layers: base.layers.map((l) => ({ ...l, onnx: `elsewhere/${l.onnx}` })) };
    expect(diff(base, moved)).toEqual([
      'layers[0].onnx: model/nmf_BPix2.onnx in model.npz, elsewhere/model/nmf_BPix2.onnx in preset.json',
      'layers[1].onnx: model/nmf_BPix3.onnx in model.npz, elsewhere/model/nmf_BPix3.onnx in preset.json',
      'layers[2].onnx: model/nmf_BPix4.onnx in model.npz, elsewhere/model/nmf_BPix4.onnx in preset.json',
    ]);
    expect(presetDifferences(base, moved, { files: false })).toEqual([]);
    expect(firstAffectedStage(base, moved)).toBe('inference');
  });
});
