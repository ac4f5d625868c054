/**
 * Models for the Triton stand-in's tests, written at test time: a tiny ONNX graph with exactly
 * known outputs (built with the project's protobuf writer) and Python-backend model.py files.
 */
import { ProtoWriter } from '@/backend/onnx/protobuf-writer';

const FLOAT = 1;
const INT32 = 6;
const INT64 = 7;

type Dim = number | string;

function valueInfo(name: string, elemType: number, dims: Dim[]) {
  return (w: ProtoWriter) => {
    w.string(1, name);
    w.message(2, (type) =>
      type.message(1, (t) => {
        t.int(1, elemType);
        t.message(2, (shape) => {
          for (const d of dims) shape.message(1, (x) => (typeof d === 'number' ? x.int(1, d) : x.string(2, d)));
        });
      }),
    );
  };
}

function initializer(name: string, dims: number[], type: number, raw: Uint8Array) {
  return (w: ProtoWriter) => {
    for (const d of dims) w.int(1, d);
    w.int(2, type);
    w.string(8, name);
    w.bytes(9, raw);
  };
}

function node(op: string, inputs: string[], output: string, attrs: Array<{ name: string; i: number }> = []) {
  return (w: ProtoWriter) => {
    for (const i of inputs) w.string(1, i);
    w.string(2, output);
    w.string(3, `${op}_${output}`);
    w.string(4, op);
    // AttributeProto: name = 1, i = 3, type = 20 (2 = INT)
    for (const a of attrs) w.message(5, (x) => x.string(1, a.name).int(20, 2).int(3, a.i));
  };
}

/**
 * `x` [N, rows, cols] (float32, or int32 cast to float32 as a DIALS-fed model would) →
 * `y = 2·x + 1` float32 [N, rows, cols] and `s = Σ x` per map float32 [N] (ReduceSum over axes
 * 1, 2). N is symbolic, so Triton can batch it. `extraInputs` are graph inputs the graph does not
 * use (like the per-LS metadata inputs DISM adds).
 */
export function toyOnnx(
  rows = 2,
  cols = 3,
  opts: { batchDim?: Dim; inputType?: 'float32' | 'int32'; extraInputs?: Array<{ name: string; dims: Dim[] }> } = {},
): Uint8Array {
  const batch = opts.batchDim ?? 'N';
  const f32 = (v: number[]) => new Uint8Array(Float32Array.from(v).buffer);
  const i64 = (v: number[]) => new Uint8Array(BigInt64Array.from(v.map(BigInt)).buffer);
  const int32In = opts.inputType === 'int32';
  const xf = int32In ? 'xf' : 'x';
  const w = new ProtoWriter();
  w.int(1, 8); // ir_version
  w.string(2, 'dism-studio triton stand-in test');
  w.message(7, (g) => {
    if (int32In) g.message(1, node('Cast', ['x'], 'xf', [{ name: 'to', i: FLOAT }]));
    g.message(1, node('Mul', [xf, 'two'], 'twice'));
    g.message(1, node('Add', ['twice', 'one'], 'y'));
    g.message(1, node('ReduceSum', [xf, 'axes'], 's', [{ name: 'keepdims', i: 0 }]));
    g.string(2, 'toy');
    g.message(5, initializer('two', [1], FLOAT, f32([2])));
    g.message(5, initializer('one', [1], FLOAT, f32([1])));
    g.message(5, initializer('axes', [2], INT64, i64([1, 2])));
    g.message(11, valueInfo('x', int32In ? INT32 : FLOAT, [batch, rows, cols]));
    for (const e of opts.extraInputs ?? []) g.message(11, valueInfo(e.name, FLOAT, e.dims));
    g.message(12, valueInfo('y', FLOAT, [batch, rows, cols]));
    g.message(12, valueInfo('s', FLOAT, [batch]));
  });
  w.message(8, (o) => o.string(1, '').int(2, 13));
  return w.finish();
}

/** The toy model's outputs, computed here in float32 as ONNX Runtime does for these shapes. */
export function toyExpected(x: number[], rows = 2, cols = 3): { y: number[]; s: number[] } {
  const y = x.map((v) => Math.fround(Math.fround(Math.fround(v) * 2) + 1));
  const s: number[] = [];
  for (let i = 0; i < x.length; i += rows * cols) {
    let acc = 0;
    for (let j = i; j < i + rows * cols; j++) acc = Math.fround(acc + Math.fround(x[j]));
    s.push(acc);
  }
  return { y, s };
}

/** config.pbtxt of the toy model, batching (dims without the batch dimension) or not. */
export function toyConfig(name: string, opts: { maxBatchSize?: number; rows?: number; cols?: number; extra?: string } = {}): string {
  const mbs = opts.maxBatchSize ?? 8;
  const dims = mbs > 0 ? `${opts.rows ?? 2}, ${opts.cols ?? 3}` : `-1, ${opts.rows ?? 2}, ${opts.cols ?? 3}`;
  const sDims = mbs > 0 ? 'dims: [ 1 ]\n    reshape: { shape: [ ] }' : 'dims: [ -1 ]';
  return `name: "${name}"
platform: "onnxruntime_onnx"
${mbs > 0 ? `max_batch_size: ${mbs}\n` : ''}input [
  {
    name: "x"
    data_type: TYPE_FP32
    dims: [ ${dims} ]
  }
]
output [
  {
    name: "y"
    data_type: TYPE_FP32
    dims: [ ${dims} ]
  },
  {
    name: "s"
    data_type: TYPE_FP32
    ${sDims}
  }
]
instance_group [ { kind: KIND_CPU } ]
${opts.extra ?? ''}`;
}

/**
 * A Python-backend model: `out = x · scale + offset` per element, where `scale` is read in
 * initialize() from scale.txt next to model.py and `offset` from the config parameters (0 when
 * absent); the output dtype comes from the config (get_output_config_by_name +
 * triton_string_to_numpy); a negative input is answered with an error response (TritonError), and
 * a first element of 7 makes execute() raise.
 */
export const SCALE_MODEL_PY = `import json
import os

import numpy as np
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def initialize(self, args):
        self.model_config = json.loads(args["model_config"])
        here = os.path.join(args["model_repository"], args["model_version"])
        with open(os.path.join(here, "scale.txt")) as f:
            self.scale = float(f.read())
        self.offset = float(self.model_config["parameters"].get("offset", {"string_value": "0"})["string_value"])
        out = pb_utils.get_output_config_by_name(self.model_config, "out")
        self.out_dtype = pb_utils.triton_string_to_numpy(out["data_type"])
        print("initialize", args["model_name"], args["model_instance_name"], "scale", self.scale, flush=True)
        pb_utils.Logger.log_info("scale model ready")

    def execute(self, requests):
        responses = []
        for request in requests:
            x = pb_utils.get_input_tensor_by_name(request, "x").as_numpy()
            if x.flat[0] == 7:
                raise RuntimeError("seven is not allowed")
            if (x < 0).any():
                responses.append(pb_utils.InferenceResponse(output_tensors=[], error=pb_utils.TritonError("negative input: this model takes counts")))
                continue
            out = (x * self.scale + self.offset).astype(self.out_dtype)
            total = x.reshape(x.shape[0], -1).sum(axis=1).astype(np.int64)
            responses.append(pb_utils.InferenceResponse(output_tensors=[pb_utils.Tensor("out", out), pb_utils.Tensor("total", total)]))
        return responses

    def finalize(self):
        print("finalize", flush=True)
`;

export function scaleConfig(name: string, opts: { extra?: string } = {}): string {
  return `name: "${name}"
backend: "python"
max_batch_size: 4
input [ { name: "x", data_type: TYPE_INT32, dims: [ 2, 2 ] } ]
output [
  { name: "out", data_type: TYPE_FP64, dims: [ 2, 2 ] },
  { name: "total", data_type: TYPE_INT64, dims: [ 1 ], reshape: { shape: [ ] } }
]
parameters { key: "offset" value: { string_value: "0.5" } }
instance_group [ { kind: KIND_CPU } ]
${opts.extra ?? ''}`;
}

/** A Python model whose initialize() raises. */
export const FAILING_INIT_PY = `import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def initialize(self, args):
        raise ValueError("cannot open the calibration file " + args["model_name"] + ".npz")

    def execute(self, requests):
        return []
`;
