import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ARTIFACTS_DIR } from '../projects/project-folder';

/** Map shape of one monitoring element as found in a DIALS parquet export in the project. */
export interface SampleShape {
  file: string;
  /** y_bin × x_bin: the order the template's Dims use after the batch dimension. */
  rows: number;
  cols: number;
}

const MAX_DEPTH = 3;
const MAX_FILES = 50;
const SKIP_DIRS = new Set(['node_modules', '.git', ARTIFACTS_DIR, '__pycache__']);

const cache = new Map<string, { mtimeMs: number; me: string | null; rows: number; cols: number }>();
const LISTING_TTL_MS = 5000;
const listings = new Map<string, { at: number; files: string[] }>();

async function parquetFiles(dir: string, depth: number, out: string[]): Promise<void> {
  if (depth > MAX_DEPTH || out.length >= MAX_FILES) return;
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    if (out.length >= MAX_FILES) return;
    if (e.name.startsWith('.') || SKIP_DIRS.has(e.name)) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) await parquetFiles(p, depth + 1, out);
    else if (e.isFile() && e.name.endsWith('.parquet')) out.push(p);
  }
}

/** First row's me / x_bin / y_bin; null when the file is not a DIALS export. */
async function shapeOf(file: string): Promise<{ me: string | null; rows: number; cols: number } | null> {
  const st = await fs.stat(file);
  const hit = cache.get(file);
  if (hit && hit.mtimeMs === st.mtimeMs) return hit;
  try {
    // loaded only when the project holds parquet files: `dism-studio validate` starts without the parquet reader
    const { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } = await import('hyparquet');
    const { compressors } = await import('hyparquet-compressors');
    const buffer = await asyncBufferFromFile(file);
    const md = await parquetMetadataAsync(buffer);
    const columns = md.schema.map((s) => s.name);
    if (!['me', 'x_bin', 'y_bin'].every((c) => columns.includes(c))) return null;
    const [row] = (await parquetReadObjects({
      file: buffer,
      compressors,
      columns: ['me', 'x_bin', 'y_bin'],
      rowStart: 0,
      rowEnd: 1,
    })) as Array<Record<string, unknown>>;
    if (!row) return null;
    const found = { mtimeMs: st.mtimeMs, me: row.me == null ? null : String(row.me), rows: Number(row.y_bin), cols: Number(row.x_bin) };
    cache.set(file, found);
    return found;
  } catch {
    return null;
  }
}

/**
 * Shapes of the monitoring elements for which the project holds DIALS parquet exports (sample
 * data), keyed by ME path. Only the first row of each file is read.
 */
export async function findSampleShapes(projectDir: string): Promise<Map<string, SampleShape>> {
  // The editor re-validates while the user types: rescan the folder at most every few seconds.
  const listed = listings.get(projectDir);
  let files = listed && Date.now() - listed.at < LISTING_TTL_MS ? listed.files : undefined;
  if (!files) {
    files = [];
    await parquetFiles(projectDir, 0, files);
    listings.set(projectDir, { at: Date.now(), files });
  }
  const shapes = new Map<string, SampleShape>();
  for (const file of [...files].sort()) {
    const s = await shapeOf(file).catch(() => null);
    if (s?.me && Number.isInteger(s.rows) && Number.isInteger(s.cols) && !shapes.has(s.me))
      shapes.set(s.me, { file, rows: s.rows, cols: s.cols });
  }
  return shapes;
}
