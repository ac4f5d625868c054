import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ModelPreset } from '../../shared/preset/model-preset';
import type { DataInputSpec } from './data-inputs';
import { inputError } from './input-error';

/** The sample data of a project: data/raw_<layer>.npy with run/LS numbers, OMS and HLT JSON when present. */
export async function defaultProjectData(dir: string, preset: ModelPreset): Promise<DataInputSpec> {
  const dataDir = path.join(dir, 'data');
  let names: string[];
  try {
    names = await fs.readdir(dataDir);
  } catch {
    throw inputError(`no sample data: ${dataDir} does not exist; put data/raw_<layer>.npy (+ run_number.npy, ls_number.npy) there or choose data files`);
  }
  const layers: Record<string, string> = {};
  for (const l of preset.layers) {
    const candidates = [`raw_${l.name}.npy`, `${l.name}.npy`, `raw_${l.name}.npz`];
    const found = candidates.find((c) => names.includes(c)) ?? names.find((n) => n.endsWith('.parquet') && n.includes(l.monitoringElement.replace(/\//g, '-')));
    if (!found) throw inputError(`no sample data for layer ${l.name} in ${dataDir} (looked for ${candidates.join(', ')} or a DIALS parquet export of ${l.monitoringElement})`);
    layers[l.name] = path.join(dataDir, found);
  }
  const pick = (re: RegExp) => names.filter((n) => re.test(n)).sort()[0];
  const oms = pick(/^omsdata.*\.json$/);
  const hlt = pick(/^hltrate.*\.json$/);
  return {
    layers,
    ...(names.includes('run_number.npy') && names.includes('ls_number.npy') ? { runs: path.join(dataDir, 'run_number.npy'), lumis: path.join(dataDir, 'ls_number.npy') } : {}),
    ...(oms ? { oms: path.join(dataDir, oms) } : {}),
    ...(hlt ? { hlt: path.join(dataDir, hlt) } : {}),
    baseDir: dir,
  };
}
