import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { PresetLayer } from '@/shared/preset/model-preset';
import type { SampleDataSource } from '@/shared/api/contract/pipeline';
import { fetchedSampleData, projectFetchFolder } from '../dials/fetch-folder';
import type { DataInputSpec } from './data-inputs';
import { inputError } from './input-error';

/**
 * The sample data of a project, found by one rule for the Preview and for test inference:
 * - `dials`: what was fetched from DIALS into `data/dials/` (its manifest names the files);
 * - `project-files`: in `data/`, per layer raw_<layer>.npy, <layer>.npy, raw_<layer>.npz or a DIALS
 *   parquet export of its monitoring element; run_number.npy + ls_number.npy; the first
 *   omsdata*.json and hltrate*.json;
 * - `auto` (default): the DIALS fetch when there is a complete one with every layer's ME (the
 *   user fetched it to look at it), else the project files.
 */
export async function projectSampleData(
  dir: string,
  layers: ReadonlyArray<Pick<PresetLayer, 'name' | 'monitoringElement'>>,
  source: SampleDataSource = 'auto',
): Promise<DataInputSpec> {
  if (source !== 'project-files') {
    const fetched = await fetchedSampleData(projectFetchFolder(dir), layers);
    if (fetched && fetched.missing.length === 0) {
      const { missing: _none, ...files } = fetched;
      return { ...files, baseDir: dir };
    }
    if (source === 'dials') {
      throw inputError(
        fetched
          ? `The DIALS fetch in ${projectFetchFolder(dir)} has no maps of ${fetched.missing.join(', ')}; fetch those monitoring elements too, or preview the project files.`
          : `No DIALS fetch in ${projectFetchFolder(dir)}: fetch sample maps from DIALS first (Preview → Data from DIALS), or preview the project files.`,
      );
    }
  }
  const dataDir = path.join(dir, 'data');
  let names: string[];
  try {
    names = await fs.readdir(dataDir);
  } catch {
    throw inputError(
      `No sample data: ${dataDir} does not exist. Put data/raw_<layer>.npy (+ run_number.npy, ls_number.npy, omsdata*.json, hltrate*.json) there, or choose the data files.`,
    );
  }
  const files: Record<string, string> = {};
  for (const l of layers) {
    const candidates = [`raw_${l.name}.npy`, `${l.name}.npy`, `raw_${l.name}.npz`];
    const found =
      candidates.find((c) => names.includes(c)) ??
      names.find((n) => n.endsWith('.parquet') && n.includes(l.monitoringElement.replace(/\//g, '-')));
    if (!found)
      throw inputError(
        `No sample data for ${l.name} in ${dataDir} (looked for ${candidates.join(', ')} or a DIALS parquet export of ${l.monitoringElement}).`,
      );
    files[l.name] = path.join(dataDir, found);
  }
  const pick = (re: RegExp) => names.filter((n) => re.test(n)).sort()[0];
  const oms = pick(/^omsdata.*\.json$/);
  const hlt = pick(/^hltrate.*\.json$/);
  return {
    layers: files,
    ...(names.includes('run_number.npy') && names.includes('ls_number.npy')
      ? { runs: path.join(dataDir, 'run_number.npy'), lumis: path.join(dataDir, 'ls_number.npy') }
      : {}),
    ...(oms ? { oms: path.join(dataDir, oms) } : {}),
    ...(hlt ? { hlt: path.join(dataDir, hlt) } : {}),
    baseDir: dir,
  };
}
