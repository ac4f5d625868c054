/**
 * The Triton stand-in image (dism-test/tritonserver:23.05-py3, TEST STAND-IN for
 * nvcr.io/nvidia/tritonserver:23.05-py3) on the real Docker engine: real ONNX Runtime sessions,
 * real Python stub processes, real HTTP. See README.md next to this file.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLocal } from '@/backend/build-local/local-build';
import { encodeNmfOnnx } from '@/backend/onnx/nmf-onnx';
import { ensureTritonStandIn, infer, removeStandInContainers, startStandIn, status, waitForHttp, type StandIn } from './run-standin';
import { FAILING_INIT_PY, SCALE_MODEL_PY, scaleConfig, toyConfig, toyExpected, toyOnnx } from './test-models';

const tmpDirs: string[] = [];
async function tmpDir(prefix: string): Promise<string> {
  const d = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  tmpDirs.push(d);
  return d;
}

/** Writes `files` (relative path → content) under `root`, readable by any user (the image's UID 1000 too). */
async function writeTree(root: string, files: Record<string, string | Uint8Array>): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await fs.writeFile(path.join(root, rel), content);
  }
  await fs.chmod(root, 0o755);
  for (const e of await fs.readdir(root, { recursive: true }))
    await fs.chmod(path.join(root, e), (await fs.stat(path.join(root, e))).isDirectory() ? 0o755 : 0o644);
}

/** The model table the server logged at start-up: model → status text (multi-line statuses joined). */
function modelTable(log: string): Map<string, string> {
  const start = log.indexOf('| Model ');
  expect(start, 'the log has a | Model | Version | Status | table').toBeGreaterThanOrEqual(0);
  const rows = new Map<string, string[]>();
  let last = '';
  for (const line of log.slice(start).split('\n').slice(2)) {
    if (line.startsWith('+')) break;
    const [, model, version, st] = line.split('|').map((c) => c.trim());
    if (model) {
      last = `${model}:${version}`;
      rows.set(last, [st]);
    } else if (last) rows.get(last)?.push(st);
  }
  return new Map([...rows].map(([k, lines]) => [k, lines.join('\n').trimEnd()]));
}

// A small NMF reconstruction graph as the project exports them (backend/onnx/nmf-onnx.ts).
const NMF = { rows: 4, cols: 5, k: 3 };
const nmfComponents = Float32Array.from({ length: NMF.k * NMF.rows * NMF.cols }, (_, i) => 0.05 + ((i * 37) % 11) / 10);
const nmfOnnx = encodeNmfOnnx({ components: nmfComponents, nComponents: NMF.k, rows: NMF.rows, cols: NMF.cols, steps: 30 });
const nmfConfig = `name: "nmf"
platform: "onnxruntime_onnx"
max_batch_size: 16
input [ { name: "input", data_type: TYPE_FP32, dims: [ ${NMF.rows}, ${NMF.cols} ] } ]
output [ { name: "variable", data_type: TYPE_FP32, dims: [ ${NMF.rows}, ${NMF.cols} ] } ]
`;

beforeAll(() => {
  ensureTritonStandIn();
}, 900_000);

afterAll(async () => {
  await removeStandInContainers();
  for (const d of tmpDirs) await fs.rm(d, { recursive: true, force: true });
});

describe('Triton stand-in (TEST STAND-IN image): a repository with ONNX and Python-backend models', () => {
  let s: StandIn;
  beforeAll(async () => {
    const repo = await tmpDir('dism-triton-repo-');
    await writeTree(repo, {
      'toy/config.pbtxt': toyConfig('toy'),
      'toy/1/model.onnx': toyOnnx(),
      'nmf/config.pbtxt': nmfConfig,
      'nmf/1/model.onnx': nmfOnnx,
      'scale/config.pbtxt': scaleConfig('scale'),
      'scale/1/model.py': SCALE_MODEL_PY,
      'scale/1/scale.txt': '3\n',
      // no config.pbtxt: the server and the ONNX Runtime backend fill it in (auto-complete)
      'auto/1/model.onnx': toyOnnx(),
      // default version policy: only the latest version is served
      'versioned/config.pbtxt': toyConfig('versioned'),
      'versioned/1/model.onnx': toyOnnx(),
      'versioned/2/model.onnx': toyOnnx(),
      'versioned/01/model.onnx': toyOnnx(),
    });
    s = await startStandIn({ repositories: { '/models': repo } });
    await waitForHttp(s);
  }, 120_000);

  it('logs like Triton: stand-in banner, loading lines, the model table with every model READY, the options table, Started HTTPService', async () => {
    const log = await s.log();
    expect(log).toContain('Triton Inference Server — TEST STAND-IN');
    expect(log).toMatch(/^I\d{4} \d\d:\d\d:\d\d\.\d{6} 1 model_lifecycle\.cc:462\] loading: toy:1$/m);
    expect(log).toMatch(
      /^I\d{4} \d\d:\d\d:\d\d\.\d{6} 1 onnxruntime\.cc:2653\] TRITONBACKEND_ModelInstanceInitialize: toy_0_0 \(CPU device 0\)$/m,
    );
    expect(log).toMatch(/^I.* python_be\.cc:\d+\] TRITONBACKEND_ModelInstanceInitialize: scale_0 \(CPU device 0\)$/m);
    expect(log).toContain("successfully loaded 'scale'");
    expect(Object.fromEntries(modelTable(log))).toEqual({
      'auto:1': 'READY',
      'nmf:1': 'READY',
      'scale:1': 'READY',
      'toy:1': 'READY',
      'versioned:2': 'READY',
    });
    expect(log).toMatch(/\| model_repository_path\[0\] +\| \/models +\|/);
    expect(log).toMatch(/\| strict_model_config +\| 0 +\|/);
    expect(log).toMatch(/^I.* http_server\.cc:3555\] Started HTTPService at 0\.0\.0\.0:8000$/m);
    // what model.py prints in initialize() reaches the container log
    expect(log).toContain('initialize scale scale_0 scale 3.0');
    // pb_utils.Logger writes Triton log lines tagged with model.py and its line
    expect(log).toMatch(/^I\d{4} [\d:.]+ 1 model\.py:\d+\] scale model ready$/m);
  });

  it('answers the KServe v2 health, readiness and metadata routes with Triton status codes', async () => {
    expect(await status(`${s.url}/v2/health/live`)).toBe(200);
    expect(await status(`${s.url}/v2/health/ready`)).toBe(200);
    expect(await status(`${s.url}/v2/models/toy/ready`)).toBe(200);
    expect(await status(`${s.url}/v2/models/toy/versions/1/ready`)).toBe(200);
    expect(await status(`${s.url}/v2/models/toy/versions/2/ready`)).toBe(400);
    expect(await status(`${s.url}/v2/models/nope/ready`)).toBe(400);
    const meta = await (await fetch(`${s.url}/v2/models/toy`)).json();
    expect(meta).toEqual({
      name: 'toy',
      versions: ['1'],
      platform: 'onnxruntime_onnx',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 2, 3] }],
      outputs: [
        { name: 'y', datatype: 'FP32', shape: [-1, 2, 3] },
        { name: 's', datatype: 'FP32', shape: [-1, 1] },
      ],
    });
    expect((await (await fetch(`${s.url}/v2/models/scale`)).json()).platform).toBe('python');
    const unknown = await fetch(`${s.url}/v2/models/nope`);
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toEqual({ error: "Request for unknown model: 'nope' is not found" });
    const server = await (await fetch(`${s.url}/v2`)).json();
    expect(server).toMatchObject({ name: 'triton', version: '2.34.0' });
    const cfg = await (await fetch(`${s.url}/v2/models/toy/config`)).json();
    expect(cfg).toMatchObject({
      name: 'toy',
      platform: 'onnxruntime_onnx',
      backend: 'onnxruntime',
      max_batch_size: 8,
      default_model_filename: 'model.onnx',
    });
    expect(cfg.instance_group).toEqual([
      { name: 'toy_0', kind: 'KIND_CPU', count: 2, gpus: [], secondary_devices: [], profile: [], passive: false, host_policy: '' },
    ]);
  });

  it('auto-completes a model without config.pbtxt from its ONNX file, as the ONNX Runtime backend does', async () => {
    const log = await s.log();
    expect(log).toContain(
      "autofilled max_batch_size to 4 for model 'auto' since batching is supporrted but no max_batch_size is specified in model configuration. Must specify max_batch_size to utilize autofill with a larger max batch size",
    );
    const cfg = await (await fetch(`${s.url}/v2/models/auto/config`)).json();
    expect(cfg).toMatchObject({
      name: 'auto',
      platform: 'onnxruntime_onnx',
      backend: 'onnxruntime',
      max_batch_size: 4,
      dynamic_batching: { preferred_batch_size: [4] },
    });
    expect(cfg.input.map((x: Record<string, unknown>) => [x.name, x.data_type, x.dims])).toEqual([['x', 'TYPE_FP32', [2, 3]]]);
    expect(cfg.output.map((x: Record<string, unknown>) => [x.name, x.dims, x.reshape])).toEqual([
      ['y', [2, 3], undefined],
      ['s', [1], { shape: [] }],
    ]);
  });

  it('serves the latest version only (default version policy) and skips a version folder with a leading zero', async () => {
    const log = await s.log();
    expect(log).toMatch(/^W.* model_lifecycle\.cc:99\] ignore version directory '01' which contains leading zeros in its directory name$/m);
    expect(await status(`${s.url}/v2/models/versioned/versions/2/ready`)).toBe(200);
    expect(await status(`${s.url}/v2/models/versioned/versions/1/ready`)).toBe(400);
    expect((await (await fetch(`${s.url}/v2/models/versioned`)).json()).versions).toEqual(['2']);
    const r = await infer(s, 'versioned', { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2, 3], data: [0, 0, 0, 0, 0, 0] }] });
    expect(r.json.model_version).toBe('2');
  });

  it('runs the ONNX model: exact outputs for a batch of 3; the per-map scalar (model output [N], dims [1] + reshape []) comes back as [N, 1]', async () => {
    // values whose float32 sums are exact in any order
    const x = [1, 2, 3, 4, 5, 6, 0.5, 0.25, 0.125, -1, -2, -3, 1e6, 0, 0, 0, 0, 2.5];
    const r = await infer(s, 'toy', { id: 'batch-3', inputs: [{ name: 'x', datatype: 'FP32', shape: [3, 2, 3], data: x }] });
    expect(r.status).toBe(200);
    const want = toyExpected(x);
    expect(r.json).toEqual({
      id: 'batch-3',
      model_name: 'toy',
      model_version: '1',
      outputs: [
        { name: 'y', datatype: 'FP32', shape: [3, 2, 3], data: want.y },
        { name: 's', datatype: 'FP32', shape: [3, 1], data: want.s },
      ],
    });
    // one requested output, nested data
    const one = await infer(s, 'toy', {
      inputs: [
        {
          name: 'x',
          datatype: 'FP32',
          shape: [1, 2, 3],
          data: [
            [
              [1, 1, 1],
              [1, 1, 1],
            ],
          ],
        },
      ],
      outputs: [{ name: 's' }],
    });
    expect(one.json.outputs).toEqual([{ name: 's', datatype: 'FP32', shape: [1, 1], data: [6] }]);
  });

  it("reads and writes NaN and Infinity as bare literals, as Triton's JSON (rapidjson) does — not valid JSON for JSON.parse", async () => {
    const res = await fetch(`${s.url}/v2/models/toy/infer`, {
      method: 'POST',
      body: '{"inputs":[{"name":"x","datatype":"FP32","shape":[1,2,3],"data":[NaN,1,2,3,4,Infinity]}]}',
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('{"name":"y","datatype":"FP32","shape":[1,2,3],"data":[NaN,3,5,7,9,Infinity]}');
    expect(text).toContain('{"name":"s","datatype":"FP32","shape":[1,1],"data":[NaN]}');
  });

  it('runs the NMF reconstruction graph to the same numbers as onnxruntime-node on the host', async () => {
    const n = 4;
    const x = Array.from({ length: n * NMF.rows * NMF.cols }, (_, i) => ((i * 7) % 13) + 0.5);
    const r = await infer(s, 'nmf', { inputs: [{ name: 'input', datatype: 'FP32', shape: [n, NMF.rows, NMF.cols], data: x }] });
    expect(r.status).toBe(200);
    const session = await ort.InferenceSession.create(nmfOnnx);
    const host = await session.run({ input: new ort.Tensor('float32', Float32Array.from(x), [n, NMF.rows, NMF.cols]) });
    await session.release();
    const hostData = Array.from(host.variable.data as Float32Array);
    expect(r.json.outputs[0].shape).toEqual([n, NMF.rows, NMF.cols]);
    const got = r.json.outputs[0].data as number[];
    expect(got).toHaveLength(hostData.length);
    got.forEach((v, i) => expect(v).toBeCloseTo(hostData[i], 4));
    // and the reconstruction is not trivially zero
    expect(Math.max(...got)).toBeGreaterThan(1);
  });

  it('runs the Python model: initialize() read its file and config, execute() answers per request', async () => {
    const r = await infer(s, 'scale', {
      id: 'py-1',
      inputs: [{ name: 'x', datatype: 'INT32', shape: [2, 2, 2], data: [1, 2, 3, 4, 0, 0, 0, 10] }],
    });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      id: 'py-1',
      model_name: 'scale',
      model_version: '1',
      outputs: [
        { name: 'out', datatype: 'FP64', shape: [2, 2, 2], data: [3.5, 6.5, 9.5, 12.5, 0.5, 0.5, 0.5, 30.5] },
        { name: 'total', datatype: 'INT64', shape: [2, 1], data: [10, 10] },
      ],
    });
  });

  it('rejects requests as Triton does: 400 with {"error": …} and the same wording', async () => {
    const wrongShape = await infer(s, 'toy', {
      inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2, 4], data: [1, 2, 3, 4, 5, 6, 7, 8] }],
    });
    expect(wrongShape.status).toBe(400);
    expect(wrongShape.json.error).toBe(
      "[request id: <id_unknown>] unexpected shape for input 'x' for model 'toy'. Expected [-1,2,3], got [1,2,4]. NOTE: Setting a non-zero max_batch_size in the model config requires a batch dimension to be prepended to each input shape. If you want to specify the full shape including the batch dim in your input dims config, try setting max_batch_size to zero. See the model configuration docs for more info on max_batch_size.",
    );
    const cases: Array<[unknown, string]> = [
      [
        { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2, 3], data: [1, 2, 3] }] },
        "Unable to parse 'data': Shape does not match true shape of 'data' field",
      ],
      [
        { inputs: [{ name: 'x', datatype: 'INT32', shape: [1, 2, 3], data: [1, 2, 3, 4, 5, 6] }] },
        "[request id: <id_unknown>] inference input data-type is 'INT32', model expects 'FP32' for 'toy'",
      ],
      [
        { inputs: [{ name: 'x', datatype: 'FP32', shape: [9, 2, 3], data: new Array(54).fill(0) }] },
        "[request id: <id_unknown>] inference request batch-size must be <= 8 for 'toy'",
      ],
      [
        { inputs: [{ name: 'z', datatype: 'FP32', shape: [1, 2, 3], data: [1, 2, 3, 4, 5, 6] }] },
        "unexpected inference input 'z' for model 'toy'",
      ],
      [{ inputs: [] }, "[request id: <id_unknown>] expected 1 inputs but got 0 inputs for model 'toy'"],
      [
        { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2, 3], data: [1, 2, 3, 4, 5, 'six'] }] },
        "Unable to parse 'data': attempt to access JSON non-number as double",
      ],
      // JSON null is not a number for Triton either (it takes the bare literal NaN instead)
      [
        { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2, 3], data: [1, 2, 3, 4, 5, null] }] },
        "Unable to parse 'data': attempt to access JSON non-number as double",
      ],
      [
        { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2, 3], data: [1, 2, 3, 4, 5, 6] }], outputs: [{ name: 'q' }] },
        "unexpected inference output 'q' for model 'toy'",
      ],
    ];
    for (const [body, message] of cases) {
      const r = await infer(s, 'toy', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json).toEqual({ error: message });
    }
  });

  it('passes on Python errors: an error response (TritonError) and an exception in execute()', async () => {
    const errResponse = await infer(s, 'scale', { inputs: [{ name: 'x', datatype: 'INT32', shape: [1, 2, 2], data: [1, -2, 3, 4] }] });
    expect(errResponse).toEqual({ status: 400, json: { error: 'negative input: this model takes counts' } });
    const raised = await infer(s, 'scale', { inputs: [{ name: 'x', datatype: 'INT32', shape: [1, 2, 2], data: [7, 1, 1, 1] }] });
    expect(raised.status).toBe(400);
    expect(raised.json.error).toMatch(
      /^Failed to process the request\(s\) for model instance 'scale_0', message: RuntimeError: seven is not allowed\n\nAt:\n {2}\/models\/scale\/1\/model\.py\(\d+\): execute\n$/,
    );
    // the instance keeps serving
    expect((await infer(s, 'scale', { inputs: [{ name: 'x', datatype: 'INT32', shape: [1, 2, 2], data: [1, 1, 1, 1] }] })).status).toBe(
      200,
    );
  });

  it('supports the binary tensor data extension (Inference-Header-Content-Length) both ways', async () => {
    const header = Buffer.from(
      JSON.stringify({
        inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2, 3], parameters: { binary_data_size: 24 } }],
        outputs: [{ name: 's', parameters: { binary_data: true } }],
      }),
    );
    const data = Buffer.from(Float32Array.from([1, 2, 3, 4, 5, 6.5]).buffer);
    const res = await fetch(`${s.url}/v2/models/toy/infer`, {
      method: 'POST',
      headers: { 'Inference-Header-Content-Length': String(header.length) },
      body: Buffer.concat([header, data]),
    });
    expect(res.status).toBe(200);
    const body = Buffer.from(await res.arrayBuffer());
    const hl = Number(res.headers.get('inference-header-content-length'));
    expect(JSON.parse(body.subarray(0, hl).toString()).outputs).toEqual([
      { name: 's', datatype: 'FP32', shape: [1, 1], parameters: { binary_data_size: 4 } },
    ]);
    expect(body.subarray(hl).readFloatLE(0)).toBe(21.5);
  });

  it('stops on SIGTERM (docker stop): exit code 0, models unloaded, Python finalize() called', async () => {
    expect(await s.stop()).toBe(0);
    const log = await s.log();
    expect(log).toContain('Signal (15) received.');
    expect(log).toContain("successfully unloaded 'toy' version 1");
    expect(log).toContain('finalize');
  });
});

describe('Triton stand-in (TEST STAND-IN image): load errors, each with its reason in the log and the model not ready (--exit-on-error=false)', () => {
  let s: StandIn;
  let log: string;
  let table: Map<string, string>;
  beforeAll(async () => {
    const repo = await tmpDir('dism-triton-bad-');
    await writeTree(repo, {
      'good/config.pbtxt': toyConfig('good'),
      'good/1/model.onnx': toyOnnx(),
      'unknown_field/config.pbtxt': toyConfig('unknown_field', { extra: 'max_batch: 4\n' }),
      'unknown_field/1/model.onnx': toyOnnx(),
      'nested_unknown_field/config.pbtxt': toyConfig('nested_unknown_field').replace(
        'data_type: TYPE_FP32\n    dims',
        'data_type: TYPE_FP32\n    shape: [ 2, 3 ]\n    dims',
      ),
      'nested_unknown_field/1/model.onnx': toyOnnx(),
      'wrong_type/config.pbtxt': toyConfig('wrong_type').replace('max_batch_size: 8', 'max_batch_size: "8"'),
      'wrong_type/1/model.onnx': toyOnnx(),
      'wrong_enum/config.pbtxt': toyConfig('wrong_enum').replace('data_type: TYPE_FP32', 'data_type: FP32'),
      'wrong_enum/1/model.onnx': toyOnnx(),
      'dims_differ/config.pbtxt': toyConfig('dims_differ', { cols: 4 }),
      'dims_differ/1/model.onnx': toyOnnx(),
      'batch_dim_in_dims/config.pbtxt': toyConfig('batch_dim_in_dims').replace(/dims: \[ 2, 3 \]/g, 'dims: [ -1, 2, 3 ]'),
      'batch_dim_in_dims/1/model.onnx': toyOnnx(),
      'no_version/config.pbtxt': toyConfig('no_version'),
      'no_version/model.onnx': toyOnnx(),
      'init_raises/config.pbtxt':
        'name: "init_raises"\nbackend: "python"\ninput [ { name: "x", data_type: TYPE_FP32, dims: [ 1 ] } ]\noutput [ { name: "y", data_type: TYPE_FP32, dims: [ 1 ] } ]\n',
      'init_raises/1/model.py': FAILING_INIT_PY,
      'needs_sklearn/config.pbtxt':
        'name: "needs_sklearn"\nbackend: "python"\ninput [ { name: "x", data_type: TYPE_FP32, dims: [ 1 ] } ]\noutput [ { name: "y", data_type: TYPE_FP32, dims: [ 1 ] } ]\n',
      'needs_sklearn/1/model.py':
        'import numpy as np\nfrom sklearn.decomposition import NMF\n\n\nclass TritonPythonModel:\n    def execute(self, requests):\n        return []\n',
      'gpu_only/config.pbtxt': toyConfig('gpu_only').replace('kind: KIND_CPU', 'kind: KIND_GPU'),
      'gpu_only/1/model.onnx': toyOnnx(),
    });
    s = await startStandIn({ repositories: { '/models': repo }, args: ['--exit-on-error=false'] });
    await waitForHttp(s);
    log = await s.log();
    table = modelTable(log);
  }, 120_000);

  const notReady = async (model: string) => {
    expect(await status(`${s.url}/v2/models/${model}/ready`)).toBe(400);
    const meta = await fetch(`${s.url}/v2/models/${model}`);
    expect(meta.status).toBe(400);
    return ((await meta.json()) as { error: string }).error;
  };

  it('the good model is ready; the server is not (strict readiness) and says why in one log line', async () => {
    expect(await status(`${s.url}/v2/models/good/ready`)).toBe(200);
    expect(await status(`${s.url}/v2/health/live`)).toBe(200);
    expect(await status(`${s.url}/v2/health/ready`)).toBe(400);
    expect(log).toMatch(/^E.* tritonserver\.cc:\d+\] Internal: failed to load all models$/m);
    expect(table.get('good:1')).toBe('READY');
  });

  it('an unknown field: protobuf names it, the model directory fails to poll and is not served', async () => {
    expect(log).toContain(
      '[libprotobuf ERROR /tmp/tritonbuild/tritonserver/build/_deps/repo-third-party-build/grpc-repo/src/grpc/third_party/protobuf/src/google/protobuf/text_format.cc:335] Error parsing text-format inference.ModelConfig: 25:10: Message type "inference.ModelConfig" has no field named "max_batch".',
    );
    expect(log).toMatch(
      /^E.* model_repository_manager\.cc:\d+\] Poll failed for model directory 'unknown_field': failed to read text proto from \/models\/unknown_field\/config.pbtxt$/m,
    );
    expect(log).toContain(
      'Error parsing text-format inference.ModelConfig: 8:10: Message type "inference.ModelInput" has no field named "shape".',
    );
    // a directory that fails to poll never becomes a model: not in the table, "unknown" to the API
    expect(table.has('unknown_field:1')).toBe(false);
    expect(await notReady('unknown_field')).toBe("Request for unknown model: 'unknown_field' is not found");
    expect(await notReady('nested_unknown_field')).toBe("Request for unknown model: 'nested_unknown_field' is not found");
  });

  it('a value of the wrong type: protobuf says what it expected', async () => {
    expect(log).toContain('Error parsing text-format inference.ModelConfig: 3:17: Expected integer, got: "8"');
    expect(log).toContain("Poll failed for model directory 'wrong_type': failed to read text proto from /models/wrong_type/config.pbtxt");
    expect(log).toContain(
      'Error parsing text-format inference.ModelConfig: 8:5: Unknown enumeration value of "FP32" for field "data_type".',
    );
    await notReady('wrong_type');
    await notReady('wrong_enum');
  });

  it('dims that disagree with the ONNX file: the ONNX Runtime backend refuses the model (with and without the batch dimension in dims)', async () => {
    const reason =
      "Invalid argument: model 'dims_differ', tensor 'x': the model expects 3 dimensions (shape [-1,2,3]) but the model configuration specifies 3 dimensions (an initial batch dimension because max_batch_size > 0 followed by the explicit tensor shape, making complete shape [-1,2,4])";
    expect(log).toContain(`failed to load 'dims_differ' version 1: ${reason}`);
    expect(table.get('dims_differ:1')).toBe(`UNAVAILABLE: ${reason}`);
    expect(table.get('batch_dim_in_dims:1')).toBe(
      "UNAVAILABLE: Invalid argument: model 'batch_dim_in_dims', tensor 'x': the model expects 3 dimensions (shape [-1,2,3]) but the model configuration specifies 4 dimensions (an initial batch dimension because max_batch_size > 0 followed by the explicit tensor shape, making complete shape [-1,-1,2,3])",
    );
    expect(await notReady('dims_differ')).toBe("Request for unknown model: 'dims_differ' has no available versions");
    await notReady('batch_dim_in_dims');
  });

  it('no version folder: nothing to load under the version policy', async () => {
    expect(log).toMatch(
      /^E.* model_repository_manager\.cc:\d+\] failed to load model 'no_version': at least one version must be available under the version policy of model 'no_version'$/m,
    );
    expect(table.get('no_version:-')).toBe('Not loaded: No model version was found');
    await notReady('no_version');
  });

  it('a Python model whose initialize() raises: the Python error and the model.py line, in the log and the table', async () => {
    expect(log).toContain(
      "failed to load 'init_raises' version 1: Internal: ValueError: cannot open the calibration file init_raises.npz\n\nAt:\n  /models/init_raises/1/model.py(6): initialize",
    );
    expect(table.get('init_raises:1')).toBe(
      'UNAVAILABLE: Internal: ValueError: cannot open the calibration file init_raises.npz\n\nAt:\n/models/init_raises/1/model.py(6): initialize',
    );
    await notReady('init_raises');
  });

  it('a Python model that imports a package the real image lacks (scikit-learn): the import fails as it would on Triton', async () => {
    expect(table.get('needs_sklearn:1')).toBe(
      "UNAVAILABLE: Internal: ModuleNotFoundError: No module named 'sklearn'\n\nAt:\n/models/needs_sklearn/1/model.py(2): <module>",
    );
    await notReady('needs_sklearn');
  });

  it('KIND_GPU on a machine without a GPU, as the GPU build of Triton answers there', async () => {
    expect(table.get('gpu_only:1')).toBe(
      'UNAVAILABLE: Invalid argument: instance group gpu_only_0 of model gpu_only has kind KIND_GPU but no GPUs are available',
    );
    await notReady('gpu_only');
  });
});

describe('Triton stand-in (TEST STAND-IN image): with the default --exit-on-error=true a load error stops the server', () => {
  it('prints the tables, then "error: creating server: Internal - failed to load all models" and exits with 1', async () => {
    const repo = await tmpDir('dism-triton-exit-');
    await writeTree(repo, { 'm/config.pbtxt': toyConfig('m', { extra: 'versions: 1\n' }), 'm/1/model.onnx': toyOnnx() });
    const s = await startStandIn({ repositories: { '/models': repo } });
    expect(await s.exited).toBe(1);
    const log = await s.log();
    expect(log).toContain('has no field named "versions".');
    expect(log).toContain('| Model | Version | Status |');
    expect(await s.stderr()).toContain('error: creating server: Internal - failed to load all models');
  }, 60_000);

  it('--disable-auto-complete-config: a model folder without config.pbtxt fails to poll', async () => {
    const repo = await tmpDir('dism-triton-strict-');
    await writeTree(repo, { 'auto/1/model.onnx': toyOnnx(), 'toy/config.pbtxt': toyConfig('toy'), 'toy/1/model.onnx': toyOnnx() });
    const s = await startStandIn({ repositories: { '/models': repo }, args: ['--disable-auto-complete-config', '--exit-on-error=false'] });
    await waitForHttp(s);
    const log = await s.log();
    expect(log).toMatch(
      /^E.* Poll failed for model directory 'auto': failed to open text file for read \/models\/auto\/config\.pbtxt: No such file or directory$/m,
    );
    expect(Object.fromEntries(modelTable(log))).toEqual({ 'toy:1': 'READY' });
    expect(log).toMatch(/\| strict_model_config +\| 1 +\|/);
    expect(await s.stop()).toBe(0);
  }, 60_000);

  it('without --model-repository it refuses to start', async () => {
    const s = await startStandIn({ repositories: {}, cmd: ['tritonserver'] });
    expect(await s.exited).toBe(1);
    expect(await s.stderr()).toContain('error: creating server: Invalid argument - --model-repository must be specified');
  }, 60_000);

  it("an option the real server does not have is refused with getopt's message", async () => {
    const s = await startStandIn({ repositories: {}, cmd: ['tritonserver', '--model-repository=/tmp', '--no-such-option=1'] });
    expect(await s.exited).toBe(1);
    expect(await s.stderr()).toContain("tritonserver: unrecognized option '--no-such-option'");
  }, 60_000);
});

describe("Triton stand-in (TEST STAND-IN image) accepts the config.pbtxt and layout DISM Studio's local build writes", () => {
  let s: StandIn;
  let table: Map<string, string>;
  let log: string;
  const signature = (dataType: string, batch: number) => `      MaxBatchSize: ${batch}
      InputSignature:
        - Name: x
          MonitoringElement: Test/A
          DataType: ${dataType}
          Dims: [-1, 2, 3]
      InputMetadata:
        - Name: oms
          Source: OMS
          Endpoint: lumisections
          Attributes:
            - Name: pileup
              DataType: FP32
              Dims: [-1]
      OutputSignature:
        # quoted: YAML 1.1 reads a bare y as true
        - Name: "y"
          DataType: FP32
          Dims: [-1, 2, 3]
        - Name: s
          DataType: FP32
          Dims: [-1]`;
  const resource = (key: string, model: string, name: string, body: string, metricKey = 's') => `  ${key}:
    Type: InferenceService::Tritonserver::${model}
    Workspace: global
    Properties:
      Description: ${model} model for the stand-in test
      Name: ${name}
      BuiltinThreshold: false
      AnomalyThreshold: 0.5
      MetricKey: ${metricKey}
${body}
`;

  beforeAll(async () => {
    const dir = await tmpDir('dism-triton-built-');
    await writeTree(dir, {
      // a DIALS-fed ONNX model: INT32 maps cast to float, plus the per-LS metadata input it does not use
      'model/int.onnx': toyOnnx(2, 3, { inputType: 'int32', extraInputs: [{ name: 'oms__pileup', dims: ['N'] }] }),
      'model/float.onnx': toyOnnx(2, 3, { extraInputs: [{ name: 'oms__pileup', dims: ['N'] }] }),
      'code/model.py': SCALE_MODEL_PY,
      'code/scale.txt': '2',
      'model/model.pt': 'PK\u0003\u0004 (not a real TorchScript archive)',
      'saved/saved_model.pb': 'x',
      'saved/variables/variables.index': 'x',
      'template.yaml': `TemplateFormatVersion: "2025-03-31"
Description: every Triton model type, built locally
Resources:
${resource('OnnxBatched', 'ONNX', 'onnx-batched', `${signature('INT32', 8)}\n      ModelUri: model/int.onnx`)}
${resource('OnnxUnbatched', 'ONNX', 'onnx-unbatched', `${signature('FP32', 0)}\n      ModelUri: model/float.onnx`)}
${resource(
  'Py',
  'Python',
  'py-scale',
  `      MaxBatchSize: 0
      InputSignature:
        - Name: x
          MonitoringElement: Test/A
          DataType: INT32
          Dims: [-1, 2, 2]
      OutputSignature:
        - Name: out
          DataType: FP64
          Dims: [-1, 2, 2]
        - Name: total
          DataType: INT64
          Dims: [-1]
      CodeUri: code/
      ModelUri: code/scale.txt`,
  'total',
)}
${resource('Torch', 'Torchscript', 'torch-model', `${signature('FP32', 8)}\n      ModelUri: model/model.pt`)}
${resource('Tf', 'TensorflowSavedModel', 'tf-model', `${signature('FP32', 8)}\n      SavedModelUri: saved/`)}`,
    });
    const built = await buildLocal(path.join(dir, 'template.yaml'));
    // as server-spec.ts mounts it: build/<ResourceKey> is a model repository
    const repositories = Object.fromEntries(built.resources.map((r) => [`/models/${r.key}`, r.dir]));
    for (const r of built.resources) await writeTree(r.dir, {});
    s = await startStandIn({ repositories, args: ['--exit-on-error=false'] });
    await waitForHttp(s);
    log = await s.log();
    table = modelTable(log);
  }, 120_000);

  it('no config.pbtxt of any type is refused by the parser', () => {
    expect(log).not.toContain('libprotobuf ERROR');
    expect(log).not.toContain('Poll failed');
    expect([...table.keys()].sort()).toEqual(['onnx-batched:1', 'onnx-unbatched:1', 'py-scale:1', 'tf-model:1', 'torch-model:1']);
  });

  it('ONNX, batched (MaxBatchSize 8): config.pbtxt has Dims as they are, so Triton puts its batch dimension on top of [-1, 2, 3] and the ONNX Runtime backend refuses the [N, 2, 3] model', async () => {
    // dismcli writes Dims unchanged (generate_configpbtxt); the template check and the start-up message explain it
    expect(table.get('onnx-batched:1')).toBe(
      "UNAVAILABLE: Invalid argument: model 'onnx-batched', tensor 'x': the model expects 3 dimensions (shape [-1,2,3]) but the model configuration specifies 4 dimensions (an initial batch dimension because max_batch_size > 0 followed by the explicit tensor shape, making complete shape [-1,-1,2,3])",
    );
    expect(await status(`${s.url}/v2/models/onnx-batched/ready`)).toBe(400);
  });

  it('ONNX, unbatched (MaxBatchSize 0, Dims with -1): ready and runs; the per-LS metadata input goes as [N], the per-LS output comes back as [N]', async () => {
    expect(table.get('onnx-unbatched:1')).toBe('READY');
    const r = await infer(s, 'onnx-unbatched', {
      inputs: [
        { name: 'x', datatype: 'FP32', shape: [2, 2, 3], data: [1, 2, 3, 4, 5, 6, 0, 0, 0, 0, 0, 9] },
        { name: 'oms__pileup', datatype: 'FP32', shape: [2], data: [51.5, 52] },
      ],
    });
    expect(r.status).toBe(200);
    expect(r.json.outputs).toEqual([
      { name: 'y', datatype: 'FP32', shape: [2, 2, 3], data: [3, 5, 7, 9, 11, 13, 1, 1, 1, 1, 1, 19] },
      { name: 's', datatype: 'FP32', shape: [2], data: [21, 9] },
    ]);
  });

  it('Python backend (CodeUri + ModelUri copied into the version folder): ready and runs', async () => {
    expect(table.get('py-scale:1')).toBe('READY');
    const r = await infer(s, 'py-scale', { inputs: [{ name: 'x', datatype: 'INT32', shape: [1, 2, 2], data: [1, 2, 3, 4] }] });
    expect(r.json.outputs).toEqual([
      { name: 'out', datatype: 'FP64', shape: [1, 2, 2], data: [2, 4, 6, 8] },
      { name: 'total', datatype: 'INT64', shape: [1], data: [10] },
    ]);
  });

  it('Torchscript — config and layout only: accepted, then reported unavailable because the stand-in has no PyTorch backend', async () => {
    expect(table.get('torch-model:1')).toMatch(
      /^UNAVAILABLE: Unsupported: TEST STAND-IN: this image has no 'pytorch' backend, so model 'torch-model' cannot be loaded or run here .*found torch-model\/1\/model\.pt\.$/,
    );
    expect(log).toMatch(/^E.* failed to load 'torch-model' version 1: Unsupported: TEST STAND-IN: this image has no 'pytorch' backend/m);
    expect(await status(`${s.url}/v2/models/torch-model/ready`)).toBe(400);
  });

  it('TensorflowSavedModel — config and layout only: accepted, then reported unavailable because the stand-in has no TensorFlow backend', async () => {
    expect(table.get('tf-model:1')).toMatch(
      /^UNAVAILABLE: Unsupported: TEST STAND-IN: this image has no 'tensorflow' backend, so model 'tf-model' cannot be loaded or run here .*found tf-model\/1\/model\.savedmodel\/\.$/,
    );
    expect(await status(`${s.url}/v2/models/tf-model/ready`)).toBe(400);
  });
});

describe('Triton stand-in (TEST STAND-IN image) runs as the image user triton-server (UID 1000) as well as root', () => {
  it('serves a model with --user 1000:1000', async () => {
    const repo = await tmpDir('dism-triton-uid-');
    await writeTree(repo, {
      'toy/config.pbtxt': toyConfig('toy'),
      'toy/1/model.onnx': toyOnnx(),
      'py/config.pbtxt': scaleConfig('py'),
      'py/1/model.py': SCALE_MODEL_PY,
      'py/1/scale.txt': '1',
    });
    const s = await startStandIn({ repositories: { '/models': repo }, user: '1000:1000' });
    await waitForHttp(s);
    expect(await status(`${s.url}/v2/health/ready`)).toBe(200);
    expect((await infer(s, 'py', { inputs: [{ name: 'x', datatype: 'INT32', shape: [1, 2, 2], data: [1, 2, 3, 4] }] })).status).toBe(200);
    expect(await s.stop()).toBe(0);
  }, 60_000);
});
