import { describe, expect, it } from 'vitest';
import { pixelBarrelPreset } from '@/shared/preset/pixel-barrel';
import { firstAffectedStage, flagChanges } from './preset-diff';

describe('preset diff', () => {
  const saved = pixelBarrelPreset();
  it('names the first stage a change affects', () => {
    expect(firstAffectedStage(saved, structuredClone(saved))).toBeNull();
    expect(firstAffectedStage(saved, { ...saved, thresholds: [{ ...saved.thresholds[0], lossThreshold: 10 }] })).toBe('clustering');
    expect(firstAffectedStage(saved, { ...saved, combine: { minLayers: 3 } })).toBe('combine');
    expect(firstAffectedStage(saved, { ...saved, flagging: { ...saved.flagging, threshold: 0.5 } })).toBe('flagging');
    expect(firstAffectedStage(saved, { ...saved, filters: { ...saved.filters, minPileup: null } })).toBe('filter');
    expect(firstAffectedStage(saved, { ...saved, combine: { minLayers: 3 }, filters: { ...saved.filters, minPileup: null } })).toBe(
      'combine',
    );
    expect(firstAffectedStage(saved, { ...saved, reconstructionInput: { max: 4, zeroValue: 1 } })).toBe('inference');
  });

  it('lists LS whose flag changed', () => {
    const mk = (flags: boolean[]) =>
      flags.map((flagged, i) => ({
        index: i,
        run: 7,
        ls: i + 1,
        flagged,
        flaggedBeforeFilter: flagged,
        passedFilter: true,
        reasons: [],
        score: { finalBins: 0, maxLoss: 0, maxLossPerLayer: {} },
      }));
    expect(flagChanges(mk([true, false, true]), mk([false, false, true]))).toEqual([
      { position: 0, run: 7, ls: 1, before: true, after: false },
    ]);
  });
});
