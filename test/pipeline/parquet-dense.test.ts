import { describe, expect, it } from 'vitest';
import { parquetReadObjects, asyncBufferFromFile } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import {
  DenseGrid,
  loadDialsParquet,
  openDialsParquet,
  readDenseMaps,
  readRowMaps,
  rowsToMaps,
  type DialsRow,
} from '@/backend/pipeline/dials-parquet';
import { LAYERS, parquetFile } from './fixture';

/** Repetition / definition levels of rows of maps (list<list<double>>; 5 = a value). */
function levels(rows: number[][][]): { rep: number[]; def: number[]; values: Float64Array } {
  const rep: number[] = [];
  const values: number[] = [];
  for (const map of rows)
    map.forEach((line, a) =>
      line.forEach((v, b) => {
        rep.push(a === 0 && b === 0 ? 0 : b === 0 ? 1 : 2);
        values.push(v);
      }),
    );
  return { rep, def: [], values: Float64Array.from(values) };
}

describe('DIALS parquet decoded from the pages into dense maps', () => {
  it.each(LAYERS)('%s: the same maps, runs and LS as the general row reader', async (layer) => {
    const file = parquetFile(layer);
    const opened = await openDialsParquet(file);
    const dense = await readDenseMaps(opened, null);
    // the fixture's exports are dense grids of PLAIN doubles: the page decoder must take them
    expect(dense).not.toBeNull();
    const rows = (await parquetReadObjects({ file: await asyncBufferFromFile(file), compressors })) as DialsRow[];
    expect(dense).toEqual(rowsToMaps(rows, file, null));
    expect(await loadDialsParquet(file)).toEqual(dense);
    // selecting the file's own ME by name gives the same stack; another ME the same message as the row reader
    const me = String(rows[0].me);
    expect(await readDenseMaps(opened, me)).toEqual({ ...dense, me });
    const wrong = 'PixelPhase1/Other/clusters';
    await expect(readDenseMaps(opened, wrong)).rejects.toThrow(`no rows for monitoring element "${wrong}"`);
    await expect(readRowMaps(opened, wrong)).rejects.toThrow(`no rows for monitoring element "${wrong}"`);
  });

  it('places rows by their selection, split across pages anywhere', () => {
    const maps = [
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      [
        [7, 8, 9],
        [10, 11, 12],
      ],
      [
        [13, 14, 15],
        [16, 17, 18],
      ],
    ];
    const { rep, def, values } = levels(maps);
    // rows 0 and 2 selected (another ME in row 1); pages cut in the middle of a map row
    const grid = new DenseGrid(Int32Array.from([0, -1, 1]), 2);
    expect(grid.page(rep.slice(0, 4), def, values.subarray(0, 4))).toBe(true);
    expect(grid.page(rep.slice(4, 11), def, values.subarray(4, 11))).toBe(true);
    expect(grid.page(rep.slice(11), def, values.subarray(11))).toBe(true);
    expect(Array.from(grid.finish(3)!)).toEqual([1, 2, 3, 4, 5, 6, 13, 14, 15, 16, 17, 18]);
    expect([grid.rows, grid.cols]).toEqual([2, 3]);
  });

  it('anything but a dense grid of present values is left to the general reader (null / false)', () => {
    const ragged = levels([
      [
        [1, 2, 3],
        [4, 5],
      ],
    ]);
    const g1 = new DenseGrid(Int32Array.from([0]), 1);
    expect(g1.page(ragged.rep, ragged.def, ragged.values) && g1.finish(1)).toBeFalsy();
    const other = levels([
      [
        [1, 2],
        [3, 4],
      ],
      [
        [5, 6, 7],
        [8, 9, 10],
      ],
    ]);
    const g2 = new DenseGrid(Int32Array.from([0, 1]), 2);
    expect(g2.page(other.rep, other.def, other.values) && g2.finish(2)).toBeFalsy();
    // a null value (definition level 4) in the second map
    const ok = levels([[[1, 2]], [[3, 4]]]);
    const g3 = new DenseGrid(Int32Array.from([0, 1]), 2);
    expect(g3.page(ok.rep, [5, 5, 5, 4], ok.values)).toBe(false);
    // fewer rows than the file says
    const g4 = new DenseGrid(Int32Array.from([0, 1, 2]), 3);
    expect(g4.page(ok.rep, ok.def, ok.values) && g4.finish(3)).toBeFalsy();
  });
});
