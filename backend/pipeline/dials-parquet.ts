import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, type AsyncBuffer, type FileMetaData } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
// hyparquet's page-level readers (exported as hyparquet/src/*.js): the map values are decoded from the
// pages straight into one Float64Array, without building a JS array per map row
import { parquetHeader } from 'hyparquet/src/column.js';
import { decompressPage, readDataPage, readDataPageV2 } from 'hyparquet/src/datapage.js';
import { getSchemaPath } from 'hyparquet/src/schema.js';
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

/** The rows `me` selects (all of them when the file holds one ME or none is asked for) and each row's place among them (−1: not selected). */
function selectRows(rows: DialsRow[], source: string, me: string | null): { selected: DialsRow[]; position: Int32Array } {
  const meOf = (r: DialsRow) => (r.me === undefined || r.me === null ? null : String(r.me));
  const mes = new Set(rows.map(meOf));
  const filtering = me !== null && mes.size > 0 && !(mes.size === 1 && mes.has(null));
  const position = new Int32Array(rows.length);
  const selected: DialsRow[] = [];
  for (let i = 0; i < rows.length; i++) {
    const m = meOf(rows[i]);
    position[i] = !filtering || m === null || m === me ? selected.push(rows[i]) - 1 : -1;
  }
  if (filtering && selected.length === 0)
    throw inputError(`${source}: no rows for monitoring element "${me}"; the file holds ${[...mes].join(', ')}`);
  if (selected.length === 0) throw inputError(`${source}: no lumisections in the file`);
  return { selected, position };
}

/**
 * Rows of a DIALS export (parquet or API JSON) for one ME into a dense stack. `me` selects rows when
 * the file holds several MEs; every map must be (y_bin × x_bin) of numbers.
 */
export function rowsToMaps(rows: DialsRow[], source: string, me: string | null): MeMaps {
  const { selected } = selectRows(rows, source, me);
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
  const opened = await openDialsParquet(file);
  // Anything but a dense grid of numbers (nulls, ragged rows, other encodings): the general reader,
  // whose row objects give the precise message.
  return (await readDenseMaps(opened, me)) ?? (await readRowMaps(opened, me));
}

/** A parquet file whose metadata has been read and whose DIALS columns are there. */
export interface OpenedParquet {
  file: string;
  buffer: AsyncBuffer;
  md: FileMetaData;
  /** run_number, ls_number and those of me, x_bin, y_bin the file has. */
  idColumns: string[];
}

export async function openDialsParquet(file: string): Promise<OpenedParquet> {
  let buffer;
  try {
    buffer = await asyncBufferFromFile(file);
  } catch (err) {
    throw inputError(`${file}: ${readFailure(err)}`);
  }
  let columns: string[];
  let md: FileMetaData;
  try {
    md = await parquetMetadataAsync(buffer);
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
  const idColumns = ['run_number', 'ls_number', ...['me', 'x_bin', 'y_bin'].filter((c) => columns.includes(c))];
  return { file, buffer, md, idColumns };
}

/** The general reader: every row as a JS object (each map a list of lists), then rowsToMaps. */
export async function readRowMaps({ file, buffer, idColumns }: OpenedParquet, me: string | null): Promise<MeMaps> {
  const rows = (await parquetReadObjects({ file: buffer, compressors, columns: [...idColumns, 'data'] })) as DialsRow[];
  return rowsToMaps(rows, file, me);
}

const DATA_PATH = ['data', 'list', 'element', 'list', 'element'];

/**
 * The maps of a DIALS export decoded from the `data` column's pages (list<list<double>>, PLAIN
 * doubles) straight into one Float64Array: no per-row or per-value JS objects. The small columns
 * (run, LS, ME, bins) are read as rows. Returns null when the file is not a dense grid of present
 * numbers in every selected row; the caller then reads it the general way (and says what is wrong).
 */
export async function readDenseMaps(opened: OpenedParquet, me: string | null): Promise<MeMaps | null> {
  const { buffer, idColumns, file } = opened;
  const ids = (await parquetReadObjects({ file: buffer, compressors, columns: idColumns })) as DialsRow[];
  // the same selection as rowsToMaps (and the same message when nothing is selected)
  const selection = selectRows(ids, file, me);
  const { selected } = selection;
  let maps: Float64Array | null;
  let grid: DenseGrid;
  try {
    grid = new DenseGrid(selection.position, selected.length);
    maps = await decodeDataColumn(opened, grid, ids.length);
  } catch {
    // a page layout or codec the page readers do not take: the general reader decides
    return null;
  }
  if (!maps) return null;
  const rowsN = grid.rows;
  const colsN = grid.cols;
  const n = selected.length;
  const runs = new Float64Array(n);
  const lumis = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const r = selected[i];
    runs[i] = Number(r.run_number);
    lumis[i] = Number(r.ls_number);
    const y = r.y_bin === undefined ? rowsN : Number(r.y_bin);
    const x = r.x_bin === undefined ? colsN : Number(r.x_bin);
    if (!Number.isFinite(runs[i]) || !Number.isFinite(lumis[i]) || y !== rowsN || x !== colsN) return null;
  }
  const first = selected[0];
  return {
    source: file,
    me: me ?? (first.me === undefined || first.me === null ? null : String(first.me)),
    n,
    rows: rowsN,
    cols: colsN,
    runs,
    lumis,
    maps,
  };
}

/** The `data` column's pages through `grid`, row group by row group: the maps, or null when they are not a dense grid of PLAIN doubles. */
async function decodeDataColumn({ buffer, md }: OpenedParquet, grid: DenseGrid, rowCount: number): Promise<Float64Array | null> {
  const schemaPath = getSchemaPath(md.schema, DATA_PATH);
  const leaf = schemaPath[schemaPath.length - 1]?.element;
  if (!leaf || leaf.type !== 'DOUBLE' || schemaPath.length !== DATA_PATH.length + 1) return null;
  // what hyparquet's page readers use of a column decoder (type, element, schemaPath)
  const decoder = { type: leaf.type, element: leaf, schemaPath, pathInSchema: DATA_PATH, compressors } as unknown as Parameters<
    typeof readDataPage
  >[2];
  for (const rg of md.row_groups) {
    const col = rg.columns.find((c) => c.meta_data?.path_in_schema.join('.') === DATA_PATH.join('.'))?.meta_data;
    if (!col) return null;
    const start = Number(col.dictionary_page_offset ?? col.data_page_offset);
    const bytes = await buffer.slice(start, start + Number(col.total_compressed_size));
    const reader = { view: new DataView(bytes), offset: 0 };
    let valuesLeft = Number(col.num_values);
    const colDecoder = { ...decoder, codec: col.codec };
    while (valuesLeft > 0 && reader.offset < reader.view.byteLength) {
      const header = parquetHeader(reader);
      const compressed = new Uint8Array(bytes, reader.offset, header.compressed_page_size);
      reader.offset += header.compressed_page_size;
      let page;
      if (header.type === 'DATA_PAGE' && header.data_page_header?.encoding === 'PLAIN') {
        const raw = decompressPage(compressed, Number(header.uncompressed_page_size), col.codec, compressors);
        page = readDataPage(raw, header.data_page_header, colDecoder);
      } else if (header.type === 'DATA_PAGE_V2' && header.data_page_header_v2?.encoding === 'PLAIN') {
        page = readDataPageV2(compressed, header, colDecoder);
      } else return null;
      const { definitionLevels: def, repetitionLevels: rep } = page;
      const values = page.dataPage as Float64Array;
      // hyparquet leaves the definition levels empty when the page has no null
      if (!def || !rep || !(values instanceof Float64Array) || (def.length !== 0 && def.length !== rep.length)) return null;
      valuesLeft -= rep.length;
      if (!grid.page(rep, def, values)) return null;
    }
  }
  return grid.finish(rowCount);
}

/**
 * Places the values of a list<list<double>> column into dense maps, page by page, from the
 * repetition levels (0: next row, 1: next map row, 2: next value) and definition levels (5: a value;
 * less: a null or empty list somewhere, which is not a dense grid). The first row sets the grid.
 */
export class DenseGrid {
  rows = -1;
  cols = -1;
  private maps: Float64Array | null = null;
  private row = -1;
  private a = -1;
  private b = 0;
  private out = -1;
  private firstCols = -1;
  private firstValues: number[] | null = [];

  constructor(
    private readonly position: Int32Array,
    private readonly selected: number,
  ) {}

  private endRow(): boolean {
    if (this.row < 0) return true;
    if (this.rows < 0) {
      // every map row of the first row as long as its first
      if (this.firstCols >= 0 && this.b !== this.firstCols) return false;
      this.rows = this.a + 1;
      this.cols = this.b;
    } else if (this.a + 1 !== this.rows || this.b !== this.cols) return false;
    return true;
  }

  private startRow(): void {
    this.row++;
    this.a = 0;
    this.b = 0;
    if (this.row === 1 && this.firstValues) this.placeFirst();
    this.out = this.row < this.position.length ? this.position[this.row] : -1;
  }

  private placeFirst(): void {
    this.maps = new Float64Array(this.selected * this.rows * this.cols);
    if (this.position[0] >= 0) this.maps.set(this.firstValues!, this.position[0] * this.rows * this.cols);
    this.firstValues = null;
  }

  page(rep: number[], def: number[], values: Float64Array): boolean {
    const allPresent = def.length === 0;
    let v = 0;
    let k = 0;
    const count = rep.length;
    while (k < count) {
      const r = rep[k];
      if (r === 0) {
        if (!this.endRow()) return false;
        this.startRow();
      } else if (r === 1) {
        this.a++;
        if (this.rows < 0) {
          if (this.firstCols < 0) this.firstCols = this.b;
          else if (this.b !== this.firstCols) return false;
        } else if (this.a >= this.rows || this.b !== this.cols) return false;
        this.b = 0;
      }
      if (!allPresent && def[k] !== 5) return false;
      if (this.firstValues) {
        this.firstValues.push(values[v++]);
        this.b++;
        k++;
        continue;
      }
      // the rest of this map row (repetition level 2) in one tight loop
      let end = k + 1;
      while (end < count && rep[end] === 2) end++;
      const len = end - k;
      if (this.b + len > this.cols) return false;
      if (!allPresent) for (let q = k + 1; q < end; q++) if (def[q] !== 5) return false;
      if (this.out >= 0) {
        const maps = this.maps!;
        const o = (this.out * this.rows + this.a) * this.cols + this.b;
        for (let q = 0; q < len; q++) maps[o + q] = values[v + q];
      }
      v += len;
      this.b += len;
      k = end;
    }
    return true;
  }

  /** The maps, or null when the last row breaks the grid or the rows do not match the row count. */
  finish(rowCount: number): Float64Array | null {
    if (!this.endRow() || this.row + 1 !== rowCount) return null;
    if (this.firstValues) this.placeFirst();
    return this.maps;
  }
}
