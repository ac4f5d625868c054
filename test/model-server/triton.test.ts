/**
 * Triton from DISM Studio on the real engine: local build → start-api → ready → DIALS-style test
 * inference → stop, for the Triton demo (ONNX) and a Python-backend model, and each failure told at
 * its template field. The server is the Triton stand-in image (dism-test/tritonserver:23.05-py3, a
 * TEST STAND-IN for nvcr.io/nvidia/tritonserver:23.05-py3, which cannot be pulled here; see
 * test/stand-ins/triton/README.md): real ONNX Runtime sessions, real Python processes, real HTTP.
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_DEMO_CONTRIBUTORS } from '@/backend/api/create-backend';
import { buildLocal } from '@/backend/build-local/local-build';
import { readTemplate, requireResource } from '@/backend/build-local/template-source';
import { generateDemoProject, type DemoLumiLabel } from '@/backend/demo/demo-project';
import { TRITON_DEMO } from '@/backend/demo/triton-demo';
import { templateSampleData } from '@/backend/inference/load-inputs';
import { runInference } from '@/backend/inference/run-inference';
import { parseNpy } from '@/backend/pipeline/npy';
import { ApiError } from '@/shared/api/errors';
import type { ServerRun } from '@/shared/api/contract';
import { setValue } from '@/shared/template/edit';
import { templateSkeleton } from '@/shared/template/skeletons';
import { cleanupProject, newManager, studioContainersFor } from './helpers';
import {
  ensureTritonStandIn,
  makeProject,
  mapsNpy,
  METRIC_MODEL_PY,
  pythonTemplate,
  rowMeanOnnx,
  TRITON_STAND_IN_IMAGE,
} from './triton-helpers';
import { FAILING_INIT_PY } from '../stand-ins/triton/test-models';
import { removeStandInContainers, startStandIn, waitForHttp } from '../stand-ins/triton/run-standin';

const dirs: string[] = [];
beforeAll(() => ensureTritonStandIn(), 900_000);
afterAll(async () => {
  for (const d of dirs) await cleanupProject(d);
  await removeStandInContainers();
});

async function project(files: Record<string, string | Uint8Array>) {
  const p = await makeProject(files);
  dirs.push(p.dir);
  return p;
}

/** Start through the manager and wait for the end of the start (ready, or the error it failed with). */
async function startAndWait(templateFile: string) {
  const { manager, jobs } = newManager();
  const run = await manager.start({ templateFile, image: TRITON_STAND_IN_IMAGE, readyTimeoutS: 120 });
  const outcome = await manager.waitReady(run.id).then(
    (r) => ({ ready: r as ServerRun, error: undefined }),
    (e: ApiError) => ({ ready: undefined, error: e }),
  );
  // a failed start has still to stop, remove its container and save its logs
  if (outcome.error) await manager.waitEnded(run.id);
  return { manager, jobs, run, ...outcome };
}

describe('the Triton demo project on the stand-in image: build → start-api → ready → test inference → stop', () => {
  let dir: string;
  let labels: DemoLumiLabel[];
  beforeAll(async () => {
    dir = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'dism-triton-demo-')), 'demo');
    dirs.push(path.dirname(dir));
    ({ labels } = await generateDemoProject(dir, { variant: 'triton', contributors: APP_DEMO_CONTRIBUTORS }));
  }, 120_000);

  it('serves the ONNX autoencoder, answers every LS as onnxruntime does on the host, flags the anomalous LS, and leaves nothing behind', async () => {
    const { manager, jobs, run, ready, error } = await startAndWait(path.join(dir, 'template.yaml'));
    expect(error).toBeUndefined();
    expect(ready!.framework).toBe('Tritonserver');
    expect(ready!.modelName).toBe(TRITON_DEMO.name);
    // the default Triton port (8000), or the next free one
    expect(ready!.hostPort).toBeGreaterThanOrEqual(8000);
    const logText = jobs
      .logs(run.id, 0, 100_000)
      .map((l) => l.text)
      .join('\n');
    expect(logText).toContain(`successfully loaded '${TRITON_DEMO.name}'`);
    expect(logText).toMatch(/Started HTTPService at 0\.0\.0\.0:8000/);
    // readiness is the model's own route
    expect((await fetch(`${ready!.url}/v2/models/${TRITON_DEMO.name}/ready`)).status).toBe(200);

    const t = await readTemplate(path.join(dir, 'template.yaml'));
    const resource = requireResource(t);
    const result = await runInference({
      url: ready!.url!,
      resource,
      template: t,
      baseDir: dir,
      data: await templateSampleData(dir, resource),
    });
    expect(result.lumisections).toHaveLength(labels.length);
    expect(result.outputNames.sort()).toEqual(['anomaly_score', 'score_BPix2', 'score_BPix3', 'score_BPix4']);
    // the request as DIALS sends it: one INT32 [N, ny, nx] input per layer; MaxBatchSize 0, so only the
    // value budget (2 M numbers, 99 LS of 20 016 values) splits the 120 LS
    expect(result.inputs).toEqual([
      { name: 'BPix2', datatype: 'INT32', shape: [99, 58, 72] },
      { name: 'BPix3', datatype: 'INT32', shape: [99, 90, 72] },
      { name: 'BPix4', datatype: 'INT32', shape: [99, 130, 72] },
    ]);
    expect(result.batches).toBe(2);

    // the same model run by onnxruntime-node on the host gives the same numbers
    const session = await ort.InferenceSession.create(path.join(dir, TRITON_DEMO.modelFile));
    const feeds: Record<string, ort.Tensor> = {};
    for (const l of ['BPix2', 'BPix3', 'BPix4']) {
      const a = parseNpy(new Uint8Array(await fs.readFile(path.join(dir, `data/raw_${l}.npy`))));
      feeds[l] = new ort.Tensor('int32', Int32Array.from(a.data as Int32Array), a.shape);
    }
    const host = await session.run(feeds);
    await session.release();
    for (const name of result.outputNames) {
      const expected = Array.from(host[name].data as Float32Array);
      expect(result.lumisections.map((l) => l.outputs[name])).toEqual(expected);
    }

    // DIALS's rule for this template: anomaly_score above AnomalyThreshold
    expect(result.decision).toMatchObject({ rule: 'AnomalyThreshold', output: 'anomaly_score' });
    const flagged = result.lumisections.filter((l) => l.flagged).map((l) => labels[l.index].label);
    expect(flagged.sort()).toEqual(
      ['hot2', 'hot2', 'low_stat', 'outage2', 'outage2_low_hlt', 'outage3', 'outage3', 'outage3_bpix_not_ready'].sort(),
    );
    expect(result.decision!.flagged).toBe(8);

    const stopped = await manager.stop(run.id);
    expect(stopped.state).toBe('stopped');
    expect(await studioContainersFor(dir)).toHaveLength(0);
    expect(await fs.readFile(path.join(stopped.runDir!, 'model-server.log'), 'utf8')).toContain(
      `successfully loaded '${TRITON_DEMO.name}'`,
    );
  }, 300_000);
});

describe('the CLI with Triton: start-api and infer on the demo, a load failure explained', () => {
  /** `dism-studio …` in `cwd`: resolves with its exit code and output; `until` lets the test act while it runs. */
  function cli(args: string[], cwd: string) {
    const child = spawn(process.execPath, [path.resolve('dist/node/cli.mjs'), ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    return {
      child,
      exited,
      output: () => out,
      async until(text: string | RegExp, timeoutMs = 120_000) {
        const t0 = Date.now();
        const seen = () => (typeof text === 'string' ? out.includes(text) : text.test(out));
        while (!seen() && child.exitCode === null && Date.now() - t0 < timeoutMs) await new Promise((r) => setTimeout(r, 100));
        if (!seen()) throw new Error(`no "${String(text)}" in:\n${out}`);
      },
    };
  }

  it('start-api serves the Triton demo until Ctrl+C; infer answers every LS and says what DIALS would flag', async () => {
    const dir = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'dism-triton-cli-')), 'demo');
    dirs.push(path.dirname(dir));
    await generateDemoProject(dir, { variant: 'triton', contributors: APP_DEMO_CONTRIBUTORS });
    const server = cli(['start-api', 'template.yaml', '--resource', TRITON_DEMO.resourceKey, '--image', TRITON_STAND_IN_IMAGE], dir);
    await server.until(/Ready: (http:\/\/127\.0\.0\.1:\d+)/);
    const url = /Ready: (http:\/\/127\.0\.0\.1:\d+)/.exec(server.output())![1];
    expect(server.output()).toContain(`successfully loaded '${TRITON_DEMO.name}'`);
    const data = ['BPix2', 'BPix3', 'BPix4'].flatMap((l) => ['--data', `${l}=data/raw_${l}.npy`]);
    const infer = cli(
      ['infer', '--url', url, '--model', TRITON_DEMO.name, ...data, '--runs', 'data/run_number.npy', '--lumis', 'data/ls_number.npy'],
      dir,
    );
    expect(await infer.exited).toBe(0);
    const lines = infer.output().split('\n');
    expect(lines[0]).toMatch(/^ +run +LS +anomaly_score +score_BPix2 +score_BPix3 +score_BPix4$/);
    expect(lines.filter((l) => /^ +39810[01] +\d+ /.test(l))).toHaveLength(120);
    expect(infer.output()).toContain('120 lumisections in 2 request(s)');
    expect(infer.output()).toMatch(
      /DIALS would flag 8 of 120 lumisections \(MetricKey output anomaly_score above AnomalyThreshold [\d.]+\): 398100:7, 398100:15, /,
    );
    server.child.kill('SIGINT');
    expect(await server.exited).toBe(0);
    expect(server.output()).toContain('Stopped and removed the container');
    expect(await studioContainersFor(dir)).toHaveLength(0);
  }, 300_000);

  it("start-api on a model Triton cannot load exits 1 with the field and the server's words", async () => {
    const p = await project({
      'template.yaml': pythonTemplate({ name: 'py-cli-init', metadata: false }),
      'code/model.py': FAILING_INIT_PY,
      'code/scale.txt': '1',
    });
    const run = cli(['start-api', 'template.yaml', '--image', TRITON_STAND_IN_IMAGE], p.dir);
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain('Triton could not load the model py-cli-init and stopped (exit code 1):');
    expect(run.output()).toContain(
      'Resources.Py.Properties.CodeUri (template.yaml line 14): model.py failed while running initialize() (model.py line 6): ValueError: cannot open the calibration file py-cli-init.npz.',
    );
    expect(run.output()).toContain('The server said: Internal: ValueError: cannot open the calibration file py-cli-init.npz');
    expect(await studioContainersFor(p.dir)).toHaveLength(0);
  }, 180_000);
});

describe('a Triton Python-backend model on the stand-in image: build → start-api → ready → test inference → stop', () => {
  it('sends the maps and the metadata input, reads NaN and Infinity back, and stops', async () => {
    const p = await project({
      'template.yaml': pythonTemplate(),
      'code/model.py': METRIC_MODEL_PY,
      'code/scale.txt': '2\n',
      'data/a.npy': mapsNpy([1, 2, 3, 4, 0, 0, 0, 1, 5, 5, 5, 5, 1, 1, 1, 1]),
    });
    const { manager, jobs, run, ready, error } = await startAndWait(p.template);
    expect(error).toBeUndefined();
    expect(jobs.logs(run.id, 0, 100_000).some((l) => l.text.includes('metric model ready, scale 2.0'))).toBe(true);
    const t = await readTemplate(p.template);
    const result = await runInference({
      url: ready!.url!,
      resource: requireResource(t),
      template: t,
      baseDir: p.dir,
      // pileup NaN (sent as the bare literal NaN, as Python clients do) and 0 (the model divides by it)
      data: { files: { A: 'data/a.npy' }, metadata: { oms__pileup: [2, 4, Number.NaN, 0] } },
    });
    expect(result.inputs).toEqual([
      { name: 'A', datatype: 'INT32', shape: [4, 2, 2] },
      { name: 'oms__pileup', datatype: 'FP32', shape: [4] },
    ]);
    expect(result.lumisections.map((l) => l.outputs)).toEqual([
      { Metric: 10, Total: 10 },
      { Metric: 0.5, Total: 1 },
      // non-finite floats arrive as Triton writes them (bare NaN/Infinity) and travel as text
      { Metric: 'NaN', Total: 20 },
      { Metric: 'Infinity', Total: 4 },
    ]);
    expect(result.lumisections.map((l) => l.flagged)).toEqual([true, false, false, true]);
    await manager.stop(run.id);
    expect(await studioContainersFor(p.dir)).toHaveLength(0);
  }, 300_000);
});

describe('clear messages, each at the template field it comes from', () => {
  it('an ONNX model whose input name and dims disagree with the template is refused before any container starts', async () => {
    const template = setValue(
      setValue(
        templateSkeleton({ type: 'InferenceService::Tritonserver::ONNX', resourceKey: 'M' }),
        ['Resources', 'M', 'Properties', 'InputSignature', 0, 'Dims'],
        [-1, 50],
      ).text,
      ['Resources', 'M', 'Properties', 'OutputSignature', 0, 'Name'],
      'Metric',
    ).text;
    // the model takes "x" [N, 100]; the template says input_0 [-1, 50]
    const p = await project({ 'template.yaml': template, 'model/model.onnx': rowMeanOnnx('x', 100, 'Metric') });
    const { manager } = newManager();
    const err = (await manager.start({ templateFile: p.template, image: TRITON_STAND_IN_IMAGE }).catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.code).toBe('TEMPLATE_CHECK_FAILED');
    expect(err.message.split('\n')[0]).toBe(
      'M cannot be served as the template stands (1 problem); fix it in the Template step and start again:',
    );
    const problems = (err.details as { problems: Array<{ path: string; line: number; rule: string; message: string }> }).problems;
    expect(problems.map((x) => [x.rule, x.path])).toEqual([['onnx-name', 'Resources.M.Properties.InputSignature[0].Name']]);
    expect(problems[0].message).toBe(
      'InputSignature "input_0" has no input of that name in model.onnx (it has: x); Triton matches tensors by name and will refuse to load the model.',
    );
    expect(problems[0].line).toBeGreaterThan(0);
    // with the name right, the dims
    const renamed = setValue(template, ['Resources', 'M', 'Properties', 'InputSignature', 0, 'Name'], 'x').text;
    await fs.writeFile(p.template, renamed);
    const err2 = (await manager.start({ templateFile: p.template, image: TRITON_STAND_IN_IMAGE }).catch((e: unknown) => e)) as ApiError;
    const dims = (err2.details as { problems: Array<{ path: string; message: string }> }).problems;
    expect(dims.map((x) => x.path)).toEqual(['Resources.M.Properties.InputSignature[0].Dims']);
    expect(dims[0].message).toBe(
      'Dims [-1, 50] do not match model.onnx\'s input "x" of shape [N, 100]: dimension 1 is 50 in the template but 100 in the model. Triton will refuse to load the model.',
    );
    expect(await studioContainersFor(p.dir)).toHaveLength(0);
    expect(manager.list(p.dir)).toEqual([]);
  });

  it("a config.pbtxt Triton cannot read: protobuf's line traced to the InputSignature Name that wrote it", async () => {
    const p = await project({
      'template.yaml': pythonTemplate({ name: 'py-quote', inputName: 'A"B', metadata: false }),
      'code/model.py': METRIC_MODEL_PY,
      'code/scale.txt': '1',
    });
    const { run, error, manager } = await startAndWait(p.template);
    expect(error?.code).toBe('MODEL_LOAD_FAILED');
    const final = await manager.waitEnded(run.id);
    expect(final.state).toBe('exited');
    expect(final.problems).toHaveLength(1);
    const [problem] = final.problems!;
    expect(problem.path).toBe('Resources.Py.Properties.InputSignature[0].Name');
    expect(problem.line).toBe(17);
    expect(problem.server).toMatch(/^Error parsing text-format inference\.ModelConfig: 5:\d+: /);
    expect(problem.explanation).toMatch(
      /^Triton cannot read config\.pbtxt: line 5 \(name: "A"B"\) .*That line is written from this field as it is, without escaping \(as dismcli does\): a name with a double quote or a backslash breaks the file\./,
    );
    expect(error!.message.split('\n')[0]).toBe('Triton could not load the model py-quote and stopped (exit code 1):');
    expect(await studioContainersFor(p.dir)).toHaveLength(0);
  }, 180_000);

  it("a config.pbtxt Triton refuses (a Dims size of 0): the server's reason at the Dims it came from", async () => {
    const p = await project({
      'template.yaml': pythonTemplate({ name: 'py-zero', dims: '[-1, 0, 2]', metadata: false }),
      'code/model.py': METRIC_MODEL_PY,
      'code/scale.txt': '1',
    });
    const { run, error, manager } = await startAndWait(p.template);
    expect(error?.code).toBe('MODEL_LOAD_FAILED');
    const [problem] = (await manager.waitEnded(run.id)).problems!;
    expect(problem).toMatchObject({
      path: 'Resources.Py.Properties.InputSignature[0].Dims',
      server: 'Invalid argument: model input dimension must be integer >= 1, or -1 to indicate a variable-size dimension for py-zero',
      explanation:
        'Dims [-1, 0, 2] of InputSignature "A" has a size below 1: every size must be a positive number, or -1 for a size that varies.',
    });
  }, 180_000);

  it('a Python model whose initialize() raises: the Python error and its model.py line, at CodeUri', async () => {
    const p = await project({
      'template.yaml': pythonTemplate({ name: 'py-init', metadata: false }),
      'code/model.py': FAILING_INIT_PY,
      'code/scale.txt': '1',
    });
    const { run, error, manager } = await startAndWait(p.template);
    expect(error?.code).toBe('MODEL_LOAD_FAILED');
    const [problem] = (await manager.waitEnded(run.id)).problems!;
    expect(problem.path).toBe('Resources.Py.Properties.CodeUri');
    expect(problem.server).toMatch(
      /^Internal: ValueError: cannot open the calibration file py-init\.npz\n\nAt:\n {2}.*model\.py\(6\): initialize/,
    );
    expect(problem.explanation).toBe(
      'model.py failed while running initialize() (model.py line 6): ValueError: cannot open the calibration file py-init.npz. Triton does not serve a model whose loading fails.',
    );
    expect(error!.message).toContain('Resources.Py.Properties.CodeUri (template.yaml line 14): model.py failed while running initialize()');
  }, 180_000);

  it("a request whose shape the model refuses (MaxBatchSize 4 on Dims with the batch -1): Triton's words, at MaxBatchSize", async () => {
    const p = await project({
      'template.yaml': pythonTemplate({ name: 'py-batch', maxBatchSize: 4, metadata: false }),
      'code/model.py': METRIC_MODEL_PY,
      'code/scale.txt': '1',
      'data/a.npy': mapsNpy(Array.from({ length: 6 * 4 }, (_, i) => i % 5)),
    });
    const { manager, run, ready, error } = await startAndWait(p.template);
    expect(error).toBeUndefined();
    const t = await readTemplate(p.template);
    const err = (await runInference({
      url: ready!.url!,
      resource: requireResource(t),
      template: t,
      baseDir: p.dir,
      data: { files: { A: 'data/a.npy' } },
    }).catch((e: unknown) => e)) as ApiError;
    expect(err.code).toBe('INFER_REFUSED');
    const [problem] = (err.details as { problems: Array<{ path: string; server: string; explanation: string }> }).problems;
    expect(problem.path).toBe('Resources.Py.Properties.MaxBatchSize');
    // at most MaxBatchSize LS per request: Triton answers about the shape, not the batch size
    expect(problem.server).toBe(
      "[request id: <id_unknown>] unexpected shape for input 'A' for model 'py-batch'. Expected [-1,-1,2,2], got [4,2,2]. NOTE: Setting a non-zero max_batch_size in the model config requires a batch dimension to be prepended to each input shape. If you want to specify the full shape including the batch dim in your input dims config, try setting max_batch_size to zero. See the model configuration docs for more info on max_batch_size.",
    );
    expect(problem.explanation).toMatch(
      /^Triton refused the request: InputSignature "A" was sent as \[4, 2, 2\] \(one entry per lumisection, as DIALS sends it\), and the model configuration expects \[-1, -1, 2, 2\] \(Triton's batch dimension, because MaxBatchSize is 4, followed by Dims \[-1, 2, 2\]\)\. DISM writes Dims into config\.pbtxt as they are/,
    );
    expect(err.message).toContain('request 1 of 2, lumisections 1–4');
    await manager.stop(run.id);
  }, 180_000);

  it("a Python model's execute() that raises on a request: the Python error and its line, at CodeUri", async () => {
    const p = await project({
      'template.yaml': pythonTemplate({ name: 'py-exec', metadata: false }),
      'code/model.py': METRIC_MODEL_PY,
      'code/scale.txt': '1',
      'data/a.npy': mapsNpy([7, 0, 0, 0]),
    });
    const { manager, run, ready } = await startAndWait(p.template);
    const t = await readTemplate(p.template);
    const err = (await runInference({
      url: ready!.url!,
      resource: requireResource(t),
      template: t,
      baseDir: p.dir,
      data: { files: { A: 'data/a.npy' } },
    }).catch((e: unknown) => e)) as ApiError;
    expect(err.code).toBe('INFER_REFUSED');
    const [problem] = (err.details as { problems: Array<{ path: string; explanation: string }> }).problems;
    expect(problem.path).toBe('Resources.Py.Properties.CodeUri');
    expect(problem.explanation).toMatch(
      /^model\.py raised RuntimeError in execute\(\) \(model\.py line \d+\) on this request: a first count of 7 is not allowed\.$/,
    );
    await manager.stop(run.id);
  }, 180_000);
});

describe("every Triton type the template editor creates: the config.pbtxt DISM Studio writes passes the stand-in's strict parser (TEST STAND-IN image)", () => {
  it('ONNX and Python load and run; TorchScript and SavedModel: layout and config only (the stand-in has no PyTorch/TensorFlow backend), with MaxBatchSize 0 and 8', async () => {
    const types = ['ONNX', 'Python', 'Torchscript', 'TensorflowSavedModel'] as const;
    const resources: string[] = [];
    for (const type of types)
      for (const mbs of [0, 8]) {
        const key = `${type}${mbs}`;
        let text = templateSkeleton({
          type: `InferenceService::Tritonserver::${type}`,
          resourceKey: key,
          name: `${type.toLowerCase()}-${mbs}`,
        });
        text = setValue(text, ['Resources', key, 'Properties', 'MaxBatchSize'], mbs).text;
        resources.push(text.slice(text.indexOf(`  ${key}:`)));
      }
    const header = `TemplateFormatVersion: "2025-03-31"\nDescription: every Triton type\nResources:\n`;
    const p = await project({
      'template.yaml': header + resources.join(''),
      'model/model.onnx': rowMeanOnnx('input_0', 100, 'Metric'),
      'model/model.py': METRIC_MODEL_PY.replace('"A"', '"input_0"'),
      'model/scale.txt': '1',
      'model/model.pt': 'PK (not a real TorchScript archive)',
      'model/saved_model/saved_model.pb': 'x',
      'model/saved_model/fingerprint.pb': 'x',
      'model/saved_model/variables/variables.index': 'x',
    });
    await fs.writeFile(path.join(p.dir, 'model/model.onnx'), rowMeanOnnx('input_0', 100, 'Metric'));
    const built = await buildLocal(p.template);
    const repositories = Object.fromEntries(built.resources.map((r) => [`/models/${r.key}`, r.dir]));
    const s = await startStandIn({ repositories, args: ['--exit-on-error=false'] });
    await waitForHttp(s, 120_000);
    const log = await s.log();
    expect(log).not.toContain('libprotobuf ERROR');
    expect(log).not.toContain('Poll failed');
    const status = (m: string) =>
      new RegExp(`^\\| ${m.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} +\\| 1 +\\| (.*?) *\\|$`, 'm').exec(log)?.[1];
    expect(status('onnx-0')).toBe('READY');
    expect(status('python-0')).toBe('READY');
    expect(status('python-8')).toBe('READY');
    // with MaxBatchSize 8 Triton's batch dimension comes on top of Dims [-1, 100]: the ONNX Runtime backend refuses the [N, 100] model
    expect(status('onnx-8')).toMatch(/^UNAVAILABLE: Invalid argument: model 'onnx-8', tensor 'input_0': the model expects 2 dimensions/);
    for (const m of ['torchscript-0', 'torchscript-8'])
      expect(status(m)).toMatch(/^UNAVAILABLE: Unsupported: TEST STAND-IN: this image has no 'pytorch' backend/);
    for (const m of ['tensorflowsavedmodel-0', 'tensorflowsavedmodel-8'])
      expect(status(m)).toMatch(/^UNAVAILABLE: Unsupported: TEST STAND-IN: this image has no 'tensorflow' backend/);
    const r = await fetch(`${s.url}/v2/models/onnx-0/infer`, {
      method: 'POST',
      body: JSON.stringify({
        inputs: [{ name: 'input_0', datatype: 'FP32', shape: [1, 100], data: Array.from({ length: 100 }, (_, i) => i) }],
      }),
    });
    expect(((await r.json()) as { outputs: Array<{ data: number[] }> }).outputs[0].data).toEqual([49.5]);
    expect(await s.stop()).toBe(0);
  }, 300_000);
});
