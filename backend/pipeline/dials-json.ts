import { inputError, readJsonInput } from './input-error';
import { rowsToMaps, type DialsRow, type MeMaps } from './dials-parquet';

/**
 * DIALS API JSON: one page `{results: [...]}`, an array of pages, or a bare array of rows; each row
 * has run_number, ls_number, me, x_bin, y_bin and data (y_bin × x_bin).
 */
export async function loadDialsJson(file: string, me: string | null = null): Promise<MeMaps> {
  const doc = await readJsonInput(file);
  const pages = Array.isArray(doc) && doc.every((p) => p && typeof p === 'object' && 'results' in p) ? doc : [doc];
  const rows: DialsRow[] = [];
  for (const page of pages) {
    const results = Array.isArray(page) ? page : (page as { results?: unknown })?.results;
    if (!Array.isArray(results)) throw inputError(`${file}: expected a DIALS API page {"results": [...]} (or a list of them)`);
    for (const r of results) {
      if (!r || typeof r !== 'object' || !('data' in r) || !('run_number' in r) || !('ls_number' in r)) {
        throw inputError(`${file}: a result lacks run_number, ls_number or data`);
      }
      rows.push(r as DialsRow);
    }
  }
  return rowsToMaps(rows, file, me);
}
