import type { PathSegment } from '@/shared/template/problems';
import { inputSignature, metadataInputs, modelName, outputSignature, type ResourceView } from './template-source';

/**
 * Triton platform/backend per DISM model type, as dism_core's Tritonserver properties set them
 * (PlatformType / BackendType): ONNX, TorchScript and SavedModel have both, Python only a backend.
 */
export const TRITON_MODEL: Record<string, { platform?: string; backend: string; file: string }> = {
  ONNX: { platform: 'onnxruntime_onnx', backend: 'onnxruntime', file: 'model.onnx' },
  Torchscript: { platform: 'pytorch_libtorch', backend: 'pytorch', file: 'model.pt' },
  TensorflowSavedModel: { platform: 'tensorflow_savedmodel', backend: 'tensorflow', file: 'model.savedmodel' },
  Python: { backend: 'python', file: 'model.py' },
};

/** Triton's spelling of a DISM DataType (BYTES is TYPE_STRING in Triton). */
export function tritonDataType(dt: string): string {
  return dt === 'BYTES' ? 'TYPE_STRING' : `TYPE_${dt}`;
}

/** dismcli's GPU rule: KIND_GPU only when Resources.Requests.gpu is set and not "0" (Limits are not looked at). */
function gpuRequested(r: ResourceView): boolean {
  const requests = ((r.properties.Resources ?? {}) as Record<string, Record<string, unknown> | null | undefined>).Requests ?? {};
  // dism_core reads the Kubernetes spelling nvidia.com/gpu as gpu
  const v = requests.gpu ?? requests['nvidia.com/gpu'];
  return v !== null && v !== undefined && String(v).trim() !== '' && String(v).trim() !== '0';
}

/** config.pbtxt with, for each of its lines, the template field it was written from. */
export interface ConfigPbtxt {
  text: string;
  /** `sources[i]` is the template path (below the resource's Properties) of line i + 1, when one field wrote it. */
  sources: Array<PathSegment[] | undefined>;
}

/**
 * config.pbtxt for a Triton resource, byte for byte as `dismcli build` writes it
 * (dismcli/lib/builder/builder.py, ApplicationBuilder.generate_configpbtxt): inputs are the
 * InputSignature, then one input per InputMetadata attribute named `<Meta>__<Attr>`; **Dims are
 * written as they are**, `max_batch_size` only when MaxBatchSize is not 0, KIND_GPU when
 * Resources.Requests.gpu is set and not "0".
 *
 * Why not adapt Dims to Triton's batching (drop the leading -1, reshape per-LS scalars to [1]):
 * DIALS serves the config.pbtxt that `dismcli build` wrote, not this one. A local build that
 * differs would let a model pass here and fail on DIALS. So with MaxBatchSize > 0 Triton puts
 * its own batch dimension in front of Dims ([-1, 58, 72] becomes [-1, -1, 58, 72]); the template
 * check (backend/template/fs-checks.ts) and the start-up/inference messages say what that means.
 */
export function configPbtxtWithSources(r: ResourceView): ConfigPbtxt {
  const m = TRITON_MODEL[r.model];
  if (!m) throw new Error(`No Triton configuration for model type ${r.model}`);
  const lines: string[] = [];
  const sources: ConfigPbtxt['sources'] = [];
  const add = (text: string, source?: PathSegment[]) => {
    // a line may hold several (the closing of one block and the opening of the next); map each
    for (const l of text.split('\n')) {
      lines.push(l);
      sources.push(source);
    }
  };
  add(`name: "${modelName(r)}"`, ['Name']);
  if (m.platform) add(`platform: "${m.platform}"`);
  add(`backend: "${m.backend}"`);
  const maxBatchSize = Number(r.properties.MaxBatchSize ?? 0) || 0;
  // Python's `if props.MaxBatchSize:`: 0 (and a missing value) writes nothing
  if (maxBatchSize) add(`max_batch_size: ${maxBatchSize}`, ['MaxBatchSize']);

  const metaPaths = metadataPaths(r);
  const inputs = [
    ...inputSignature(r).map((e, i) => ({ e, at: ['InputSignature', i] as PathSegment[] })),
    ...metadataInputs(r).map((e, i) => ({ e, at: metaPaths[i] })),
  ];
  const block = (kind: 'input' | 'output', entries: typeof inputs, listField: string) => {
    add(`${kind} [`, [listField]);
    entries.forEach(({ e, at }, i) => {
      add('  {', at);
      add(`    name: "${e.name}"`, [...at, 'Name']);
      add(`    data_type: ${tritonDataType(e.dataType)}`, [...at, 'DataType']);
      add(`    dims: [${e.dims.join(', ')}]`, [...at, 'Dims']);
      add(`  }${i + 1 < entries.length ? ',' : ''}`, at);
    });
    add(']', [listField]);
  };
  block('input', inputs, 'InputSignature');
  block(
    'output',
    outputSignature(r).map((e, i) => ({ e, at: ['OutputSignature', i] })),
    'OutputSignature',
  );
  const gpu: PathSegment[] = ['Resources', 'Requests', 'gpu'];
  add('instance_group [', gpu);
  add('   { ', gpu);
  add(`     kind: ${gpuRequested(r) ? 'KIND_GPU' : 'KIND_CPU'}`, gpu);
  add('   }', gpu);
  add(' ]', gpu);
  return { text: `${lines.join('\n')}\n`, sources };
}

/** config.pbtxt text for a Triton resource (see configPbtxtWithSources). */
export function configPbtxt(r: ResourceView): string {
  return configPbtxtWithSources(r).text;
}

/** Template path of each `<Meta>__<Attr>` input, in metadataInputs order. */
function metadataPaths(r: ResourceView): PathSegment[][] {
  const out: PathSegment[][] = [];
  const metas = Array.isArray(r.properties.InputMetadata) ? (r.properties.InputMetadata as unknown[]) : [];
  metas.forEach((m, j) => {
    if (!m || typeof m !== 'object') return;
    const attrs = (m as Record<string, unknown>).Attributes;
    if (!Array.isArray(attrs)) return;
    attrs.forEach((a, k) => {
      if (a && typeof a === 'object') out.push(['InputMetadata', j, 'Attributes', k]);
    });
  });
  return out;
}
