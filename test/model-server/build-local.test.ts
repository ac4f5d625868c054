import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildLocal, modelSettingsJson, pythonJsonDumps } from '@/backend/build-local/local-build';
import { configPbtxt } from '@/backend/build-local/config-pbtxt';
import { readTemplate, requireResource } from '@/backend/build-local/template-source';
import { runCli } from '@/backend/cli/main';

const dirs: string[] = [];
async function tmp(): Promise<string> {
  const d = await fs.mkdtemp(path.join(os.tmpdir(), 'dism-build-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
});

async function listTree(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listTree(dir, r)));
    else out.push(r);
  }
  return out.sort();
}

/** The production template with a dummy model folder, as a user's project would have it. */
async function productionProject(): Promise<string> {
  const dir = await tmp();
  await fs.copyFile('test/fixtures/templates/pixel-barrel-nmf.template.yaml', path.join(dir, 'template.yaml'));
  await fs.mkdir(path.join(dir, 'mlserver-model', 'utils'), { recursive: true });
  await fs.writeFile(path.join(dir, 'mlserver-model', 'app.py'), 'from mlserver import MLModel\n\nclass Handler(MLModel):\n    pass\n');
  await fs.writeFile(path.join(dir, 'mlserver-model', 'utils', 'helpers.py'), 'X = 1\n');
  await fs.writeFile(path.join(dir, 'mlserver-model', 'pixelnmf.joblib'), 'dummy model');
  return dir;
}

describe('local build (.dism-artifacts/build/ as dismcli build lays it out)', () => {
  it('MLServer: code entries, model file and model-settings.json in build/<ResourceKey>/, file by file', async () => {
    const dir = await productionProject();
    const res = await buildLocal(path.join(dir, 'template.yaml'));
    const build = path.join(dir, '.dism-artifacts', 'build');
    expect(res.buildDir).toBe(build);
    expect(await listTree(build)).toEqual([
      'PixelNMF/app.py',
      'PixelNMF/model-settings.json',
      'PixelNMF/pixelnmf.joblib',
      'PixelNMF/utils/helpers.py',
      'template.yaml',
    ]);
    expect(await fs.readFile(path.join(build, 'PixelNMF/model-settings.json'), 'utf8')).toBe(
      '{"name": "pixel-barrel-nmf", "implementation": "app.Handler", "parameters": {"uri": "pixelnmf.joblib", "version": "0.1.0"}}',
    );
    expect(await fs.readFile(path.join(build, 'PixelNMF/utils/helpers.py'), 'utf8')).toBe('X = 1\n');
    expect(res.local).toBe(true);
    expect(res.officialBuildAdds.length).toBeGreaterThan(0);
  });

  it('rewrites build/template.yaml: paths, plain DataTypes, explicit defaults, quoted version', async () => {
    const dir = await productionProject();
    await buildLocal(path.join(dir, 'template.yaml'));
    const text = await fs.readFile(path.join(dir, '.dism-artifacts/build/template.yaml'), 'utf8');
    expect(text).toContain('TemplateFormatVersion: "2025-03-31"');
    expect(text).not.toContain('TYPE_');
    const t = parse(text, { version: '1.1' }) as { Resources: { PixelNMF: { Properties: Record<string, any> } } };
    const p = t.Resources.PixelNMF.Properties;
    expect(p.CodeUri).toBe('PixelNMF');
    expect(p.ModelUri).toBe('pixelnmf.joblib');
    expect(p.InputSignature[0]).toEqual({
      Name: 'BPix2',
      MonitoringElement: 'PixelPhase1/Phase1_MechanicalView/PXBarrel/clusters_per_SignedModuleCoord_per_SignedLadderCoord_PXLayer_2',
      DataType: 'INT32',
      Dims: [-1, 58, 72],
    });
    expect(p.OutputSignature.map((o: { DataType: string }) => o.DataType)).toEqual(['BOOL', 'FP32']);
    expect(p.InputMetadata[0].Attributes[2]).toEqual({ Name: 'pileup', DataType: 'FP32', Dims: [-1] });
    expect(p.InputMetadata[1].Filter[0]).toEqual({ Name: 'path_name', Value: 'HLT_ZeroBias_v\\d+', Operation: 'LIST_AND_MATCH' });
    expect(p.Image).toBe('registry.cern.ch/docker.io/seldonio/mlserver:1.5.0');
    // the user's template is untouched
    expect(await fs.readFile(path.join(dir, 'template.yaml'), 'utf8')).toBe(
      await fs.readFile('test/fixtures/templates/pixel-barrel-nmf.template.yaml', 'utf8'),
    );
  });

  it('replaces an earlier build completely and keeps it when the new build fails', async () => {
    const dir = await productionProject();
    await fs.mkdir(path.join(dir, '.dism-artifacts/build/Stale'), { recursive: true });
    await fs.writeFile(path.join(dir, '.dism-artifacts/build/Stale/x'), 'old');
    await buildLocal(path.join(dir, 'template.yaml'));
    expect(await fs.readdir(path.join(dir, '.dism-artifacts/build'))).toEqual(['PixelNMF', 'template.yaml']);
    await fs.rm(path.join(dir, 'mlserver-model/pixelnmf.joblib'));
    await expect(buildLocal(path.join(dir, 'template.yaml'))).rejects.toThrow(
      /Resources\.PixelNMF\.Properties\.ModelUri: file not found: mlserver-model\/pixelnmf\.joblib/,
    );
    expect(await listTree(path.join(dir, '.dism-artifacts/build'))).toContain('PixelNMF/pixelnmf.joblib');
    expect((await fs.readdir(path.join(dir, '.dism-artifacts'))).filter((n) => n.includes('tmp'))).toEqual([]);
  });

  it('refuses a template with errors, with the problems listed', async () => {
    const dir = await productionProject();
    const text = (await fs.readFile(path.join(dir, 'template.yaml'), 'utf8')).replace('Name: pixel-barrel-nmf', 'Name: Pixel_Barrel');
    await fs.writeFile(path.join(dir, 'template.yaml'), text);
    await expect(buildLocal(path.join(dir, 'template.yaml'))).rejects.toThrow(/Resources\.PixelNMF\.Properties\.Name/);
  });

  it('refuses paths that leave the project folder', async () => {
    const dir = await productionProject();
    const text = (await fs.readFile(path.join(dir, 'template.yaml'), 'utf8')).replace('CodeUri: mlserver-model/', 'CodeUri: ../');
    await fs.writeFile(path.join(dir, 'template.yaml'), text);
    await expect(buildLocal(path.join(dir, 'template.yaml'))).rejects.toThrow(/outside the project folder|escapes|outside/);
  });

  it('Triton ONNX: build/<ResourceKey>/<Name>/config.pbtxt and 1/model.onnx', async () => {
    const dir = await tmp();
    await fs.copyFile('test/fixtures/pixelnmf-reference/model/nmf_BPix2.onnx', path.join(dir, 'nmf.onnx'));
    await fs.writeFile(
      path.join(dir, 'template.yaml'),
      `TemplateFormatVersion: "2025-03-31"
Description: ONNX on Triton
Resources:
  Nmf2:
    Type: InferenceService::Tritonserver::ONNX
    Workspace: tracker
    Properties:
      Description: NMF for BPix2
      Name: nmf-bpix2
      BuiltinThreshold: false
      AnomalyThreshold: 0.5
      MetricKey: score
      MaxBatchSize: 8
      ModelUri: nmf.onnx
      InputSignature:
        - Name: BPix2
          MonitoringElement: PixelPhase1/Phase1_MechanicalView/PXBarrel/clusters_per_SignedModuleCoord_per_SignedLadderCoord_PXLayer_2
          DataType: INT32
          Dims: [-1, 58, 72]
      InputMetadata:
        - Name: oms_lumisection_info
          Source: OMS
          Endpoint: lumisections
          Attributes:
            - Name: pileup
              DataType: FP32
              Dims: [-1]
      OutputSignature:
        - Name: score
          DataType: FP32
          Dims: [-1]
        - Name: label
          DataType: BYTES
          Dims: [-1]
      Resources:
        Requests:
          nvidia.com/gpu: "1"
`,
    );
    const res = await buildLocal(path.join(dir, 'template.yaml'));
    const build = path.join(dir, '.dism-artifacts/build');
    expect(await listTree(build)).toEqual(['Nmf2/nmf-bpix2/1/model.onnx', 'Nmf2/nmf-bpix2/config.pbtxt', 'template.yaml']);
    expect(res.resources[0].files).toEqual(['nmf-bpix2/1/model.onnx', 'nmf-bpix2/config.pbtxt']);
    // byte for byte what dismcli's generate_configpbtxt writes: Dims as they are (no reshape), platform and backend
    expect(await fs.readFile(path.join(build, 'Nmf2/nmf-bpix2/config.pbtxt'), 'utf8')).toBe(`name: "nmf-bpix2"
platform: "onnxruntime_onnx"
backend: "onnxruntime"
max_batch_size: 8
input [
  {
    name: "BPix2"
    data_type: TYPE_INT32
    dims: [-1, 58, 72]
  },
  {
    name: "oms_lumisection_info__pileup"
    data_type: TYPE_FP32
    dims: [-1]
  }
]
output [
  {
    name: "score"
    data_type: TYPE_FP32
    dims: [-1]
  },
  {
    name: "label"
    data_type: TYPE_STRING
    dims: [-1]
  }
]
instance_group [
   { 
     kind: KIND_GPU
   }
 ]
`);
    const t = parse(await fs.readFile(path.join(build, 'template.yaml'), 'utf8'), { version: '1.1' }) as any;
    expect(t.Resources.Nmf2.Properties.ModelUri).toBe('nmf-bpix2/1/model.onnx');
    expect(t.Resources.Nmf2.Properties.ModelRepositoryUri).toBe('Nmf2');
    expect(t.Resources.Nmf2.Properties.Resources.Requests).toEqual({ gpu: '1' });
  });

  it('config.pbtxt: no max_batch_size when 0, Dims kept, KIND_CPU when gpu is "0" or only a limit', async () => {
    const dir = await tmp();
    await fs.writeFile(path.join(dir, 'm.onnx'), 'x');
    await fs.writeFile(
      path.join(dir, 'template.yaml'),
      `TemplateFormatVersion: "2025-03-31"
Description: d
Resources:
  R:
    Type: InferenceService::Tritonserver::ONNX
    Workspace: w
    Properties:
      Description: d
      Name: m
      BuiltinThreshold: true
      FlaggingKey: f
      MaxBatchSize: 0
      ModelUri: m.onnx
      InputSignature:
        - Name: x
          MonitoringElement: A/B
          DataType: FP32
          Dims: [-1, 4]
      OutputSignature:
        - Name: f
          DataType: BOOL
          Dims: [-1]
      Resources:
        Requests:
          gpu: "0"
        Limits:
          gpu: "1"
`,
    );
    const r = requireResource(await readTemplate(path.join(dir, 'template.yaml')));
    const text = configPbtxt(r);
    expect(text).not.toContain('max_batch_size');
    expect(text).toContain('dims: [-1, 4]');
    // dismcli looks at Resources.Requests.gpu only
    expect(text).toContain('kind: KIND_CPU');
  });

  it('model-settings.json uses Python json.dumps spacing and escapes', () => {
    expect(modelSettingsJson('a', 'app.H', 'm.npz')).toBe(
      '{"name": "a", "implementation": "app.H", "parameters": {"uri": "m.npz", "version": "0.1.0"}}',
    );
    expect(pythonJsonDumps({ s: 'é"', l: [1, true, null] })).toBe('{"s": "\\u00e9\\"", "l": [1, true, null]}');
  });

  it('CLI build-local prints the layout and the local-build mark', async () => {
    const dir = await productionProject();
    const out: string[] = [];
    const code = await runCli(['build-local', 'template.yaml'], {
      out: (t) => out.push(t),
      err: (t) => out.push(t),
      signal: new AbortController().signal,
      cwd: dir,
      env: process.env,
    });
    expect(code).toBe(0);
    expect(out.join('\n')).toContain('local build — DIALS checks not run');
    expect(out.join('\n')).toContain('model-settings.json');
    const bad = await runCli(['build-local', 'nope.yaml'], {
      out: (t) => out.push(t),
      err: (t) => out.push(t),
      signal: new AbortController().signal,
      cwd: dir,
      env: process.env,
    });
    expect(bad).toBe(1);
    expect(out.at(-1)).toContain('Template not found');
  });

  it.each([
    ['Torchscript', 'ModelUri: m.pt', ['R/m/1/model.pt', 'R/m/config.pbtxt'], 'platform: "pytorch_libtorch"'],
    [
      'TensorflowSavedModel',
      'SavedModelUri: saved/',
      [
        'R/m/1/model.savedmodel/fingerprint.pb',
        'R/m/1/model.savedmodel/saved_model.pb',
        'R/m/1/model.savedmodel/variables/variables.index',
        'R/m/config.pbtxt',
      ],
      'platform: "tensorflow_savedmodel"',
    ],
    [
      'Python',
      'CodeUri: code/\n      ModelUri: code/weights.bin',
      ['R/m/1/helpers.py', 'R/m/1/model.py', 'R/m/1/weights.bin', 'R/m/config.pbtxt'],
      'backend: "python"',
    ],
  ])('Triton %s layout', async (model, uris, files, platform) => {
    const dir = await tmp();
    await fs.writeFile(path.join(dir, 'm.pt'), 'pt');
    await fs.mkdir(path.join(dir, 'saved/variables'), { recursive: true });
    for (const f of ['saved/saved_model.pb', 'saved/fingerprint.pb', 'saved/variables/variables.index'])
      await fs.writeFile(path.join(dir, f), 'x');
    await fs.mkdir(path.join(dir, 'code'));
    await fs.writeFile(path.join(dir, 'code/model.py'), 'class TritonPythonModel:\n    pass\n');
    await fs.writeFile(path.join(dir, 'code/helpers.py'), '');
    await fs.writeFile(path.join(dir, 'code/weights.bin'), 'w');
    await fs.writeFile(
      path.join(dir, 'template.yaml'),
      `TemplateFormatVersion: "2025-03-31"
Description: d
Resources:
  R:
    Type: InferenceService::Tritonserver::${model}
    Workspace: w
    Properties:
      Description: d
      Name: m
      BuiltinThreshold: true
      FlaggingKey: f
      MaxBatchSize: 4
      ${uris}
      InputSignature:
        - Name: x
          MonitoringElement: A/B
          DataType: FP32
          Dims: [-1, 4]
      OutputSignature:
        - Name: f
          DataType: BOOL
          Dims: [-1]
`,
    );
    await buildLocal(path.join(dir, 'template.yaml'));
    const tree = (await listTree(path.join(dir, '.dism-artifacts/build'))).filter((f) => f !== 'template.yaml');
    expect(tree).toEqual(files);
    expect(await fs.readFile(path.join(dir, '.dism-artifacts/build/R/m/config.pbtxt'), 'utf8')).toContain(platform);
  });
});
