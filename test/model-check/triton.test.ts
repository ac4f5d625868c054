import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageModulesCache } from '@/backend/model-check/image-modules';
import { runModelCheck } from '@/backend/model-check/model-check';
import { vendorApply, vendorPlan } from '@/backend/model-check/vendor';
import { docker } from '../model-server/helpers';

/**
 * Triton's Python backend: model.py in CodeUri imports a helper from a sibling folder. The check runs
 * in the Triton stand-in image (dism-test/tritonserver:23.05-py3) and loads model.py as Triton's stub
 * does (version folder, model folder and backend folder on sys.path, `import 1.model`,
 * TritonPythonModel().initialize(args)).
 */
const TRITON = 'dism-test/tritonserver:23.05-py3';
let dir: string;
let cache: ImageModulesCache;

const MODEL_PY = `import json
import os

import numpy as np
import triton_python_backend_utils as pb_utils

from helpers.scaling import scale_of


class TritonPythonModel:
    def initialize(self, args):
        here = os.path.join(args["model_repository"], args["model_version"])
        self.scale = scale_of(os.path.join(here, "scale.txt"))
        self.config = json.loads(args["model_config"])

    def execute(self, requests):
        out = []
        for request in requests:
            x = pb_utils.get_input_tensor_by_name(request, "x").as_numpy()
            out.append(pb_utils.InferenceResponse(output_tensors=[pb_utils.Tensor("out", (x * self.scale).astype(np.float64))]))
        return out
`;

const TEMPLATE = `TemplateFormatVersion: "2025-03-31"
Description: a Triton Python model
Resources:
  Py:
    Type: InferenceService::Tritonserver::Python
    Workspace: global
    Properties:
      Description: scales the maps
      Name: py-scale
      BuiltinThreshold: false
      AnomalyThreshold: 0.5
      MetricKey: out
      Image: ${TRITON}
      MaxBatchSize: 0
      InputSignature:
        - Name: x
          MonitoringElement: Test/A
          DataType: INT32
          Dims: [-1, 2, 2]
      OutputSignature:
        - Name: out
          DataType: FP64
          Dims: [-1, 2, 2]
      CodeUri: code/
      ModelUri: code/scale.txt
`;

beforeAll(async () => {
  execFileSync('bash', ['test/stand-ins/triton/build.sh'], { stdio: 'inherit' });
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dism-check-triton-'));
  await fs.chmod(dir, 0o755);
  cache = new ImageModulesCache(path.join(dir, '.user', 'image-modules'));
  await fs.mkdir(path.join(dir, 'code'));
  await fs.mkdir(path.join(dir, 'helpers'));
  await fs.writeFile(path.join(dir, 'code', 'model.py'), MODEL_PY);
  await fs.writeFile(path.join(dir, 'code', 'scale.txt'), '2');
  await fs.writeFile(
    path.join(dir, 'helpers', 'scaling.py'),
    'def scale_of(path):\n    with open(path) as f:\n        return float(f.read())\n',
  );
  await fs.writeFile(path.join(dir, 'template.yaml'), TEMPLATE);
}, 600_000);

afterAll(async () => {
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

describe('model check on Triton’s Python backend', () => {
  it('red: the helper is outside the model folder; vendored: model.py loads and initialize() runs in the Triton image', async () => {
    const template = path.join(dir, 'template.yaml');
    const r = await runModelCheck({ docker, cache }, { templateFile: template });
    expect(r.framework).toBe('Tritonserver');
    const byId = Object.fromEntries(r.checks.map((c) => [c.id, c]));
    expect(byId.imports.findings.filter((f) => f.severity === 'error').map((f) => [f.module, f.file, f.line, f.foundAt])).toEqual([
      ['helpers.scaling', 'code/model.py', 7, ['../helpers/scaling.py']],
    ]);
    expect(byId.pickle.status).toBe('skipped');
    expect(byId.load.status).toBe('error');
    expect(byId.load.summary).toMatch(
      /^Importing the handler model\.py failed \(code\/model\.py, line 7, in <module>\): No module named 'helpers'/,
    );
    const plan = await vendorPlan(template, undefined, { docker, cache });
    expect(plan.files.find((f) => f.path === 'code/model.py')!.diff).toContain('+from scaling import scale_of');
    await vendorApply(template, undefined, plan.planId, { docker, cache });
    const after = await runModelCheck({ docker, cache }, { templateFile: template });
    expect(after.checks.map((c) => [c.id, c.status])).toEqual([
      ['imports', 'ok'],
      ['pickle', 'skipped'],
      ['load', 'ok'],
      ['versions', 'skipped'],
    ]);
    expect(after.checks.find((c) => c.id === 'load')!.summary).toMatch(
      /TritonPythonModel imported, instantiated and initialize\(\) returned/,
    );
  }, 240_000);
});
