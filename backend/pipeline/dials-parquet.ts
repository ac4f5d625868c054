import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { inputError, readFailure } from './input-error';

/** Maps of one monitoring element with their (run, LS) — what DIALS exports and API pages carry. */
export interface MeMaps {
  source: string;
  me: string | null;
  n: number;
  rows: number;
  cols: number;
  runs: Float64Array;
  lumis: Float64Array;
  /** n × rows × cols counts. */
  maps: Float64Array;
}

export interface DialsRow {
  run_number: unknown;
  ls_number: unknown;
  me?: unknown;
  x_bin?: unknown;
  y_bin?: unknown;
  data: unknown;
}

/**
 * Rows of a DIALS export (parquet or API JSON) for one ME into a dense stack. `me` selects rows when
 * the file holds several MEs; every map must be (y_bin × x_bin) of numbers.
 */
export function rowsToMaps(rows: DialsRow[], source: string, me: string | null): MeMaps {
  const mes = new Set(rows.map((r) => (r.me === undefined || r.me === null ? null : String(r.me))));
  let selected = rows;
  if (me !== null && mes.size > 0 && !(mes.size === 1 && mes.has(null))) {
    selected = rows.filter((r) => r.me === undefined || r.me === null || String(r.me) === me);
    if (selected.length === 0) throw inputError(`${source}: no rows for monitoring element "${me}"; the file holds ${[...mes].join(', ')}`);
  }
  if (selected.length === 0) throw inputError(`${source}: no lumisections in the file`);
  const first = selected[0];
  const grid = first.data;
  if (!Array.isArray(grid) || !Array.isArray(grid[0]))
    throw inputError(`${source}: column "data" of the first row is not a 2-D list (list<list<double>>)`);
  const rowsN = grid.length;
  const colsN = (grid[0] as unknown[]).length;
  const n = selected.length;
  const maps = new Float64Array(n * rowsN * colsN);
  const runs = new Float64Array(n);
  const lumis = new Float64Array(n);
  selected.forEach((r, i) => {
    runs[i] = Number(r.run_number);
    lumis[i] = Number(r.ls_number);
    const where = `${source}: run ${runs[i]} LS ${lumis[i]}`;
    if (!Number.isFinite(runs[i]) || !Number.isFinite(lumis[i]))
      throw inputError(`${source}: row ${i} has no valid run_number / ls_number`);
    const y = r.y_bin === undefined ? rowsN : Number(r.y_bin);
    const x = r.x_bin === undefined ? colsN : Number(r.x_bin);
    const d = r.data as unknown[][];
    if (!Array.isArray(d) || d.length !== rowsN || y !== rowsN || x !== colsN) {
      throw inputError(
        `${where}: map is ${Array.isArray(d) ? d.length : '?'} × ${Array.isArray(d?.[0]) ? d[0].length : '?'} (y_bin ${y}, x_bin ${x}), expected ${rowsN} × ${colsN} like the first row`,
      );
    }
    const off = i * rowsN * colsN;
    for (let a = 0; a < rowsN; a++) {
      const line = d[a];
      if (!Array.isArray(line) || line.length !== colsN)
        throw inputError(`${where}: data row ${a} has ${Array.isArray(line) ? line.length : 0} values, expected ${colsN}`);
      for (let b = 0; b < colsN; b++) {
        const v = line[b];
        // Non-numbers here; NaN, ±Inf and negatives by the shared check of every source (data-inputs.ts).
        if (typeof v !== 'number')
          throw inputError(`${where}: bin (${a}, ${b}) is ${v === null ? 'null' : JSON.stringify(v)}; raw counts must be numbers`);
        maps[off + a * colsN + b] = v;
      }
    }
  });
  return {
    source,
    me: me ?? (first.me === undefined || first.me === null ? null : String(first.me)),
    n,
    rows: rowsN,
    cols: colsN,
    runs,
    lumis,
    maps,
  };
}

/** A DIALS parquet export of one ME (columns run_number, ls_number, me, x_bin, y_bin, data …). */
export async function loadDialsParquet(file: string, me: string | null = null): Promise<MeMaps> {
  let buffer;
  try {
    buffer = await asyncBufferFromFile(file);
  } catch (err) {
    throw inputError(`${file}: ${readFailure(err)}`);
  }
  let columns: string[];
  try {
    const md = await parquetMetadataAsync(buffer);
    columns = md.schema.slice(1).map((s) => s.name);
  } catch (err) {
    throw inputError(`${file}: not a readable parquet file (${(err as Error).message})`);
  }
  const required = ['run_number', 'ls_number', 'data'];
  const missing = required.filter((c) => !columns.includes(c));
  if (missing.length)
    throw inputError(
      `${file}: missing column(s) ${missing.join(', ')}; a DIALS export has run_number, ls_number, me, x_bin, y_bin, entries, data`,
    );
  const wanted = ['run_number', 'ls_number', 'data', ...['me', 'x_bin', 'y_bin'].filter((c) => columns.includes(c))];
  const rows = (await parquetReadObjects({ file: buffer, compressors, columns: wanted })) as DialsRow[];
  return rowsToMaps(rows, file, me);
}
