import { describe, expect, it } from 'vitest';
import { RunRetention, type DropReason, type RetentionPolicy } from './run-retention';

interface Run {
  id: string;
  done: boolean;
  mapsBytes: number;
}

const MB = 2 ** 20;

function setup(policy: Partial<RetentionPolicy> = {}) {
  let t = 0;
  const dropped: Array<[string, DropReason]> = [];
  const mapsDropped: Array<[string, string]> = [];
  const retention = new RunRetention<Run>(
    { maxRuns: 2, mapsBudget: 100 * MB, idleMs: 30 * 60_000, ...policy },
    {
      dropMaps: (run, newer) => void mapsDropped.push([run.id, newer.id]),
      drop: async (run, reason) => void dropped.push([run.id, reason]),
    },
    () => t,
  );
  const add = (id: string, mapsBytes = 0): Run => {
    const run = { id, done: false, mapsBytes: 0 };
    retention.add(run);
    if (mapsBytes) expect(retention.reserveMaps(run, mapsBytes)).toBe(true);
    return run;
  };
  const kept = () => retention.list().map((e) => e.run.id);
  const later = (ms: number) => void (t += ms);
  return { retention, add, kept, later, dropped, mapsDropped };
}

describe('run retention policy', () => {
  it('a released run is gone at once, whether running or finished; releasing it again is a no-op', async () => {
    const { retention, add, kept, dropped } = setup();
    const a = add('a', 10 * MB);
    const b = add('b', 10 * MB);
    retention.finished(a);
    expect(await retention.drop('a', 'released')).toBe(a);
    expect(await retention.drop('b', 'released')).toBe(b);
    expect(await retention.drop('a', 'released')).toBeUndefined();
    expect(kept()).toEqual([]);
    expect(retention.use('a')).toBeUndefined();
    expect(retention.keeps(b)).toBe(false);
    expect(retention.mapsBytes()).toBe(0);
    expect(dropped).toEqual([
      ['a', 'released'],
      ['b', 'released'],
    ]);
  });

  it('keeps at most maxRuns finished runs, dropping the least recently used; running runs are never counted out', () => {
    const { retention, add, kept, later, dropped } = setup({ maxRuns: 2 });
    const [a, b, c] = ['a', 'b', 'c'].map((id) => add(id));
    retention.finished(a);
    later(1);
    retention.finished(b);
    later(1);
    retention.use('a'); // a is now more recently used than b
    retention.finished(c);
    expect(dropped).toEqual([['b', 'too many runs']]);
    expect(kept()).toEqual(['a', 'c']);
    // three running runs plus two finished ones: nothing running is dropped
    const running = ['d', 'e', 'f'].map((id) => add(id));
    expect(kept()).toEqual(['a', 'c', 'd', 'e', 'f']);
    retention.finished(running[0]);
    expect(dropped.at(-1)).toEqual(['a', 'too many runs']);
    expect(kept()).toEqual(['c', 'e', 'f', 'd']);
  });

  it('stage maps of all runs share one budget: a run takes room from the least recently used others, up to the byte', () => {
    const { retention, add, mapsDropped } = setup({ mapsBudget: 100 * MB });
    const a = add('a', 40 * MB);
    const b = add('b', 30 * MB);
    retention.finished(a);
    retention.finished(b);
    retention.use('a'); // b is the least recently used now
    const c = add('c');
    expect(retention.reserveMaps(c, 30 * MB)).toBe(true); // exactly fills the budget: nobody loses maps
    expect(mapsDropped).toEqual([]);
    expect(retention.reserveMaps(c, 1)).toBe(true); // one byte more: b's maps go, not a's
    expect(mapsDropped).toEqual([['b', 'c']]);
    expect([a.mapsBytes, b.mapsBytes, c.mapsBytes]).toEqual([40 * MB, 0, 30 * MB + 1]);
    expect(retention.reserveMaps(c, 70 * MB - 1)).toBe(true); // then a's, to exactly the budget
    expect(mapsDropped).toEqual([
      ['b', 'c'],
      ['a', 'c'],
    ]);
    expect(retention.mapsBytes()).toBe(100 * MB);
    expect(retention.reserveMaps(c, 1)).toBe(false); // nothing left to take: c keeps no more
    expect(retention.reserveMaps(add('d'), 100 * MB + 1)).toBe(false);
    expect(retention.mapsBytes()).toBe(100 * MB);
  });

  it('drops finished runs unused for idleMs, counted from their end or last use; running runs stay', () => {
    const { retention, add, kept, later, dropped } = setup({ idleMs: 1000 });
    const a = add('a');
    const b = add('b');
    later(5000);
    retention.finished(a);
    retention.sweep();
    expect(kept()).toEqual(['b', 'a']);
    later(999);
    retention.use('a');
    later(999);
    retention.sweep();
    expect(kept()).toEqual(['b', 'a']);
    later(1);
    retention.sweep();
    expect(kept()).toEqual(['b']);
    expect(dropped).toEqual([['a', 'idle']]);
    expect(retention.keeps(b)).toBe(true);
  });
});
