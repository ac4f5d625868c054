import { describe, expect, it } from 'vitest';
import {
  clampWindow,
  countTimeline,
  passesToggles,
  revealPosition,
  runSpans,
  stepSelection,
  tickPositions,
  zoomWindow,
  type TimelineLs,
} from './timeline-model';

const ls = (i: number, run: number, p: Partial<TimelineLs> = {}): TimelineLs => ({
  index: i,
  run,
  ls: i + 1,
  flaggedBeforeFilter: false,
  flagged: false,
  passedFilter: true,
  reasons: [],
  score: { finalBins: 0, maxLoss: 0, maxLossPerLayer: {} },
  ...p,
});

const items = [
  ls(0, 1),
  ls(1, 1, { flaggedBeforeFilter: true, flagged: true }),
  ls(2, 1, { passedFilter: false, reasons: [{ code: 'pileup_low', message: 'pileup 20' }] }),
  ls(3, 2, { flaggedBeforeFilter: true, passedFilter: false, reasons: [{ code: 'hlt_rate_low', message: 'rate 2' }] }),
  ls(4, 2, { flaggedBeforeFilter: true, flagged: true }),
];

describe('timeline model', () => {
  it('splits runs at run changes', () => {
    expect(runSpans(items)).toEqual([
      { run: 1, from: 0, to: 3 },
      { run: 2, from: 3, to: 5 },
    ]);
  });

  it('steps only through LS that pass the toggles and stays put at the ends', () => {
    const flagged = { flaggedOnly: true, filteredOnly: false };
    expect(stepSelection(items, 0, 1, flagged)).toBe(1);
    expect(stepSelection(items, 1, 1, flagged)).toBe(3);
    expect(stepSelection(items, 4, 1, flagged)).toBe(4);
    const filtered = { flaggedOnly: false, filteredOnly: true };
    expect(stepSelection(items, 4, -1, filtered)).toBe(3);
    expect(stepSelection(items, 3, -1, filtered)).toBe(2);
    expect(passesToggles(items[3], { flaggedOnly: true, filteredOnly: true })).toBe(true);
    expect(passesToggles(items[1], { flaggedOnly: true, filteredOnly: true })).toBe(false);
    expect(stepSelection(items, 2, 1, { flaggedOnly: false, filteredOnly: false })).toBe(3);
  });

  it('counts flags before and after the filter', () => {
    expect(countTimeline(items)).toEqual({ total: 5, flagged: 2, flaggedBeforeFilter: 3, filtered: 2, clearedByFilter: 1 });
  });

  it('zooms around the cursor, keeps the window inside the data and reveals a selection', () => {
    const w = zoomWindow({ start: 0, span: 5000 }, 5000, 2500, 0.5);
    expect(w.span).toBe(2500);
    expect(w.start).toBe(1250);
    expect(clampWindow({ start: -10, span: 100 }, 50)).toEqual({ start: 0, span: 50 });
    expect(clampWindow({ start: 4990, span: 100 }, 5000)).toEqual({ start: 4900, span: 100 });
    expect(revealPosition({ start: 100, span: 100 }, 5000, 150)).toEqual({ start: 100, span: 100 });
    const r = revealPosition({ start: 100, span: 100 }, 5000, 400);
    expect(400).toBeGreaterThanOrEqual(r.start);
    expect(401).toBeLessThanOrEqual(r.start + r.span);
  });

  it('places round tick steps', () => {
    expect(tickPositions({ start: 0, span: 100 }, 10)).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    expect(tickPositions({ start: 3, span: 20 }, 5)).toEqual([5, 10, 15, 20]);
  });
});
