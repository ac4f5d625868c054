import { inputSignature, metadataInputs, modelName, outputSignature, type ResourceView, type SignatureEntry } from './template-source';

/** Triton platform/backend per DISM model type. */
export const TRITON_MODEL: Record<string, { key: 'platform' | 'backend'; value: string; file: string }> = {
  ONNX: { key: 'platform', value: 'onnxruntime_onnx', file: 'model.onnx' },
  Torchscript: { key: 'platform', value: 'pytorch_libtorch', file: 'model.pt' },
  TensorflowSavedModel: { key: 'platform', value: 'tensorflow_savedmodel', file: 'model.savedmodel' },
  Python: { key: 'backend', value: 'python', file: 'model.py' },
};

/** Triton's spelling of a DISM DataType (BYTES is TYPE_STRING in Triton). */
function tritonDataType(dt: string): string {
  return dt === 'BYTES' ? 'TYPE_STRING' : `TYPE_${dt}`;
}

function gpuRequested(r: ResourceView): boolean {
  const res = (r.properties.Resources ?? {}) as Record<string, Record<string, unknown> | null | undefined>;
  return ['Requests', 'Limits'].some((k) => {
    const spec = res[k] ?? {};
    const v = spec.gpu ?? spec['nvidia.com/gpu'];
    return v !== null && v !== undefined && String(v).trim() !== '' && String(v).trim() !== '0';
  });
}

function tensorBlock(kind: 'input' | 'output', entries: SignatureEntry[], maxBatchSize: number): string[] {
  if (!entries.length) return [];
  const lines = [`${kind} [`];
  entries.forEach((e, i) => {
    // With max_batch_size > 0 Triton adds the batch dimension itself, so the template's leading -1 goes.
    const dims = maxBatchSize > 0 && e.dims[0] === -1 ? e.dims.slice(1) : e.dims;
    lines.push('  {', `    name: "${e.name}"`, `    data_type: ${tritonDataType(e.dataType)}`);
    // A per-LS scalar ([-1] with batching): Triton needs non-empty dims, so [1] reshaped to a scalar.
    if (dims.length === 0) lines.push('    dims: [ 1 ]', '    reshape: { shape: [ ] }');
    else lines.push(`    dims: [ ${dims.join(', ')} ]`);
    lines.push(`  }${i < entries.length - 1 ? ',' : ''}`);
  });
  lines.push(']');
  return lines;
}

/** config.pbtxt for a Triton resource: inputs are the InputSignature, then one per InputMetadata attribute. */
export function configPbtxt(r: ResourceView): string {
  const m = TRITON_MODEL[r.model];
  if (!m) throw new Error(`No Triton configuration for model type ${r.model}`);
  const maxBatchSize = Number(r.properties.MaxBatchSize ?? 0) || 0;
  const lines = [`name: "${modelName(r)}"`, `${m.key}: "${m.value}"`];
  if (maxBatchSize !== 0) lines.push(`max_batch_size: ${maxBatchSize}`);
  lines.push(...tensorBlock('input', [...inputSignature(r), ...metadataInputs(r)], maxBatchSize));
  lines.push(...tensorBlock('output', outputSignature(r), maxBatchSize));
  lines.push('instance_group [', '  {', `    kind: ${gpuRequested(r) ? 'KIND_GPU' : 'KIND_CPU'}`, '  }', ']');
  return `${lines.join('\n')}\n`;
}
