import type { ModelProblem } from '@/shared/api/contract/model-server';
import type { PathSegment } from '@/shared/template/problems';
import { configPbtxtWithSources, tritonDataType } from '../build-local/config-pbtxt';
import {
  inputSignature,
  metadataInputs,
  modelName,
  outputSignature,
  type ResourceView,
  type TemplateView,
} from '../build-local/template-source';

/**
 * What Triton's own messages mean for the template they came from. Triton reports problems in
 * the terms of config.pbtxt and of its tensors ("tensor 'x'", "config.pbtxt line 7"); DISM Studio
 * wrote config.pbtxt from the template (backend/build-local/config-pbtxt.ts), so each message can
 * be traced back to the field that produced it and explained in the template's terms. The server's
 * words are always kept next to the explanation.
 *
 * The message texts matched here are Triton 23.05's (server core, onnxruntime and python
 * backends), as test/stand-ins/triton imitates them.
 */

/** A Triton log record: `E0523 14:03:07.123456 1 model_lifecycle.cc:626] message`. */
const RECORD = /^([IWE])\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ [^\]\s]+\] (.*)$/;
const RECORD_PREFIX = /^[IWE]\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ [^\]\s]+\] /;
const PROTOBUF = /Error parsing text-format inference\.ModelConfig: (\d+):(\d+): (.*)$/m;

interface Entry {
  kind: 'input' | 'output';
  name: string;
  dataType: string;
  dims: number[];
  /** below the resource's Properties */
  at: PathSegment[];
  metadata: boolean;
}

/** Every tensor config.pbtxt declares, with the template entry it comes from. */
function entries(r: ResourceView): Entry[] {
  const metas = metadataInputs(r);
  const paths: PathSegment[][] = [];
  const list = Array.isArray(r.properties.InputMetadata) ? (r.properties.InputMetadata as unknown[]) : [];
  list.forEach((m, j) => {
    const attrs = m && typeof m === 'object' ? (m as Record<string, unknown>).Attributes : undefined;
    if (Array.isArray(attrs)) attrs.forEach((a, k) => a && typeof a === 'object' && paths.push(['InputMetadata', j, 'Attributes', k]));
  });
  return [
    ...inputSignature(r).map((e, i) => ({ kind: 'input' as const, ...e, at: ['InputSignature', i], metadata: false })),
    ...metas.map((e, i) => ({ kind: 'input' as const, ...e, at: paths[i], metadata: true })),
    ...outputSignature(r).map((e, i) => ({ kind: 'output' as const, ...e, at: ['OutputSignature', i], metadata: false })),
  ];
}

function label(e: Entry): string {
  return e.metadata
    ? `the InputMetadata attribute sent as input "${e.name}"`
    : `${e.kind === 'input' ? 'InputSignature' : 'OutputSignature'} "${e.name}"`;
}

export interface ExplainContext {
  template: Pick<TemplateView, 'locate'>;
  resource: ResourceView;
}

/** A problem pointed at a template field below the resource's Properties (or at the resource itself). */
function problem(ctx: ExplainContext, at: PathSegment[] | undefined, server: string, explanation: string): ModelProblem {
  const base: PathSegment[] = ['Resources', ctx.resource.key, 'Properties'];
  // the nearest field that exists in the file (e.g. Resources.Requests.gpu may not be written)
  for (let n = at ? at.length : 0; n >= 0; n--) {
    const field = ctx.template.locate([...base, ...(at ?? []).slice(0, n)]);
    if (field) return { path: field.path, line: field.line, server, explanation };
  }
  return { server, explanation };
}

function dimsText(d: number[]): string {
  return `[${d.join(', ')}]`;
}

function maxBatchSizeOf(r: ResourceView): number {
  return Number(r.properties.MaxBatchSize ?? 0) || 0;
}

const BATCH_ADVICE =
  'DISM writes Dims into config.pbtxt as they are, and with MaxBatchSize > 0 Triton puts its own batch dimension in front of them, so Dims that already start with the batch dimension -1 get a second one. Set MaxBatchSize: 0 (DIALS sends all lumisections of a request as one batch, the first dimension of Dims), or make the model take that extra dimension.';

/** A Python traceback in pybind11's form: `ValueError: message\n\nAt:\n  /models/m/1/model.py(6): initialize`. */
function pythonError(reason: string): { type: string; message: string; line?: number; fn?: string } | undefined {
  const m = /(?:^|: )([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Warning)): ([\s\S]*?)(?:\n\s*\nAt:\n([\s\S]*))?$/.exec(reason);
  if (!m) return undefined;
  const frames = [...(m[3] ?? '').matchAll(/model\.py\((\d+)\): (\S+)/g)];
  const last = frames.at(0);
  return { type: m[1], message: m[2].trim(), ...(last ? { line: Number(last[1]), fn: last[2] } : {}) };
}

/** What a load failure of the model means for the template. */
export function explainLoadFailure(ctx: ExplainContext, reason: string): ModelProblem {
  const r = ctx.resource;
  const all = entries(r);
  const byName = (kind: Entry['kind'], name: string) => all.find((e) => e.kind === kind && e.name === name);
  const mbs = maxBatchSizeOf(r);
  let m: RegExpExecArray | null;

  if ((m = PROTOBUF.exec(reason))) {
    const line = Number(m[1]);
    const source = configPbtxtWithSources(r).sources[line - 1];
    const written = configPbtxtWithSources(r).text.split('\n')[line - 1] ?? '';
    return problem(
      ctx,
      source,
      reason,
      `Triton cannot read config.pbtxt: line ${line} (${written.trim()}) ${m[3].replace(/\.$/, '')}. That line is written from this field as it is, without escaping (as dismcli does): a name with a double quote or a backslash breaks the file. Change the field and build again.`,
    );
  }
  if ((m = /model (input|output) must specify 'dims'/.exec(reason))) {
    const e = all.find((x) => x.kind === m![1] && x.dims.length === 0);
    return problem(
      ctx,
      e ? [...e.at, 'Dims'] : undefined,
      reason,
      `Dims is empty${e ? ` for ${label(e)}` : ''}: Triton needs at least one dimension. Give the batch dimension -1, then the shape, e.g. [-1, 58, 72].`,
    );
  }
  if ((m = /model (input|output) (?:reshape )?dimensions? must be integer >= 1/.exec(reason))) {
    const e = all.find((x) => x.kind === m![1] && x.dims.some((d) => d < 1 && d !== -1));
    return problem(
      ctx,
      e ? [...e.at, 'Dims'] : undefined,
      reason,
      `${e ? `Dims ${dimsText(e.dims)} of ${label(e)}` : 'A Dims entry'} has a size below 1: every size must be a positive number, or -1 for a size that varies.`,
    );
  }
  if ((m = /configuration expects (\d+) inputs, model provides (\d+)/.exec(reason))) {
    const metas = all.filter((e) => e.metadata).map((e) => e.name);
    return problem(
      ctx,
      metas.length ? ['InputMetadata'] : ['InputSignature'],
      reason,
      `config.pbtxt declares ${m[1]} inputs but the model takes ${m[2]}. DISM makes every InputSignature entry and every InputMetadata attribute a model input${metas.length ? ` (here also ${metas.join(', ')})` : ''}, and Triton loads the model only when it takes exactly these inputs. Add the inputs to the model or remove the entries the model does not take.`,
    );
  }
  if ((m = /unexpected inference (input|output) '([^']*)', allowed (?:input|output)s are: (.*)$/m.exec(reason))) {
    const e = byName(m[1] as Entry['kind'], m[2]);
    return problem(
      ctx,
      e ? [...e.at, 'Name'] : undefined,
      reason,
      `The model has no ${m[1]} named "${m[2]}" (it has: ${m[3]}). Triton matches ${m[1]}s by name: ${e?.metadata ? 'an InputMetadata attribute is sent as "<Meta>__<Attr>", so the model must take an input of that name' : `rename the ${m[1] === 'input' ? 'InputSignature' : 'OutputSignature'} entry to the model's name`}.`,
    );
  }
  if ((m = /configuration expects datatype (TYPE_\w+) for (input|output) '([^']*)', model provides (TYPE_\w+)/.exec(reason))) {
    const e = byName(m[2] as Entry['kind'], m[3]);
    return problem(
      ctx,
      e ? [...e.at, 'DataType'] : undefined,
      reason,
      `DataType ${m[1].replace(/^TYPE_/, '').replace('STRING', 'BYTES')} does not match the model, whose ${m[2]} "${m[3]}" is ${m[4].replace(/^TYPE_/, '').replace('STRING', 'BYTES')}. Set DataType to ${m[4].replace(/^TYPE_/, '').replace('STRING', 'BYTES')}${m[2] === 'input' ? ' (DIALS then sends that type)' : ''}, or change the model.`,
    );
  }
  if (
    (m =
      /tensor '([^']*)': for the model to support batching the shape should have at least 1 dimension and the first dimension must be -1; but shape expected by the model is (\[[^\]]*\])/.exec(
        reason,
      ))
  ) {
    return problem(
      ctx,
      ['MaxBatchSize'],
      reason,
      `MaxBatchSize ${mbs} tells Triton to batch, which needs every model tensor to start with a variable batch dimension; the model's "${m[1]}" has shape ${m[2]}. Set MaxBatchSize: 0.`,
    );
  }
  if (
    (m =
      /tensor '([^']*)': the model expects (\d+) dimensions \(shape (\[[^\]]*\])\) but the model configuration specifies (\d+) dimensions/.exec(
        reason,
      ))
  ) {
    const e = all.find((x) => x.name === m![1]);
    const batched = /because max_batch_size > 0/.test(reason);
    return problem(
      ctx,
      batched && e && e.dims[0] === -1 ? ['MaxBatchSize'] : e ? [...e.at, 'Dims'] : undefined,
      reason,
      batched
        ? `Dims ${e ? dimsText(e.dims) : ''} of ${e ? label(e) : `"${m[1]}"`} with MaxBatchSize ${mbs} make Triton expect ${[-1, ...(e?.dims ?? [])].length} dimensions ([-1, ${(e?.dims ?? []).join(', ')}]), but the model's tensor has ${m[2]} (${m[3]}). ${BATCH_ADVICE}`
        : `Dims ${e ? dimsText(e.dims) : ''} of ${e ? label(e) : `"${m[1]}"`} do not match the model's tensor shape ${m[3]}. Make Dims the model's shape (-1 where the model's size varies).`,
    );
  }
  if (/does not exist in the model repository path|model\.py does not exist/.test(reason))
    return problem(ctx, ['CodeUri'], reason, 'CodeUri must contain model.py, the file the Triton Python backend loads.');
  if ((m = /unable to find '([^']*)' for model instance/.exec(reason)))
    return problem(
      ctx,
      [r.model === 'TensorflowSavedModel' ? 'SavedModelUri' : 'ModelUri'],
      reason,
      `Triton found no model file (${m[1]}).`,
    );
  if (/has kind KIND_GPU but no GPUs are available/.test(reason))
    return problem(
      ctx,
      ['Resources', 'Requests', 'gpu'],
      reason,
      'Resources.Requests.gpu asks for a GPU, so config.pbtxt says KIND_GPU, and this machine has no GPU Triton can use. To try the model here, set gpu to null (or "0") while testing.',
    );
  if (/TEST STAND-IN: this image has no/.test(reason))
    return problem(
      ctx,
      undefined,
      reason,
      `This image cannot run ${r.model} models: it is DISM Studio's Triton test stand-in. Start the real Triton image to run it.`,
    );
  const py = r.model === 'Python' ? pythonError(reason) : undefined;
  if (py) {
    const where =
      py.fn === 'initialize' ? 'initialize()' : py.fn === '<module>' ? 'importing model.py' : py.fn ? `${py.fn}()` : 'loading model.py';
    const missing = /^ModuleNotFoundError$/.test(py.type)
      ? ' The Triton image has Python with numpy only: a model needs everything else inside CodeUri.'
      : '';
    return problem(
      ctx,
      ['CodeUri'],
      reason,
      `model.py failed while ${where === 'importing model.py' ? where : `running ${where}`}${py.line ? ` (model.py line ${py.line})` : ''}: ${py.type}: ${py.message}.${missing} Triton does not serve a model whose loading fails.`,
    );
  }
  return problem(ctx, undefined, reason, `Triton could not load ${modelName(r)}; its reason is above.`);
}

/**
 * Load failures of `model` in a Triton log (the container's output lines): each failure with its
 * reason (continuation lines joined, e.g. a Python traceback), explained for the template. A
 * config.pbtxt that could not be parsed is reported with protobuf's own line (`L:C: …`).
 */
export function tritonLoadProblems(lines: readonly string[], ctx: ExplainContext): ModelProblem[] {
  const name = modelName(ctx.resource);
  const records: string[] = [];
  // a record's message may span lines (a Python traceback): they run until the next record or table
  const starts = (line: string) => RECORD.test(line) || /^(\[libprotobuf|\+-|\| |error: )/.test(line);
  for (const line of lines) {
    if (starts(line) || !records.length) records.push(line);
    else records[records.length - 1] += `\n${line}`;
  }
  const esc = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const reasons: string[] = [];
  const protobuf = records.filter((r) => r.startsWith('[libprotobuf') && PROTOBUF.test(r)).map((r) => PROTOBUF.exec(r)![0]);
  for (const rec of records) {
    const m = RECORD.exec(rec.split('\n')[0]);
    if (!m || m[1] !== 'E') continue;
    // the message: the first line after the record's prefix, and any continuation lines
    const text = rec.replace(RECORD_PREFIX, '').trimEnd();
    let hit: RegExpExecArray | null;
    if ((hit = new RegExp(`^Poll failed for model directory '${esc}': ([\\s\\S]*)$`).exec(text))) {
      // a config.pbtxt protobuf could not parse: its own error lines say where
      reasons.push(/failed to read text proto/.test(hit[1]) && protobuf.length ? `${protobuf.join('\n')}\n(${hit[1]})` : hit[1]);
    } else if ((hit = new RegExp(`^failed to load '${esc}' version \\d+: ([\\s\\S]*)$`).exec(text))) reasons.push(hit[1]);
    else if ((hit = new RegExp(`^failed to load model '${esc}': ([\\s\\S]*)$`).exec(text))) reasons.push(hit[1]);
  }
  return [...new Set(reasons)].map((reason) => explainLoadFailure(ctx, reason));
}

/**
 * What an HTTP 400 of Triton's infer route means for the template (shape, data type, batch size,
 * names, a Python model's error), or undefined when the message is not one of those.
 */
export function explainInferError(
  ctx: ExplainContext,
  server: string,
  sent: Array<{ name: string; datatype: string; shape: number[] }>,
): ModelProblem | undefined {
  const r = ctx.resource;
  const all = entries(r);
  const mbs = maxBatchSizeOf(r);
  let m: RegExpExecArray | null;
  if ((m = /unexpected shape for input '([^']*)' for model '[^']*'\. Expected (\[[^\]]*\]), got (\[[^\]]*\])/.exec(server))) {
    const e = all.find((x) => x.kind === 'input' && x.name === m![1]);
    const batchNote =
      mbs > 0 && e && e.dims[0] === -1
        ? ` ${BATCH_ADVICE}`
        : ' Make Dims the shape DIALS sends: the batch dimension -1, then the map shape.';
    return problem(
      ctx,
      mbs > 0 && e && e.dims[0] === -1 ? ['MaxBatchSize'] : e ? [...e.at, 'Dims'] : undefined,
      server,
      `Triton refused the request: ${e ? label(e) : `input "${m[1]}"`} was sent as ${m[3].replace(/,/g, ', ')} (one entry per lumisection, as DIALS sends it), and the model configuration expects ${m[2].replace(/,/g, ', ')}${mbs > 0 ? ` (Triton's batch dimension, because MaxBatchSize is ${mbs}, followed by Dims ${e ? dimsText(e.dims) : ''})` : ''}.${batchNote}`,
    );
  }
  if ((m = /inference input data-type is '(\w+)', model expects '(\w+)'/.exec(server))) {
    const e = all.find((x) => x.kind === 'input' && tritonDataType(x.dataType) === `TYPE_${m![1].replace('BYTES', 'STRING')}`);
    return problem(
      ctx,
      e ? [...e.at, 'DataType'] : undefined,
      server,
      `Triton refused the request: an input was sent as ${m[1]} (its DataType in the template) and the model expects ${m[2]}. Set DataType to ${m[2]}.`,
    );
  }
  if ((m = /inference request batch-size must be <= (\d+)/.exec(server)))
    return problem(ctx, ['MaxBatchSize'], server, `Triton refused a request of more than ${m[1]} lumisections (MaxBatchSize).`);
  if ((m = /unexpected inference input '([^']*)' for model/.exec(server)))
    return problem(
      ctx,
      undefined,
      server,
      `Triton refused the request: the model has no input "${m[1]}". Rebuild and restart the server after changing the template.`,
    );
  if ((m = /expected (\d+) inputs but got (\d+) inputs/.exec(server)))
    return problem(
      ctx,
      ['InputSignature'],
      server,
      `Triton refused the request: the model takes ${m[1]} inputs and the request had ${m[2]} (${sent.map((s) => s.name).join(', ')}).`,
    );
  if (r.model === 'Python') {
    const py = pythonError(server);
    if (py && /Failed to process the request/.test(server))
      return problem(
        ctx,
        ['CodeUri'],
        server,
        `model.py raised ${py.type} in ${py.fn ?? 'execute'}()${py.line ? ` (model.py line ${py.line})` : ''} on this request: ${py.message}.`,
      );
    return problem(ctx, ['CodeUri'], server, `The model answered with an error (from model.py): ${server}`);
  }
  return undefined;
}
