import path from 'node:path';
import type { InferenceData, InferenceResult } from '@/shared/api/contract/model-server';
import { ApiError } from '@/shared/api/errors';
import {
  inputSignature,
  metadataInputs,
  modelName,
  outputSignature,
  type ResourceView,
  type TemplateView,
} from '../build-local/template-source';
import { explainInferError } from '../model-server/triton-messages';
import { formatPath } from '@/shared/template/problems';
import { writeFileAtomic } from '../fs/atomic-write';
import { loadInferenceInputs } from './load-inputs';
import { postInfer } from './oip-client';
import { buildRequests } from './oip-request';
import { compareFlags, splitOutputs, truthy } from './per-lumisection';

export interface RunInferenceOptions {
  url: string;
  resource: ResourceView;
  /** The template the resource is from: a refused request is traced to the field (and its line) that caused it. */
  template?: Pick<TemplateView, 'locate'>;
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
  // Triton refuses a request larger than max_batch_size (MLServer has no such limit)
  const maxBatchSize = opts.resource.framework === 'Tritonserver' ? Number(opts.resource.properties.MaxBatchSize ?? 0) || 0 : 0;
  const batches = buildRequests(
    inputSignature(opts.resource),
    metadataInputs(opts.resource),
    inputs,
    opts.maxValuesPerRequest,
    maxBatchSize,
  );
  const model = opts.model ?? modelName(opts.resource);
  const lumisections: InferenceResult['lumisections'] = [];
  const outputNames = new Set<string>();
  const warnings = [...inputs.warnings];
  for (const [k, b] of batches.entries()) {
    const res = await postInfer(opts.url, model, b.body, { signal: opts.signal }).catch((err: unknown) => {
      throw explainRefusal(err, opts, b, k, batches.length);
    });
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
  const decision = dialsDecision(opts.resource, lumisections, outputNames);
  let comparison: InferenceResult['comparison'];
  if (opts.previewFlags) {
    if (!flaggingKey) {
      comparison = {
        compared: 0,
        agree: 0,
        disagreements: [],
        note: 'Not compared with the preview: the template has no FlaggingKey (BuiltinThreshold: false, so DIALS flags by the MetricKey output above AnomalyThreshold, shown above).',
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
    ...(decision ? { decision } : {}),
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

/**
 * A Triton 400 (a shape, data type or batch size the model refuses, a Python model's error) told in
 * the template's terms, with the field that caused it and the server's words; other errors as they are.
 */
function explainRefusal(
  err: unknown,
  opts: RunInferenceOptions,
  batch: { start: number; n: number; inputs: Array<{ name: string; datatype: string; shape: number[] }> },
  k: number,
  total: number,
): unknown {
  if (!(err instanceof ApiError) || err.code !== 'INFER_FAILED' || opts.resource.framework !== 'Tritonserver') return err;
  const details = (err.details ?? {}) as Record<string, unknown>;
  const server = typeof details.serverMessage === 'string' ? details.serverMessage : undefined;
  if (!server) return err;
  const template = opts.template ?? { locate: (segments) => ({ path: formatPath(segments), line: 0 }) };
  const p = explainInferError({ template, resource: opts.resource }, server, batch.inputs);
  if (!p) return err;
  const problem = p.line === 0 ? { ...p, line: undefined } : p;
  const where = problem.path ? `${problem.path}${problem.line ? ` (template.yaml line ${problem.line})` : ''}: ` : '';
  return new ApiError(
    'INFER_REFUSED',
    `${where}${problem.explanation}\nThe server said (request ${k + 1} of ${total}, lumisections ${batch.start + 1}–${batch.start + batch.n}): ${server}`,
    { ...details, problems: [problem] },
    'InferenceError',
  );
}

/**
 * What DIALS decides from the outputs, per the template: BuiltinThreshold true → the FlaggingKey
 * output is the flag; false → the MetricKey output above AnomalyThreshold (a NaN is not above).
 * Sets `flagged` on each LS; undefined when the server did not return the output the rule reads.
 */
function dialsDecision(
  r: ResourceView,
  lumisections: InferenceResult['lumisections'],
  outputNames: Set<string>,
): InferenceResult['decision'] | undefined {
  const p = r.properties;
  const builtin = p.BuiltinThreshold === true;
  const output = builtin ? p.FlaggingKey : p.MetricKey;
  const threshold = typeof p.AnomalyThreshold === 'number' ? p.AnomalyThreshold : Number(p.AnomalyThreshold);
  if (typeof output !== 'string' || !outputNames.has(output) || (!builtin && !Number.isFinite(threshold))) return undefined;
  let flagged = 0;
  for (const l of lumisections) {
    const v = l.outputs[output];
    // a non-finite output travels as text (finiteOrText): Infinity is above any threshold, NaN above none
    const num = typeof v === 'number' ? v : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : NaN;
    l.flagged = builtin ? truthy(v) : num > threshold;
    if (l.flagged) flagged++;
  }
  return builtin ? { rule: 'FlaggingKey', output, flagged } : { rule: 'AnomalyThreshold', output, threshold, flagged };
}
