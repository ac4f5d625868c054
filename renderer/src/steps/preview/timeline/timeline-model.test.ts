import { describe, expect, it } from 'vitest';
import {
  clampWindow,
  edgeSelection,
  findLumisection,
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

describe('Home / End in the timeline', () => {
  const ls = (i: number, flagged: boolean) =>
    ({
      index: i,
      run: 1,
      ls: i + 1,
      flagged,
      flaggedBeforeFilter: flagged,
      passedFilter: true,
      reasons: [],
      score: { finalBins: 0 },
    }) as unknown as TimelineLs;
  const items = [ls(0, false), ls(1, true), ls(2, false), ls(3, true), ls(4, false)];
  it('goes to the first and last LS the toggles keep', () => {
    expect(edgeSelection(items, 'first', { flaggedOnly: false, filteredOnly: false })).toBe(0);
    expect(edgeSelection(items, 'last', { flaggedOnly: false, filteredOnly: false })).toBe(4);
    expect(edgeSelection(items, 'first', { flaggedOnly: true, filteredOnly: false })).toBe(1);
    expect(edgeSelection(items, 'last', { flaggedOnly: true, filteredOnly: false })).toBe(3);
  });
  it('is null when no LS passes', () => {
    expect(edgeSelection([], 'first', { flaggedOnly: false, filteredOnly: false })).toBeNull();
    expect(edgeSelection([ls(0, false)], 'last', { flaggedOnly: true, filteredOnly: false })).toBeNull();
  });
});

describe('go to run:LS', () => {
  const mk = (run: number, l: number) => ({ run, ls: l }) as unknown as TimelineLs;
  const items = [mk(398100, 1), mk(398100, 2), mk(398100, 3), mk(398101, 5), mk(398101, 6)];
  it('finds run:LS and a bare LS', () => {
    expect(findLumisection(items, '398101:6')).toEqual({ position: 4 });
    expect(findLumisection(items, ' 398100 / 2 ')).toEqual({ position: 1 });
    expect(findLumisection(items, '5')).toEqual({ position: 3 });
  });
  it('says in words why nothing was found', () => {
    expect(findLumisection(items, '398100:999')).toEqual({ problem: 'No LS 999 in run 398100 (it has LS 1–3).' });
    expect(findLumisection(items, '398102:1')).toEqual({ problem: 'No run 398102 in this data (runs 398100, 398101).' });
    expect(findLumisection(items, '4')).toEqual({ problem: 'No LS 4 in this data: type run:LS, e.g. 398100:1.' });
    expect(findLumisection(items, 'abc')).toEqual({ problem: 'Type run:LS (e.g. 398100:1) or an LS number.' });
  });
});
