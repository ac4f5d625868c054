import path from 'node:path';
import type { InferenceData } from '@/shared/api/contract/model-server';
import { inputSignature, metadataInputs, type MetadataInput, type ResourceView } from '../build-local/template-source';
import { loadDataInputs } from '../pipeline/data-inputs';
import { projectSampleData } from '../pipeline/project-data';
import { inputError } from '../pipeline/input-error';
import { alignOms, loadHltRates, loadOmsColumnar, lumiKey } from '../pipeline/oms';
import type { InferenceInputs } from './oip-request';
import { regexTooLongToCheck } from '@/shared/template/regex';

export interface LoadedInferenceInputs extends InferenceInputs {
  runs: Float64Array;
  lumis: Float64Array;
  warnings: string[];
}

/** Regex of an `hltpathrates` metadata's `path_name` filter (LIST_AND_MATCH: Python re.match, anchored at the start). */
function pathFilter(resource: ResourceView, meta: string): RegExp | undefined {
  const m = (resource.properties.InputMetadata as Array<Record<string, unknown>> | undefined)?.find((x) => x.Name === meta);
  const f = (m?.Filter as Array<Record<string, unknown>> | undefined)?.find((x) => x.Name === 'path_name');
  if (!f) return undefined;
  const value = String(f.Value ?? '');
  // Compiling a pathological pattern crashes the process; the template check says the same.
  const tooLong = f.Operation === 'LIST_AND_MATCH' ? regexTooLongToCheck(value) : undefined;
  if (tooLong) throw inputError(`${meta}: the path_name Filter Value ${tooLong}`);
  return f.Operation === 'LIST_AND_MATCH' ? new RegExp(`^(?:${value})`) : new RegExp(`^${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
}

/** HLT path rates per (run, LS) for the paths an `hltpathrates` metadata entry selects (all paths without a filter). */
async function hltColumn(
  file: string,
  re: RegExp | undefined,
  runs: Float64Array,
  lumis: Float64Array,
  warnings: string[],
): Promise<Array<number | null>> {
  const table = await loadHltRates(file, re ?? /(?:)/, warnings);
  let missing = 0;
  const out = Array.from(runs, (r, i) => {
    const v = table.rates.get(lumiKey(r, lumis[i]));
    if (v === undefined) missing++;
    return v?.rate ?? null;
  });
  if (missing) warnings.push(`${file}: no HLT rate for ${missing} lumisection(s); sent as 0`);
  return out;
}

function layersOf(resource: ResourceView) {
  return inputSignature(resource).map((s) => ({
    name: s.name,
    monitoringElement: s.monitoringElement ?? s.name,
    shape: [s.dims[1], s.dims[2]] as [number, number],
  }));
}

/** The project's sample data for a template's inputs, found as the Preview finds it (see projectSampleData). */
export async function templateSampleData(projectDir: string, resource: ResourceView): Promise<InferenceData> {
  const { layers, runs, lumis, oms, hlt } = await projectSampleData(projectDir, layersOf(resource));
  return { files: layers, ...(runs ? { runs } : {}), ...(lumis ? { lumis } : {}), ...(oms ? { oms } : {}), ...(hlt ? { hlt } : {}) };
}

/** Load the maps named by the template's InputSignature and the metadata its InputMetadata asks for. */
export async function loadInferenceInputs(resource: ResourceView, data: InferenceData, baseDir: string): Promise<LoadedInferenceInputs> {
  const signature = inputSignature(resource);
  const bad = signature.filter((s) => s.dims.length !== 3);
  if (bad.length)
    throw inputError(
      `InputSignature ${bad.map((s) => `${s.name} Dims [${s.dims.join(', ')}]`).join(', ')}: test inference sends maps of shape [N, ny, nx], so Dims must be [-1, ny, nx]`,
    );
  const loaded = await loadDataInputs({ layers: layersOf(resource) }, { layers: data.files, runs: data.runs, lumis: data.lumis, baseDir });
  const warnings = [...loaded.warnings];
  const metadata: Record<string, ArrayLike<number | boolean | string | null>> = { ...(data.metadata ?? {}) };
  const needed = metadataInputs(resource).filter((m) => !(m.name in metadata));
  const byEndpoint = (e: string) => needed.filter((m) => m.endpoint === e);
  const lumiAttrs = byEndpoint('lumisections');
  if (lumiAttrs.length) {
    if (!data.oms)
      throw inputError(
        `The template sends OMS lumisection metadata (${lumiAttrs.map((m) => m.name).join(', ')}); give the OMS JSON file (--oms FILE).`,
      );
    const table = await loadOmsColumnar(path.resolve(baseDir, data.oms));
    const cols = alignOms(
      table,
      loaded.runs,
      loaded.lumis,
      lumiAttrs.map((m) => m.attribute),
      warnings,
    );
    for (const m of lumiAttrs) metadata[m.name] = cols.attributes[m.attribute];
  }
  const hltAttrs = byEndpoint('hltpathrates');
  for (const m of hltAttrs) {
    if (!data.hlt) throw inputError(`The template sends HLT path rates (${m.name}); give the HLT rate JSON file (--hlt FILE).`);
    if (m.attribute !== 'rate') throw inputError(`${m.name}: only the "rate" attribute of hltpathrates can be read from the HLT rate JSON`);
    metadata[m.name] = await hltColumn(path.resolve(baseDir, data.hlt), pathFilter(resource, m.meta), loaded.runs, loaded.lumis, warnings);
  }
  const other: MetadataInput[] = needed.filter((m) => m.endpoint !== 'lumisections' && m.endpoint !== 'hltpathrates');
  if (other.length)
    throw inputError(`No loader for ${other.map((m) => `${m.name} (${m.endpoint})`).join(', ')}; pass its values in "metadata".`);
  for (const [name, col] of Object.entries(metadata)) {
    if (col.length !== loaded.n) throw inputError(`metadata ${name} has ${col.length} values for ${loaded.n} lumisections`);
  }
  return { n: loaded.n, maps: loaded.raws, metadata, runs: loaded.runs, lumis: loaded.lumis, warnings };
}
