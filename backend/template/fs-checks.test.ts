import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { setValue } from '@/shared/template/edit';
import { templateSkeleton } from '@/shared/template/skeletons';
import { validateTemplateFile } from './validate-file';

const FIXTURE = 'test/fixtures/templates/pixel-barrel-nmf.template.yaml';
const ONNX = 'test/fixtures/pixelnmf-reference/model/nmf_BPix2.onnx';
const P = ['Resources', 'PixelNMF', 'Properties'];

let root: string;
let project: string;

async function write(rel: string, content: string | Buffer) {
  const file = path.join(project, rel);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, content);
}

const errorsOf = async (text: string) =>
  (await validateTemplateFile(project, 'template.yaml', text)).problems.filter((p) => p.severity === 'error');

beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'dism-fscheck-'));
  project = path.join(root, 'project');
  await write('template.yaml', await fs.readFile(FIXTURE));
  await write(
    'mlserver-model/app.py',
    'from mlserver import MLModel\n\n\nclass Handler(MLModel):\n    async def load(self):\n        return True\n',
  );
  await write('mlserver-model/pixelnmf.joblib', Buffer.from([0x80, 0x04]));
});

afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe('filesystem checks', () => {
  it('the production template with its model files has no errors', async () => {
    const result = await validateTemplateFile(project, 'template.yaml');
    expect(result.valid).toBe(true);
    expect(result.problems.every((p) => p.rule === 'legacy-datatype')).toBe(true);
  });

  it('reports a missing ModelUri file at its line', async () => {
    await fs.rm(path.join(project, 'mlserver-model/pixelnmf.joblib'));
    const [e] = await errorsOf(await fs.readFile(FIXTURE, 'utf8'));
    expect(e).toMatchObject({ rule: 'path-missing', path: 'Resources.PixelNMF.Properties.ModelUri', line: 141, column: 17 });
    expect(e.message).toBe(
      `ModelUri: file not found: mlserver-model/pixelnmf.joblib (looked for ${path.join(project, 'mlserver-model/pixelnmf.joblib')}; paths are relative to the template's folder).`,
    );
  });

  it('a path escaping the project folder is an error', async () => {
    const text = setValue(await fs.readFile(FIXTURE, 'utf8'), [...P, 'CodeUri'], '../shared-code/').text;
    await fs.mkdir(path.join(root, 'shared-code'));
    const [e] = await errorsOf(text);
    expect(e).toMatchObject({ rule: 'path-outside-project', path: 'Resources.PixelNMF.Properties.CodeUri' });
    expect(e.message).toMatch(/^CodeUri "\.\.\/shared-code\/" resolves to .*shared-code, outside the project folder/);
  });

  it('a symlink leading out of the project is an error', async () => {
    await fs.mkdir(path.join(root, 'outside'));
    await fs.writeFile(path.join(root, 'outside', 'model.joblib'), 'x');
    await fs.symlink(path.join(root, 'outside', 'model.joblib'), path.join(project, 'linked.joblib'));
    const text = setValue(await fs.readFile(FIXTURE, 'utf8'), [...P, 'ModelUri'], 'linked.joblib').text;
    expect((await errorsOf(text))[0]).toMatchObject({ rule: 'path-outside-project', message: expect.stringContaining('is a link to') });
  });

  it('CodeUri must be a folder', async () => {
    const text = setValue(await fs.readFile(FIXTURE, 'utf8'), [...P, 'CodeUri'], 'mlserver-model/app.py').text;
    expect((await errorsOf(text))[0]).toMatchObject({
      rule: 'path-kind',
      message: 'CodeUri must be a folder, but mlserver-model/app.py is a file.',
    });
  });

  it("the Handler class must be defined in CodeUri/module.py (DISM's per-line regex)", async () => {
    await write('mlserver-model/app.py', 'class NotTheHandler:\n    pass\n# class Handler(MLModel): in a comment does not count\n');
    const [e] = await errorsOf(await fs.readFile(FIXTURE, 'utf8'));
    expect(e).toMatchObject({ rule: 'handler-class', path: 'Resources.PixelNMF.Properties.Handler', line: 140 });
    expect(e.message).toBe(
      'Handler "app.Handler": mlserver-model/app.py does not define class Handler (DISM looks for a line like "class Handler(...):").',
    );
    const text = setValue(await fs.readFile(FIXTURE, 'utf8'), [...P, 'Handler'], 'serving.Handler').text;
    expect((await errorsOf(text))[0]).toMatchObject({
      rule: 'handler-module',
      message: 'Handler "serving.Handler": module file mlserver-model/serving.py not found in CodeUri.',
    });
  });

  it('Triton Python needs model.py defining TritonPythonModel', async () => {
    const text = templateSkeleton({ type: 'InferenceService::Tritonserver::Python', resourceKey: 'M' });
    await write('model/model.onnx', 'x');
    await write('model/model.py', 'class Model:\n    pass\n');
    expect((await errorsOf(text)).map((e) => e.message)).toEqual([
      'model/model.py does not define class TritonPythonModel, which the Triton Python backend loads.',
    ]);
    await write(
      'model/model.py',
      'import triton_python_backend_utils as pb_utils\n\nclass TritonPythonModel:\n    def execute(self, requests):\n        return []\n',
    );
    expect(await errorsOf(text)).toEqual([]);
  });

  it('SavedModelUri must hold saved_model.pb, variables/ and fingerprint.pb', async () => {
    const text = templateSkeleton({ type: 'InferenceService::Tritonserver::TensorflowSavedModel', resourceKey: 'M' });
    await write('model/saved_model/saved_model.pb', 'x');
    const [e] = await errorsOf(text);
    expect(e).toMatchObject({ rule: 'saved-model', path: 'Resources.M.Properties.SavedModelUri' });
    expect(e.message).toBe(
      'SavedModelUri is not a complete TensorFlow SavedModel: missing variables/, fingerprint.pb (expected saved_model.pb, variables/ and fingerprint.pb).',
    );
    await write('model/saved_model/variables/variables.index', 'x');
    await write('model/saved_model/fingerprint.pb', 'x');
    expect(await errorsOf(text)).toEqual([]);
  });

  it('Dims are checked against DIALS parquet sample data in the project', async () => {
    const parquet = 'test/fixtures/pixelnmf-reference/parquet';
    for (const f of await fs.readdir(parquet)) await write(`data/${f}`, await fs.readFile(path.join(parquet, f)));
    expect((await validateTemplateFile(project, 'template.yaml')).problems.filter((p) => p.rule === 'sample-dims')).toEqual([]);
    const text = setValue(await fs.readFile(FIXTURE, 'utf8'), [...P, 'InputSignature', 1, 'Dims'], [-1, 72, 90]).text;
    const [w] = (await validateTemplateFile(project, 'template.yaml', text)).problems.filter((p) => p.rule === 'sample-dims');
    expect(w).toMatchObject({
      severity: 'warning',
      path: 'Resources.PixelNMF.Properties.InputSignature[1].Dims',
      fix: { value: [-1, 90, 72] },
    });
    expect(w.message).toMatch(
      /^Dims \[-1, 72, 90\] do not match the sample data: data\/ZeroBias-Run2025F-.*PXLayer_3\.parquet has 90 × 72 maps \(y_bin × x_bin\)/,
    );
  });

  it('Dims are checked against the ONNX model with onnxruntime (real session)', async () => {
    await write('model/model.onnx', await fs.readFile(ONNX));
    const MP = ['Resources', 'M', 'Properties'];
    let text = templateSkeleton({ type: 'InferenceService::Tritonserver::ONNX', resourceKey: 'M' });
    text = setValue(text, [...MP, 'InputSignature', 0, 'Name'], 'input').text;
    text = setValue(text, [...MP, 'InputSignature', 0, 'Dims'], [-1, 58, 72]).text;
    const result = await validateTemplateFile(project, 'template.yaml', text);
    const dims = result.problems.find((p) => p.rule === 'onnx-dims')!;
    expect(dims).toMatchObject({ severity: 'error', path: 'Resources.M.Properties.InputSignature[0].Dims' });
    expect(dims.message).toBe(
      'Dims [-1, 58, 72] do not match model.onnx\'s input "input" of shape [?, 56, 64]: dimension 1 is 58 in the template but 56 in the model.',
    );
    expect(result.problems.find((p) => p.rule === 'onnx-name')?.message).toMatch(
      /^OutputSignature "Metric" has no output of that name in model\.onnx \(it has: variable\)/,
    );
    text = setValue(text, [...MP, 'InputSignature', 0, 'Dims'], [-1, 56, 64]).text;
    text = setValue(text, [...MP, 'OutputSignature', 0, 'Dims'], [-1, 56, 64]).text;
    const ok = await validateTemplateFile(project, 'template.yaml', text);
    expect(ok.problems.filter((p) => p.rule === 'onnx-dims')).toEqual([]);
    expect(ok.notes).toEqual([]);
  });
});
