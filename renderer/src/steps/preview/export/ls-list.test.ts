import { describe, expect, it } from 'vitest';
import { parseLsList } from './ls-list';

const items = [
  { run: 398100, ls: 1 },
  { run: 398100, ls: 2 },
  { run: 398100, ls: 3 },
  { run: 398101, ls: 1 },
  { run: 398101, ls: 2 },
];

describe('lumisection lists', () => {
  it('reads run:LS, ranges, and bare LS of the run named before', () => {
    expect(parseLsList('398100:2-3, 398101:1', items)).toEqual({ positions: [1, 2, 3] });
    expect(parseLsList('398101:2 1', items)).toEqual({ positions: [3, 4] });
    expect(parseLsList('398100:3;398100:3', items)).toEqual({ positions: [2] });
    // a range may run past the data's LS; single LS must exist
    expect(parseLsList('398100:2-9', items)).toEqual({ positions: [1, 2] });
  });
  it('takes bare LS of the only run', () => {
    expect(
      parseLsList('2', [
        { run: 5, ls: 1 },
        { run: 5, ls: 2 },
      ]),
    ).toEqual({ positions: [1] });
  });
  it('says what is wrong', () => {
    expect(parseLsList('', items)).toEqual({ error: 'Type the lumisections, e.g. 398100:7-12, 398101:3.' });
    expect(parseLsList('2', items)).toMatchObject({ error: expect.stringContaining('has no run') });
    expect(parseLsList('398100:x', items)).toMatchObject({ error: expect.stringContaining('is not run:LS') });
    expect(parseLsList('398100:3-1', items)).toMatchObject({ error: expect.stringContaining('backwards') });
    expect(parseLsList('398100:9', items)).toEqual({ error: 'Not in this data: 398100:9.' });
    expect(parseLsList('398102:1-5', items)).toEqual({ error: 'None of these lumisections is in this data.' });
  });
});
