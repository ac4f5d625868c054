import { describe, expect, it } from 'vitest';
import type { InferenceResult } from '@/shared/api/contract';
import { INFERENCE_PAGE_SIZE, inferencePage, inferenceRows } from './inference-rows';

function result(n: number, disagreeing: number[]): InferenceResult {
  return {
    url: 'http://127.0.0.1:1',
    model: 'demo',
    lumisections: Array.from({ length: n }, (_, i) => ({ index: i, run: 398100, ls: i + 1, outputs: { flag: disagreeing.includes(i) } })),
    outputNames: ['flag'],
    inputs: [],
    flaggingKey: 'flag',
    batches: 1,
    elapsedMs: 1,
    comparison: {
      compared: n,
      agree: n - disagreeing.length,
      disagreements: disagreeing.map((i) => ({ index: i, run: 398100, ls: i + 1, server: true, preview: false })),
    },
  };
}

describe('inference table rows', () => {
  it('puts the disagreements first, each group in LS order, with the preview flag of each LS', () => {
    const flags = Array.from({ length: 6 }, () => false);
    const rows = inferenceRows(result(6, [4, 1]), flags, false);
    expect(rows.map((r) => r.index)).toEqual([1, 4, 0, 2, 3, 5]);
    expect(rows.map((r) => r.disagrees)).toEqual([true, true, false, false, false, false]);
    expect(rows[0].preview).toBe(false);
  });

  it('filters to the disagreements only; none when all agree', () => {
    expect(inferenceRows(result(6, [4, 1]), null, true).map((r) => r.ls)).toEqual([2, 5]);
    expect(inferenceRows(result(6, []), null, true)).toEqual([]);
    expect(inferenceRows(result(6, []), null, false)[0].preview).toBeUndefined();
  });

  it('pages: exactly one page at the page size, a second one past it, the page clamped', () => {
    const rows = (n: number) => inferenceRows(result(n, []), null, false);
    expect(inferencePage(rows(INFERENCE_PAGE_SIZE), 0)).toMatchObject({ pages: 1, first: 1, last: INFERENCE_PAGE_SIZE });
    const two = inferencePage(rows(INFERENCE_PAGE_SIZE + 1), 1);
    expect(two).toMatchObject({ pages: 2, page: 1, first: INFERENCE_PAGE_SIZE + 1, last: INFERENCE_PAGE_SIZE + 1 });
    expect(two.rows.map((r) => r.index)).toEqual([INFERENCE_PAGE_SIZE]);
    expect(inferencePage(rows(120), 99)).toMatchObject({ page: 4, first: 101, last: 120 });
    expect(inferencePage([], 0)).toMatchObject({ pages: 1, first: 0, last: 0, rows: [] });
  });
});
