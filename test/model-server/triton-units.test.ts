/**
 * The Triton-specific rules of requests, answers and messages, without a server: requests no larger
 * than max_batch_size, non-finite floats as Python and Triton write them, Triton's load failures and
 * refusals traced to the template field. (The same, end to end on the stand-in image: triton.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { configPbtxtWithSources } from '@/backend/build-local/config-pbtxt';
import type { ResourceView } from '@/backend/build-local/template-source';
import { parseServerJson } from '@/backend/inference/oip-client';
import { batchSize, buildRequests, floatText } from '@/backend/inference/oip-request';
import { splitOutputs } from '@/backend/inference/per-lumisection';
import { explainInferError, explainLoadFailure, tritonLoadProblems } from '@/backend/model-server/triton-messages';
import { formatPath } from '@/shared/template/problems';

const resource = (props: Record<string, unknown> = {}): ResourceView => ({
  key: 'R',
  type: 'InferenceService::Tritonserver::ONNX',
  framework: 'Tritonserver',
  model: 'ONNX',
  properties: {
    Name: 'm',
    MaxBatchSize: 0,
    InputSignature: [{ Name: 'BPix2', DataType: 'INT32', Dims: [-1, 58, 72], MonitoringElement: 'A/B' }],
    InputMetadata: [{ Name: 'oms', Endpoint: 'lumisections', Attributes: [{ Name: 'pileup', DataType: 'FP32', Dims: [-1] }] }],
    OutputSignature: [{ Name: 'score', DataType: 'FP32', Dims: [-1] }],
    ...props,
  },
});
// every field "exists", on a line of its own: enough to see which one a message is traced to
const ctx = (r: ResourceView) => ({
  resource: r,
  template: { locate: (s: readonly (string | number)[]) => ({ path: formatPath(s), line: 1 }) },
});

describe('requests Triton takes', () => {
  const sig = [{ name: 'A', dataType: 'INT32', dims: [-1, 2, 2] }];
  const meta = [{ name: 'oms__pileup', dataType: 'FP32', dims: [-1], meta: 'oms', attribute: 'pileup', endpoint: 'lumisections' }];
  const data = {
    n: 10,
    maps: [Int32Array.from({ length: 40 }, (_, i) => i)],
    metadata: { oms__pileup: Array.from({ length: 10 }, (_, i) => i) },
  };

  it('hold at most max_batch_size lumisections (Triton refuses more before it looks at anything else), else the value budget', () => {
    expect(buildRequests(sig, meta, data, 2_000_000, 4).map((b) => [b.start, b.n])).toEqual([
      [0, 4],
      [4, 4],
      [8, 2],
    ]);
    // MaxBatchSize 0: no limit but the value budget
    expect(buildRequests(sig, meta, data, 2_000_000, 0).map((b) => b.n)).toEqual([10]);
    // the smaller of the two wins
    expect(batchSize(sig, 12, 4)).toBe(3);
    expect(batchSize(sig, 2_000_000, 4)).toBe(4);
  });

  it('write non-finite floats as the bare NaN / Infinity / -Infinity Python and Triton use (Triton refuses null)', () => {
    expect([NaN, Infinity, -Infinity, 1.5, 0].map(floatText)).toEqual(['NaN', 'Infinity', '-Infinity', '1.5', '0']);
    const [b] = buildRequests(sig, meta, { n: 4, maps: [new Int32Array(16)], metadata: { oms__pileup: [NaN, Infinity, -Infinity, null] } });
    const text = Buffer.from(b.body).toString('utf8');
    expect(text).toContain('"name":"oms__pileup","shape":[4],"datatype":"FP32","data":[NaN,Infinity,-Infinity,0]');
    expect(text).not.toContain('null');
    expect(parseServerJson(text)).toMatchObject({ inputs: [{}, { data: [NaN, Infinity, -Infinity, 0] }] });
  });
});

describe("Triton's answers", () => {
  it('are read with the bare NaN / Infinity literals JSON.parse refuses; strings that look like them stay strings', () => {
    const text =
      '{"model_name":"NaN \\"Infinity\\" m","outputs":[{"name":"s","datatype":"FP32","shape":[5],"data":[1,NaN,Infinity,-Infinity,-2.5e-3]}]}';
    expect(() => JSON.parse(text)).toThrow();
    expect(parseServerJson(text)).toEqual({
      model_name: 'NaN "Infinity" m',
      outputs: [{ name: 's', datatype: 'FP32', shape: [5], data: [1, NaN, Infinity, -Infinity, -0.0025] }],
    });
    expect(() => parseServerJson('{"a": nope}')).toThrow();
  });

  it('carry non-finite values per LS as text, which survives JSON (the API, the saved inference file)', () => {
    const { perLs } = splitOutputs(
      [
        { name: 's', shape: [3], datatype: 'FP32', data: [NaN, Infinity, 1] },
        { name: 'map', shape: [3, 2], datatype: 'FP32', data: [0, -Infinity, 1, 2, 3, 4] },
      ],
      3,
    );
    expect(perLs).toEqual([
      { s: 'NaN', map: [0, '-Infinity'] },
      { s: 'Infinity', map: [1, 2] },
      { s: 1, map: [3, 4] },
    ]);
    expect(JSON.parse(JSON.stringify(perLs))).toEqual(perLs);
  });
});

describe('config.pbtxt lines know the template field that wrote them', () => {
  it('maps each line to its field below Properties', () => {
    const { text, sources } = configPbtxtWithSources(resource());
    const at = (line: string) => sources[text.split('\n').indexOf(line)];
    expect(at('name: "m"')).toEqual(['Name']);
    expect(at('    name: "BPix2"')).toEqual(['InputSignature', 0, 'Name']);
    expect(at('    name: "oms__pileup"')).toEqual(['InputMetadata', 0, 'Attributes', 0, 'Name']);
    expect(at('    dims: [-1]')).toEqual(['InputMetadata', 0, 'Attributes', 0, 'Dims']);
    expect(at('     kind: KIND_CPU')).toEqual(['Resources', 'Requests', 'gpu']);
  });
});

describe("Triton's load failures, at the template field", () => {
  it('finds the failure of the model in the log, its continuation lines included', () => {
    const log = [
      'I1202 07:57:21.297030 1 model_lifecycle.cc:462] loading: m:1',
      "E1202 07:57:21.301057 1 model_lifecycle.cc:626] failed to load 'm' version 1: Invalid argument: unable to load model 'm', configuration expects 2 inputs, model provides 1",
      "I1202 07:57:21.301841 1 model_lifecycle.cc:753] failed to load 'm'",
      '+-------+',
      '| m | 1 | UNAVAILABLE: … |',
      'error: creating server: Internal - failed to load all models',
    ];
    const [p] = tritonLoadProblems(log, ctx(resource()));
    expect(p.path).toBe('Resources.R.Properties.InputMetadata');
    expect(p.server).toBe("Invalid argument: unable to load model 'm', configuration expects 2 inputs, model provides 1");
    expect(p.explanation).toBe(
      'config.pbtxt declares 2 inputs but the model takes 1. DISM makes every InputSignature entry and every InputMetadata attribute a model input (here also oms__pileup), and Triton loads the model only when it takes exactly these inputs. Add the inputs to the model or remove the entries the model does not take.',
    );
    // another model's failure is not ours
    expect(tritonLoadProblems([log[1].replace(/'m'/g, "'other'")], ctx(resource()))).toEqual([]);
  });

  it.each([
    [
      "Invalid argument: unexpected inference input 'oms__pileup', allowed inputs are: BPix2, x",
      'Resources.R.Properties.InputMetadata[0].Attributes[0].Name',
      'The model has no input named "oms__pileup" (it has: BPix2, x). Triton matches inputs by name: an InputMetadata attribute is sent as "<Meta>__<Attr>", so the model must take an input of that name.',
    ],
    [
      "Invalid argument: unable to load model 'm', configuration expects datatype TYPE_INT32 for input 'BPix2', model provides TYPE_FP32",
      'Resources.R.Properties.InputSignature[0].DataType',
      'DataType INT32 does not match the model, whose input "BPix2" is FP32. Set DataType to FP32 (DIALS then sends that type), or change the model.',
    ],
    [
      'Invalid argument: instance group m_0 of model m has kind KIND_GPU but no GPUs are available',
      'Resources.R.Properties.Resources.Requests.gpu',
      'Resources.Requests.gpu asks for a GPU, so config.pbtxt says KIND_GPU, and this machine has no GPU Triton can use. To try the model here, set gpu to null (or "0") while testing.',
    ],
  ])('%s', (reason, path, explanation) => {
    expect(explainLoadFailure(ctx(resource()), reason)).toEqual({ path, line: 1, server: reason, explanation });
  });

  it('a batch dimension on top of Dims (MaxBatchSize > 0) is told at MaxBatchSize', () => {
    const reason =
      "Invalid argument: model 'm', tensor 'BPix2': the model expects 3 dimensions (shape [-1,58,72]) but the model configuration specifies 4 dimensions (an initial batch dimension because max_batch_size > 0 followed by the explicit tensor shape, making complete shape [-1,-1,58,72])";
    const p = explainLoadFailure(ctx(resource({ MaxBatchSize: 8 })), reason);
    expect(p.path).toBe('Resources.R.Properties.MaxBatchSize');
    expect(p.explanation).toMatch(
      /^Dims \[-1, 58, 72\] of InputSignature "BPix2" with MaxBatchSize 8 make Triton expect 4 dimensions \(\[-1, -1, 58, 72\]\), but the model's tensor has 3 \(\[-1,58,72\]\)\. /,
    );
  });
});

describe('requests Triton refuses, at the template field', () => {
  it('a data type', () => {
    const p = explainInferError(
      ctx(resource()),
      "[request id: <id_unknown>] inference input data-type is 'INT32', model expects 'FP32' for 'm'",
      [],
    );
    expect(p).toMatchObject({ path: 'Resources.R.Properties.InputSignature[0].DataType' });
    expect(p!.explanation).toBe(
      'Triton refused the request: an input was sent as INT32 (its DataType in the template) and the model expects FP32. Set DataType to FP32.',
    );
  });

  it('a metadata input shape, with MaxBatchSize 0: at its Dims', () => {
    const p = explainInferError(
      ctx(resource()),
      "[request id: <id_unknown>] unexpected shape for input 'oms__pileup' for model 'm'. Expected [-1,1], got [3]. NOTE: …",
      [],
    );
    expect(p!.path).toBe('Resources.R.Properties.InputMetadata[0].Attributes[0].Dims');
    expect(p!.explanation).toBe(
      'Triton refused the request: the InputMetadata attribute sent as input "oms__pileup" was sent as [3] (one entry per lumisection, as DIALS sends it), and the model configuration expects [-1, 1]. Make Dims the shape DIALS sends: the batch dimension -1, then the map shape.',
    );
  });

  it('an answer that is not one of these is left as it is', () => {
    expect(explainInferError(ctx(resource()), 'something else', [])).toBeUndefined();
  });
});
