/**
 * Projects for the Triton tests: templates of each Triton type, small ONNX models written with the
 * project's own writer, Python-backend model.py files. Served by the Triton stand-in image
 * (dism-test/tritonserver:23.05-py3, TEST STAND-IN for nvcr.io/nvidia/tritonserver:23.05-py3).
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeNode } from '@/backend/onnx/nmf-onnx';
import { ProtoWriter } from '@/backend/onnx/protobuf-writer';
import { encodeNpy } from '@/backend/pipeline/npy';

export { TRITON_STAND_IN_IMAGE, ensureTritonStandIn } from '../stand-ins/triton/run-standin';

/** A project folder (readable by the image's users) with `files` written into it. */
export async function makeProject(files: Record<string, string | Uint8Array>): Promise<{ dir: string; template: string }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dism-triton-'));
  await fs.chmod(dir, 0o755);
  for (const [rel, content] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await fs.writeFile(path.join(dir, rel), content);
  }
  return { dir, template: path.join(dir, 'template.yaml') };
}

/**
 * ONNX model: float32 input `input` [N, d] → `output` [N], the mean of each row (ReduceMean over
 * axis 1). Symbolic batch dimension N.
 */
export function rowMeanOnnx(input: string, d: number, output: string): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, 8);
  w.string(2, 'dism-studio triton test');
  const info = (name: string, dims: Array<number | string>) => (v: ProtoWriter) => {
    v.string(1, name);
    v.message(2, (t) =>
      t.message(1, (tt) => {
        tt.int(1, 1);
        tt.message(2, (shape) => {
          for (const x of dims) shape.message(1, (dim) => (typeof x === 'number' ? dim.int(1, x) : dim.string(2, x)));
        });
      }),
    );
  };
  w.message(7, (g) => {
    writeNode(g, { op: 'ReduceMean', inputs: [input], output, attrs: { axes: [1], keepdims: 0 } }, 'mean');
    g.string(2, 'row_mean');
    g.message(11, info(input, ['N', d]));
    g.message(12, info(output, ['N']));
  });
  w.message(8, (o) => o.string(1, '').int(2, 13));
  return w.finish();
}

/** A Triton Python-backend template (one resource `Py`). */
export function pythonTemplate(
  opts: { name?: string; maxBatchSize?: number; inputName?: string; dims?: string; metadata?: boolean } = {},
): string {
  return `TemplateFormatVersion: "2025-03-31"
Description: Python-backend model for the Triton tests
Resources:
  Py:
    Type: InferenceService::Tritonserver::Python
    Workspace: global
    Properties:
      Description: sums each map and divides by the pileup
      Name: ${opts.name ?? 'py-model'}
      BuiltinThreshold: false
      AnomalyThreshold: 1
      MetricKey: Metric
      MaxBatchSize: ${opts.maxBatchSize ?? 0}
      CodeUri: code/
      ModelUri: code/scale.txt
      InputSignature:
        - Name: '${opts.inputName ?? 'A'}'
          MonitoringElement: Test/A
          DataType: INT32
          Dims: ${opts.dims ?? '[-1, 2, 2]'}
${
  opts.metadata === false
    ? ''
    : `      InputMetadata:
        - Name: oms
          Source: OMS
          Endpoint: lumisections
          Attributes:
            - Name: pileup
              DataType: FP32
              Dims: [-1]
`
}      OutputSignature:
        - Name: Metric
          DataType: FP32
          Dims: [-1]
        - Name: Total
          DataType: INT64
          Dims: [-1]
`;
}

/**
 * model.py for pythonTemplate: Metric = Σ map × scale / pileup (float32; 0 pileup gives Infinity,
 * a NaN pileup NaN), Total = Σ map (int64). `scale` is read in initialize() from scale.txt (the
 * ModelUri, copied next to model.py). A first map value of 7 makes execute() raise.
 */
export const METRIC_MODEL_PY = `import os

import numpy as np
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def initialize(self, args):
        here = os.path.join(args["model_repository"], args["model_version"])
        with open(os.path.join(here, "scale.txt")) as f:
            self.scale = float(f.read())
        print("metric model ready, scale", self.scale, flush=True)

    def execute(self, requests):
        responses = []
        for request in requests:
            x = pb_utils.get_input_tensor_by_name(request, "A").as_numpy().astype(np.float64)
            if x.flat[0] == 7:
                raise RuntimeError("a first count of 7 is not allowed")
            pileup = pb_utils.get_input_tensor_by_name(request, "oms__pileup")
            pu = pileup.as_numpy().astype(np.float64) if pileup is not None else np.ones(x.shape[0])
            total = x.reshape(x.shape[0], -1).sum(axis=1)
            with np.errstate(divide="ignore", invalid="ignore"):
                metric = (total * self.scale / pu).astype(np.float32)
            responses.append(pb_utils.InferenceResponse(output_tensors=[
                pb_utils.Tensor("Metric", metric),
                pb_utils.Tensor("Total", total.astype(np.int64)),
            ]))
        return responses
`;

/** int32 .npy of maps of 2 × 2. */
export function mapsNpy(values: number[]): Uint8Array {
  return encodeNpy({ dtype: 'int32', shape: [values.length / 4, 2, 2], data: Int32Array.from(values) });
}
