import path from 'node:path';
import type { InferenceData, InferenceResult } from '@/shared/api/contract/model-server';
import { ApiError } from '@/shared/api/errors';
import { inputSignature, metadataInputs, modelName, outputSignature, type ResourceView } from '../build-local/template-source';
import { writeFileAtomic } from '../fs/atomic-write';
import { loadInferenceInputs } from './load-inputs';
import { postInfer } from './oip-client';
import { buildRequests } from './oip-request';
import { compareFlags, splitOutputs } from './per-lumisection';

export interface RunInferenceOptions {
  url: string;
  resource: ResourceView;
  /** Folder relative data paths are resolved against (the project folder / CLI cwd). */
  baseDir: string;
  data: InferenceData;
  model?: string;
  previewFlags?: boolean[];
  maxValuesPerRequest?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /** Folder to save the request summary and outputs in (the run folder). */
  saveDir?: string;
}

/** Send the DIALS-style request(s) for the data and return outputs per LS, compared with the preview. */
export async function runInference(opts: RunInferenceOptions): Promise<InferenceResult & { warnings: string[] }> {
  const t0 = Date.now();
  const inputs = await loadInferenceInputs(opts.resource, opts.data, opts.baseDir);
  const batches = buildRequests(inputSignature(opts.resource), metadataInputs(opts.resource), inputs, opts.maxValuesPerRequest);
  const model = opts.model ?? modelName(opts.resource);
  const lumisections: InferenceResult['lumisections'] = [];
  const outputNames = new Set<string>();
  const warnings = [...inputs.warnings];
  for (const [k, b] of batches.entries()) {
    const res = await postInfer(opts.url, model, b.body, { signal: opts.signal });
    const { perLs, unbatched } = splitOutputs(res.outputs, b.n);
    if (unbatched.length) warnings.push(`outputs ${unbatched.join(', ')} do not have one value per lumisection; not shown per LS`);
    perLs.forEach((outputs, i) => {
      Object.keys(outputs).forEach((o) => outputNames.add(o));
      const idx = b.start + i;
      lumisections.push({ index: idx, run: inputs.runs[idx], ls: inputs.lumis[idx], outputs });
    });
    opts.onProgress?.(k + 1, batches.length);
  }
  const declared = outputSignature(opts.resource).map((o) => o.name);
  const missing = declared.filter((o) => !outputNames.has(o));
  if (missing.length) warnings.push(`the server did not return ${missing.join(', ')} declared in OutputSignature`);
  const flaggingKey = typeof opts.resource.properties.FlaggingKey === 'string' ? opts.resource.properties.FlaggingKey : undefined;
  let comparison: InferenceResult['comparison'];
  if (opts.previewFlags) {
    if (!flaggingKey) {
      comparison = {
        compared: 0,
        agree: 0,
        disagreements: [],
        note: 'The template has no FlaggingKey (BuiltinThreshold: false): nothing to compare.',
      };
    } else if (!outputNames.has(flaggingKey)) {
      throw new ApiError(
        'INFER_BAD_RESPONSE',
        `The server did not return the FlaggingKey output "${flaggingKey}" (it returned ${[...outputNames].join(', ') || 'nothing'}).`,
        undefined,
        'InferenceError',
      );
    } else {
      const c = compareFlags(
        lumisections.map((l) => l.outputs[flaggingKey]),
        opts.previewFlags,
        inputs.runs,
        inputs.lumis,
      );
      comparison = {
        ...c,
        ...(opts.previewFlags.length !== lumisections.length
          ? {
              note: `The preview has ${opts.previewFlags.length} lumisections and the inference ${lumisections.length}; compared the first ${c.compared}.`,
            }
          : {}),
      };
    }
  }
  const result: InferenceResult & { warnings: string[] } = {
    url: opts.url,
    model,
    lumisections,
    outputNames: [...outputNames],
    inputs: batches[0]?.inputs ?? [],
    batches: batches.length,
    elapsedMs: Date.now() - t0,
    ...(flaggingKey ? { flaggingKey } : {}),
    ...(comparison ? { comparison } : {}),
    data: opts.data,
    warnings,
  };
  if (opts.saveDir) {
    const file = path.join(opts.saveDir, `inference-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    await writeFileAtomic(file, `${JSON.stringify(result, null, 1)}\n`);
    result.savedTo = file;
  }
  return result;
}
