import type { FileHandle } from 'node:fs/promises';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';

/**
 * DIALS-format parquet, one file per monitoring element, as DIALS's exports are and as the
 * Preview reads them (backend/pipeline/dials-parquet.ts): columns dataset, me, dataset_id,
 * file_id, run_number, ls_number, me_id, x_min, x_max, x_bin, (y_min, y_max, y_bin,) entries, data
 * — integers INT64, axes and entries DOUBLE, `data` list<list<double>> (y_bin rows × x_bin) for a
 * TH2 and list<double> for a TH1, the schema of the DuckDB exports in test/fixtures/pixelnmf-reference.
 * Written row group by row group to a file handle, so a file of any size needs the memory of one group.
 */

export interface HistogramRow {
  dataset: string;
  me: string;
  datasetId: number;
  fileId: number;
  run: number;
  ls: number;
  meId: number;
  xMin: number;
  xMax: number;
  xBin: number;
  yMin: number;
  yMax: number;
  yBin: number;
  entries: number;
  /** yBin × xBin values, row-major (TH1: xBin values). */
  data: Float64Array;
}

const int64 = (name: string) => ({ name, type: 'INT64', converted_type: 'INT_64', repetition_type: 'OPTIONAL' }) as const;
const double = (name: string) => ({ name, type: 'DOUBLE', repetition_type: 'OPTIONAL' }) as const;
const utf8 = (name: string) => ({ name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' }) as const;

function schemaFor(dim: 1 | 2) {
  const axes =
    dim === 2
      ? [double('x_min'), double('x_max'), int64('x_bin'), double('y_min'), double('y_max'), int64('y_bin')]
      : [double('x_min'), double('x_max'), int64('x_bin')];
  const data =
    dim === 2
      ? [
          { name: 'data', repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
          { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
          // every row of a map and every bin is there: REQUIRED saves a definition level per bin
          { name: 'element', repetition_type: 'REQUIRED', converted_type: 'LIST', num_children: 1 },
          { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
          { name: 'element', type: 'DOUBLE', repetition_type: 'REQUIRED' },
        ]
      : [
          { name: 'data', repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
          { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
          double('element'),
        ];
  const columns = [
    utf8('dataset'),
    utf8('me'),
    int64('dataset_id'),
    int64('file_id'),
    int64('run_number'),
    int64('ls_number'),
    int64('me_id'),
    ...axes,
    double('entries'),
  ];
  return [{ name: 'schema', num_children: columns.length + 1 }, ...columns, ...data];
}

/** A ByteWriter that hands its bytes to a file after every row group instead of growing. */
class FileHandleWriter extends ByteWriter {
  constructor(private readonly handle: FileHandle) {
    super(1 << 20);
  }
  private async drain(): Promise<void> {
    let at = 0;
    while (at < this.index) {
      const { bytesWritten } = await this.handle.write(new Uint8Array(this.buffer, at, this.index - at));
      at += bytesWritten;
    }
    this.index = 0;
  }
  flush(): Promise<void> {
    return this.drain();
  }
  override finish(): Promise<void> {
    return this.drain() as unknown as Promise<void> & void;
  }
}

export class DialsParquetWriter {
  private readonly pq: ParquetWriter;
  private rows = 0;

  constructor(
    handle: FileHandle,
    private readonly dim: 1 | 2,
    createdBy: string,
  ) {
    // Column statistics (min/max of every bin) would take most of the writing time and serve no reader here.
    this.pq = new ParquetWriter({
      writer: new FileHandleWriter(handle),
      schema: schemaFor(dim) as never,
      codec: 'SNAPPY',
      statistics: false,
      createdBy,
    });
  }

  get rowCount(): number {
    return this.rows;
  }

  /** One row group. */
  async write(rows: readonly HistogramRow[]): Promise<void> {
    if (!rows.length) return;
    const col = <T>(f: (r: HistogramRow) => T) => rows.map(f);
    const big = (f: (r: HistogramRow) => number) => rows.map((r) => BigInt(f(r)));
    const data = rows.map((r) => {
      if (this.dim === 1) return Array.from(r.data);
      const out: number[][] = new Array(r.yBin);
      for (let y = 0; y < r.yBin; y++) out[y] = Array.from(r.data.subarray(y * r.xBin, (y + 1) * r.xBin));
      return out;
    });
    const axes =
      this.dim === 2
        ? [
            { name: 'x_min', data: col((r) => r.xMin) },
            { name: 'x_max', data: col((r) => r.xMax) },
            { name: 'x_bin', data: big((r) => r.xBin) },
            { name: 'y_min', data: col((r) => r.yMin) },
            { name: 'y_max', data: col((r) => r.yMax) },
            { name: 'y_bin', data: big((r) => r.yBin) },
          ]
        : [
            { name: 'x_min', data: col((r) => r.xMin) },
            { name: 'x_max', data: col((r) => r.xMax) },
            { name: 'x_bin', data: big((r) => r.xBin) },
          ];
    await this.pq.write({
      columnData: [
        { name: 'dataset', data: col((r) => r.dataset) },
        { name: 'me', data: col((r) => r.me) },
        { name: 'dataset_id', data: big((r) => r.datasetId) },
        { name: 'file_id', data: big((r) => r.fileId) },
        { name: 'run_number', data: big((r) => r.run) },
        { name: 'ls_number', data: big((r) => r.ls) },
        { name: 'me_id', data: big((r) => r.meId) },
        ...axes,
        { name: 'entries', data: col((r) => r.entries) },
        { name: 'data', data },
      ],
      rowGroupSize: rows.length,
    });
    this.rows += rows.length;
  }

  async finish(): Promise<void> {
    await this.pq.finish();
  }
}
