import { promises as fs } from 'node:fs';

/**
 * Pages of histograms on their way to parquet: each (ME, run) of a fetch appends its records to
 * a spool file as fixed-size binary records, so pages go to disk as they arrive (memory stays at
 * one page per running request) and an interrupted fetch keeps what it had. A record is 10
 * float64 — run, LS, file_id, entries, x_min, x_max, x_bin, y_min, y_max, y_bin (NaN for a TH1) —
 * then the bins, row-major. float64 holds every DIALS number exactly (bins are doubles on the
 * wire; ids are below 2^53).
 */

export const SPOOL_HEADER = 10;

export interface SpoolRecord {
  run: number;
  ls: number;
  fileId: number;
  entries: number;
  xMin: number;
  xMax: number;
  xBin: number;
  yMin: number;
  yMax: number;
  yBin: number;
  data: Float64Array;
}

export function recordBytes(bins: number): number {
  return (SPOOL_HEADER + bins) * 8;
}

/** Records of one page (all of one shape) as one buffer. */
export function encodeSpoolRecords(
  records: ReadonlyArray<Omit<SpoolRecord, 'data'> & { data: number[] | number[][] }>,
  bins: number,
): Buffer {
  const per = SPOOL_HEADER + bins;
  const out = new Float64Array(records.length * per);
  records.forEach((r, i) => {
    const o = i * per;
    out[o] = r.run;
    out[o + 1] = r.ls;
    out[o + 2] = r.fileId;
    out[o + 3] = r.entries;
    out[o + 4] = r.xMin;
    out[o + 5] = r.xMax;
    out[o + 6] = r.xBin;
    out[o + 7] = r.yMin;
    out[o + 8] = r.yMax;
    out[o + 9] = r.yBin;
    let k = o + SPOOL_HEADER;
    for (const row of r.data as Array<number | number[]>) {
      if (typeof row === 'number') out[k++] = row;
      else for (const v of row) out[k++] = v;
    }
  });
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

function decode(buf: Float64Array, at: number, bins: number): SpoolRecord {
  return {
    run: buf[at],
    ls: buf[at + 1],
    fileId: buf[at + 2],
    entries: buf[at + 3],
    xMin: buf[at + 4],
    xMax: buf[at + 5],
    xBin: buf[at + 6],
    yMin: buf[at + 7],
    yMax: buf[at + 8],
    yBin: buf[at + 9],
    data: buf.slice(at + SPOOL_HEADER, at + SPOOL_HEADER + bins),
  };
}

/** The (run, LS) of every record of a spool, without reading the bins. */
export async function spoolKeys(file: string, bins: number, count: number): Promise<Array<[number, number]>> {
  const h = await fs.open(file, 'r');
  try {
    const size = recordBytes(bins);
    const head = new Float64Array(2);
    const out: Array<[number, number]> = [];
    for (let i = 0; i < count; i++) {
      await h.read(new Uint8Array(head.buffer), 0, 16, i * size);
      out.push([head[0], head[1]]);
    }
    return out;
  } finally {
    await h.close();
  }
}

/** The records of a spool in batches of `batch`, read sequentially. */
export async function* readSpool(file: string, bins: number, count: number, batch: number): AsyncGenerator<SpoolRecord[]> {
  const h = await fs.open(file, 'r');
  try {
    const size = recordBytes(bins);
    for (let start = 0; start < count; start += batch) {
      const n = Math.min(batch, count - start);
      const bytes = new Uint8Array(n * size);
      let got = 0;
      while (got < bytes.length) {
        const { bytesRead } = await h.read(bytes, got, bytes.length - got, start * size + got);
        if (bytesRead === 0) throw new Error(`${file} is shorter than its ${count} records`);
        got += bytesRead;
      }
      const values = new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
      const per = SPOOL_HEADER + bins;
      yield Array.from({ length: n }, (_, i) => decode(values, i * per, bins));
    }
  } finally {
    await h.close();
  }
}
