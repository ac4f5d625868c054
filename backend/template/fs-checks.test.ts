import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { setValue } from '@/shared/template/edit';
import { templateSkeleton } from '@/shared/template/skeletons';
import { validateTemplateFile } from './validate-file';
import { encodeAutoencoderOnnx } from '@/backend/onnx/autoencoder-onnx';

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
      'Dims [-1, 58, 72] do not match model.onnx\'s input "input" of shape [?, 56, 64]: dimension 1 is 58 in the template but 56 in the model. Triton will refuse to load the model.',
    );
    expect(result.problems.find((p) => p.rule === 'onnx-name')).toMatchObject({ severity: 'error' });
    expect(result.problems.find((p) => p.rule === 'onnx-name')?.message).toMatch(
      /^OutputSignature "Metric" has no output of that name in model\.onnx \(it has: variable\)/,
    );
    text = setValue(text, [...MP, 'InputSignature', 0, 'Dims'], [-1, 56, 64]).text;
    text = setValue(text, [...MP, 'OutputSignature', 0, 'Dims'], [-1, 56, 64]).text;
    const ok = await validateTemplateFile(project, 'template.yaml', text);
    expect(ok.problems.filter((p) => p.rule === 'onnx-dims')).toEqual([]);
    expect(ok.notes).toEqual([]);
  });

  describe('the ONNX model against the template, as Triton loads it (real onnxruntime session)', () => {
    // inputs x (INT32 [N, 2, 3]); outputs anomaly_score and score_x (FP32 [N])
    const model = () =>
      encodeAutoencoderOnnx({
        layers: [{ name: 'x', rows: 2, cols: 3, components: Float32Array.from({ length: 6 }, (_, i) => 1 + i) }],
        nComponents: 1,
        steps: 2,
        scoreName: 'anomaly_score',
      });
    const MP = ['Resources', 'M', 'Properties'];
    const template = (edit: (t: string) => string = (t) => t) => {
      let t = templateSkeleton({ type: 'InferenceService::Tritonserver::ONNX', resourceKey: 'M' });
      t = setValue(t, [...MP, 'InputSignature', 0, 'Name'], 'x').text;
      t = setValue(t, [...MP, 'InputSignature', 0, 'DataType'], 'INT32').text;
      t = setValue(t, [...MP, 'InputSignature', 0, 'Dims'], [-1, 2, 3]).text;
      t = setValue(t, [...MP, 'OutputSignature'], [{ Name: 'anomaly_score', DataType: 'FP32', Dims: [-1] }]).text;
      return edit(t);
    };
    const onnxProblems = async (text: string) =>
      (await validateTemplateFile(project, 'template.yaml', text)).problems.filter((p) => p.rule.startsWith('onnx-'));

    beforeEach(async () => {
      await write('model/model.onnx', Buffer.from(model()));
    });

    it('a template that matches (MaxBatchSize 0, Dims with the batch dimension) has no problem', async () => {
      expect(await onnxProblems(template())).toEqual([]);
    });

    it('every InputMetadata attribute is a model input too: the count and the <Meta>__<Attr> name', async () => {
      const text = template(
        (t) =>
          setValue(
            t,
            [...MP, 'InputMetadata'],
            [{ Name: 'oms', Source: 'OMS', Endpoint: 'lumisections', Attributes: [{ Name: 'pileup', DataType: 'FP32', Dims: [-1] }] }],
          ).text,
      );
      const problems = await onnxProblems(text);
      expect(problems.map((p) => [p.rule, p.path, p.severity])).toEqual([
        ['onnx-inputs', 'Resources.M.Properties.InputMetadata', 'error'],
        ['onnx-name', 'Resources.M.Properties.InputMetadata[0].Attributes[0].Name', 'error'],
      ]);
      expect(problems[0].message).toBe(
        "Triton will refuse to load model.onnx: config.pbtxt gets 2 inputs (x, oms__pileup) but the model takes 1 (x). DISM makes every InputSignature entry and every InputMetadata attribute (named <Meta>__<Attr>) a model input, and Triton loads the model only when they are exactly the model's inputs.",
      );
      expect(problems[1].message).toBe(
        'Triton will refuse to load model.onnx: this InputMetadata attribute is sent to the model as input "oms__pileup", and the model has no input of that name (it has: x).',
      );
    });

    it('a DataType the model does not take', async () => {
      const [p] = await onnxProblems(template((t) => setValue(t, [...MP, 'InputSignature', 0, 'DataType'], 'FP32').text));
      expect(p).toMatchObject({ rule: 'onnx-datatype', path: 'Resources.M.Properties.InputSignature[0].DataType', severity: 'error' });
      expect(p.message).toBe(
        'DataType FP32 does not match model.onnx\'s input "x", which is INT32: Triton will refuse to load the model. Set DataType: INT32 (the type the data is sent as), or change the model.',
      );
    });

    it('MaxBatchSize > 0 puts a second batch dimension in front of Dims: the model does not have it', async () => {
      const text = template((t) => setValue(t, [...MP, 'MaxBatchSize'], 8).text);
      const problems = await onnxProblems(text);
      expect(problems.map((p) => p.path)).toEqual([
        'Resources.M.Properties.InputSignature[0].Dims',
        'Resources.M.Properties.OutputSignature[0].Dims',
      ]);
      expect(problems[0].message).toBe(
        'Dims [-1, 2, 3] with MaxBatchSize 8 make Triton expect input "x" as [-1, -1, 2, 3] (its own batch dimension, then Dims), but model.onnx has [N, 2, 3]: the model\'s tensor has 3 dimensions, not 4. DISM writes Dims into config.pbtxt as they are, batch dimension included, so Triton sees two. Set MaxBatchSize: 0: DIALS sends a request\'s lumisections along the first dimension of Dims (-1).',
      );
      // and the pure rule says it once at MaxBatchSize, with the fix
      const batch = (await validateTemplateFile(project, 'template.yaml', text)).problems.find((p) => p.rule === 'triton-batch-dims')!;
      expect(batch).toMatchObject({ severity: 'warning', path: 'Resources.M.Properties.MaxBatchSize', fix: { value: 0 } });
    });

    it('a fixed size where the model varies: inputs take any size there, outputs must say -1 (Triton compares outputs exactly)', async () => {
      expect(await onnxProblems(template((t) => setValue(t, [...MP, 'InputSignature', 0, 'Dims'], [4, 2, 3]).text))).toEqual([]);
      const [p] = await onnxProblems(template((t) => setValue(t, [...MP, 'OutputSignature', 0, 'Dims'], [4]).text));
      expect(p).toMatchObject({ rule: 'onnx-dims', path: 'Resources.M.Properties.OutputSignature[0].Dims' });
      expect(p.message).toContain('dimension 0 varies in the model (N) but is 4 in the template');
    });
  });
});
