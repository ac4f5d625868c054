import { promises as fs } from 'node:fs';
import path from 'node:path';
import { DialsFetchManifest, DialsPartialFetch, DialsProductionFlags, type DialsProjectData } from '@/shared/api/contract/dials';
import { DialsError } from './dials-errors';

/**
 * Where a project keeps what it fetched from DIALS, and the one rule for its file names:
 *   data/dials/dials-fetch.json          the fetch manifest (instance, workspace, dataset, runs, MEs, counts, time)
 *   data/dials/<dataset>-<ME>.parquet    one DIALS-format parquet per ME ('/' → '-', as DIALS exports are named)
 *   data/dials/omsdata_dials.json        columnar OMS lumisection attributes
 *   data/dials/hltrate_dials.json        per-run HLT rates
 *   data/dials/dials-production.json     DIALS's production flags of one model for the fetched runs
 *   data/.dials.partial/                 an interrupted fetch (progress and spooled pages), removed when it completes
 * A new fetch is assembled next to the folder and swapped in whole, so the folder always holds one
 * complete fetch.
 */
export const DIALS_FETCH_DIR = path.join('data', 'dials');
export const MANIFEST_FILE = 'dials-fetch.json';
export const PRODUCTION_FILE = 'dials-production.json';
export const OMS_FILE = 'omsdata_dials.json';
export const HLT_FILE = 'hltrate_dials.json';

export function projectFetchFolder(projectDir: string): string {
  return path.join(projectDir, DIALS_FETCH_DIR);
}

/** The interrupted-fetch folder of a fetch folder (a hidden sibling, so the swap never touches it). */
export function partialFolderOf(folder: string): string {
  return path.join(path.dirname(folder), `.${path.basename(folder)}.partial`);
}

/** `/ZeroBias/Run2025F-PromptReco-v1/DQMIO` + `PixelPhase1/…/PXLayer_2` → `ZeroBias-Run2025F-PromptReco-v1-DQMIO-PixelPhase1-…-PXLayer_2.parquet`. */
export function parquetFileName(dataset: string, me: string): string {
  return `${`${dataset}-${me}`
    .replace(/\/+/g, '-')
    .replace(/^-+/, '')
    .replace(/[^A-Za-z0-9._+-]/g, '_')}.parquet`;
}

async function readJson(file: string): Promise<unknown> {
  const text = await fs.readFile(file, 'utf8');
  return JSON.parse(text) as unknown;
}

export async function readManifest(folder: string): Promise<DialsFetchManifest | null> {
  const file = path.join(folder, MANIFEST_FILE);
  let doc: unknown;
  try {
    doc = await readJson(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new DialsError('DIALS_NO_FETCH', `${file} cannot be read (${(err as Error).message}); fetch the data again.`);
  }
  const m = DialsFetchManifest.safeParse(doc);
  if (!m.success) throw new DialsError('DIALS_NO_FETCH', `${file} is not a DIALS fetch manifest DISM Studio wrote; fetch the data again.`);
  return m.data;
}

/** What a project holds from DIALS (for the Preview and the DIALS panel); damaged files are reported, never changed. */
export async function projectDialsData(projectDir: string): Promise<DialsProjectData> {
  const folder = projectFetchFolder(projectDir);
  const problems: string[] = [];
  let manifest: DialsFetchManifest | null = null;
  try {
    manifest = await readManifest(folder);
  } catch (err) {
    problems.push((err as Error).message);
  }
  let production: DialsProductionFlags | null = null;
  try {
    const p = DialsProductionFlags.safeParse(await readJson(path.join(folder, PRODUCTION_FILE)));
    if (p.success) production = p.data;
    else problems.push(`${path.join(folder, PRODUCTION_FILE)} is not a production-flags file DISM Studio wrote; get the flags again.`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') problems.push(`${PRODUCTION_FILE}: ${(err as Error).message}`);
  }
  let partial: DialsPartialFetch | null = null;
  try {
    const doc = (await readJson(path.join(partialFolderOf(folder), 'progress.json'))) as { summary?: unknown };
    const p = DialsPartialFetch.safeParse(doc.summary);
    if (p.success) partial = p.data;
  } catch {
    /* none */
  }
  return { folder, manifest, partial, production, problems };
}

/**
 * The Preview's data from the fetch folder: per preset layer the parquet of its ME, and the OMS
 * and HLT files; null when the folder has no complete fetch or lacks a layer's ME (`missing` names it).
 */
export async function fetchedSampleData(
  folder: string,
  layers: ReadonlyArray<{ name: string; monitoringElement: string }>,
): Promise<{ layers: Record<string, string>; oms?: string; hlt?: string; missing: string[] } | null> {
  const manifest = await readManifest(folder).catch(() => null);
  if (!manifest) return null;
  const files: Record<string, string> = {};
  const missing: string[] = [];
  for (const l of layers) {
    const m = manifest.mes.find((x) => x.me === l.monitoringElement);
    if (m) files[l.name] = path.join(folder, m.file);
    else missing.push(`${l.name} (${l.monitoringElement})`);
  }
  return {
    layers: files,
    ...(manifest.oms ? { oms: path.join(folder, manifest.oms) } : {}),
    ...(manifest.hlt ? { hlt: path.join(folder, manifest.hlt.file) } : {}),
    missing,
  };
}
