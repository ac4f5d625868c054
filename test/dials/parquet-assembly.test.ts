import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadDialsParquet } from '@/backend/pipeline/dials-parquet';
import { encodeSpoolRecords } from '@/backend/dials/map-spool';
import { ParquetAssembly, type UnitState } from '@/backend/dials/parquet-assembly';

/** Spooled pages → one parquet per ME: lumisections without a map of every ME are left out and reported. */

let root: string | null = null;
afterEach(async () => {
  if (root) await fs.rm(root, { recursive: true, force: true });
  root = null;
});

function rec(run: number, ls: number, v: number) {
  return {
    run,
    ls,
    fileId: 7,
    entries: 6 * v,
    xMin: -1,
    xMax: 1,
    xBin: 3,
    yMin: -1,
    yMax: 1,
    yBin: 2,
    data: [
      [v, v, v],
      [v, v, v],
    ],
  };
}

describe('parquet assembly', () => {
  it('writes the LS every ME has, in run order, and names the ones left out', async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'dism-assembly-'));
    const folder = path.join(root, 'data', 'dials');
    const have: Record<string, number[]> = { '1-5': [1, 2, 3], '2-5': [1, 3], '1-6': [4], '2-6': [9] };
    const units: Record<string, UnitState> = {};
    for (const [key, lumis] of Object.entries(have)) {
      const [meId, run] = key.split('-').map(Number);
      await fs.writeFile(
        path.join(root, `${key}.bin`),
        encodeSpoolRecords(
          lumis.map((ls) => rec(run, ls, meId * 100 + ls)),
          6,
        ),
      );
      units[key] = { done: true, records: lumis.length, shape: [2, 3] };
    }
    const a = await ParquetAssembly.open(
      folder,
      {
        dataset: '/A/B/DQMIO',
        datasetId: 1,
        mes: [
          { me: 'X/me1', meId: 1, dim: 2 },
          { me: 'X/me2', meId: 2, dim: 2 },
        ],
        runs: [5, 6],
      },
      (meId, run) => units[`${meId}-${run}`],
      (meId, run) => path.join(root!, `${meId}-${run}.bin`),
      'test',
    );
    const files = await a.finish();
    expect(files.map((f) => [f.file, f.lumisections])).toEqual([
      ['A-B-DQMIO-X-me1.parquet', 2],
      ['A-B-DQMIO-X-me2.parquet', 2],
    ]);
    expect(a.runsWritten).toEqual([5]);
    expect(a.runsWithoutData).toEqual([{ run: 6, reason: 'no lumisection has a map of every monitoring element' }]);
    expect(a.warnings).toEqual([
      'run 5: 1 lumisection(s) left out because DIALS has no map of me2 for them (LS 2)',
      'run 6: 2 lumisection(s) left out because DIALS has no map of me1, me2 for them (LS 4, 9)',
    ]);
    const maps = await loadDialsParquet(path.join(a.ready, files[1].file));
    expect([Array.from(maps.runs), Array.from(maps.lumis), Array.from(maps.maps)]).toEqual([
      [5, 5],
      [1, 3],
      [201, 201, 201, 201, 201, 201, 203, 203, 203, 203, 203, 203],
    ]);
    await a.abort();
    await expect(fs.access(a.ready)).rejects.toThrow();
  });
});
