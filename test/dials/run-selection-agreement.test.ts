import { describe, expect, it } from 'vitest';
import { compareWithProduction, productionMarks } from '@/shared/dials/agreement';
import { formatRunSelection, MAX_LISTED_RUNS, parseRunSelection, runSelected } from '@/shared/dials/run-selection';
import { productionConsistency } from '@/backend/dials/dials-connection';

describe('run selection (UI and CLI)', () => {
  it('reads ranges and lists as physicists type them', () => {
    expect(parseRunSelection('398100-398110')).toEqual({ kind: 'range', first: 398100, last: 398110 });
    expect(parseRunSelection(' 398100 – 398100 ')).toEqual({ kind: 'range', first: 398100, last: 398100 });
    expect(parseRunSelection('398101, 398100,398101')).toEqual({ kind: 'list', runs: [398100, 398101] });
    expect(parseRunSelection('398100 398108')).toEqual({ kind: 'list', runs: [398100, 398108] });
    expect(parseRunSelection('398100')).toEqual({ kind: 'list', runs: [398100] });
    for (const t of ['398100-398110', '398100,398101']) expect(formatRunSelection(parseRunSelection(t))).toBe(t);
  });

  it('says what is wrong and what to write', () => {
    expect(() => parseRunSelection('')).toThrow('give the runs: a range (398100-398110) or a list (398100,398101)');
    expect(() => parseRunSelection('398110-398100')).toThrow('the range 398110-398100 ends before it starts; write 398100-398110');
    expect(() => parseRunSelection('398100,abc')).toThrow('"abc" in "398100,abc" is not a run number');
    expect(() => parseRunSelection('0')).toThrow('run numbers start at 1, got 0');
    expect(() => parseRunSelection('398100-')).toThrow(/is not a run number/);
  });

  it(`takes at most ${MAX_LISTED_RUNS} runs in a list`, () => {
    const runs = (n: number) => Array.from({ length: n }, (_, i) => 300000 + i).join(',');
    expect(parseRunSelection(runs(MAX_LISTED_RUNS))).toMatchObject({ kind: 'list' });
    expect(() => parseRunSelection(runs(MAX_LISTED_RUNS + 1))).toThrow(`at most ${MAX_LISTED_RUNS} runs in a list; give a range instead`);
  });

  it('includes both ends of a range', () => {
    const r = parseRunSelection('10-12');
    expect([9, 10, 12, 13].map((x) => runSelected(r, x))).toEqual([false, true, true, false]);
  });
});

describe('agreement of the preview with DIALS production', () => {
  const items = [
    { run: 1, ls: 1, flagged: false },
    { run: 1, ls: 2, flagged: true },
    { run: 1, ls: 3, flagged: false },
    { run: 2, ls: 1, flagged: true },
  ];
  it('compares only the runs DIALS judged; every unlisted LS of them is good by DIALS', () => {
    const a = compareWithProduction(
      items,
      [1],
      [
        { run: 1, ls: 2, mse: 0.1 },
        { run: 1, ls: 3, mse: 0.2 },
        { run: 1, ls: 9, mse: 0.3 },
      ],
    );
    expect(a).toEqual({
      compared: 3,
      agree: 2,
      disagreements: [{ position: 2, run: 1, ls: 3, preview: false, dials: true, mse: 0.2 }],
      flagsNotInPreview: 1,
    });
    expect(productionMarks(items, [1], [{ run: 1, ls: 2, mse: 0.1 }])).toEqual([false, true, false, null]);
  });
  it('a preview flag DIALS does not have is a disagreement too', () => {
    expect(compareWithProduction(items, [1, 2], []).disagreements.map((d) => [d.run, d.ls, d.preview, d.dials])).toEqual([
      [1, 2, true, false],
      [2, 1, true, false],
    ]);
  });
});

describe("DIALS's three answers about one model (the bad-lumisection list, cert JSON, golden JSON) checked against each other", () => {
  const flagged = [
    { run: 398100, ls: 7 },
    { run: 398101, ls: 12 },
  ];
  const entry = { model_id: 21, me_id: 250, filename: 'm.onnx', me: 'PXLayer_2', mse: 0.2 };
  it('agreeing answers give no warning; a golden range ending just before a flagged LS is fine', () => {
    expect(
      productionConsistency(
        flagged,
        { '398100': { '7': [entry] }, '398101': { '12': [entry] } },
        {
          '398100': [
            [1, 6],
            [8, 30],
          ],
          '398101': [[1, 11]],
        },
      ),
    ).toEqual([]);
  });
  it('a golden range that reaches a flagged LS, or a cert JSON with other LS, is reported', () => {
    expect(productionConsistency(flagged, null, { '398101': [[12, 12]] })).toEqual([
      "DIALS's golden JSON calls lumisections good that its model flagged (398101:12); the flags are used.",
    ]);
    expect(productionConsistency(flagged, { '398100': { '7': [entry], '8': [entry] } }, null)).toEqual([
      "DIALS's cert JSON and its list of bad lumisections differ (only in the list: 398101:12; only in the cert JSON: 398100:8); the list is used.",
    ]);
  });
});
