import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pixelBarrelPreset } from '@/shared/preset/pixel-barrel';
import { LAYERS, REFERENCE_DIR } from './fixture';

// onnxruntime-node records telemetry about every session (model graph and producer names, device
// usage) under ~/.cache/Microsoft/DeveloperTools/.onnxruntime and uploads it to Microsoft's
// collector unless ORT_DISABLE_TELEMETRY is set. Each case runs in its own process with its own
// HOME, so what onnxruntime writes there can be seen.

const run = promisify(execFile);
const REPO = path.resolve(REFERENCE_DIR, '../../..');
const TELEMETRY_DIR = '.cache/Microsoft/DeveloperTools/.onnxruntime';
let root: string;
let presetFile: string;

async function freshHome(name: string): Promise<string> {
  const home = path.join(root, name);
  await fs.mkdir(home);
  return home;
}

// onnxruntime turns its telemetry off by itself when one of these says it runs in CI (CI=true in
// .ci/run): each case runs as on a user's machine, or the control fails and the others prove nothing.
const CI_MARKERS = [
  'CI',
  'TF_BUILD',
  'GITHUB_ACTIONS',
  'GITLAB_CI',
  'CIRCLECI',
  'TRAVIS',
  'JENKINS_URL',
  'CODEBUILD_BUILD_ID',
  'BUILDKITE',
  'TEAMCITY_VERSION',
  'APPVEYOR',
  'BITBUCKET_BUILD_NUMBER',
];

async function inHome(home: string, args: string[]): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home };
  delete env.ORT_DISABLE_TELEMETRY;
  delete env.XDG_CACHE_HOME;
  for (const name of CI_MARKERS) delete env[name];
  const { stdout } = await run(process.execPath, args, { cwd: REPO, env, maxBuffer: 16 * 2 ** 20 });
  return stdout;
}

const exists = (p: string) =>
  fs.access(p).then(
    () => true,
    () => false,
  );

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'onnx-telemetry-'));
  presetFile = path.join(root, 'preset.json');
  const files = (l: string) => ({
    onnx: path.join(REFERENCE_DIR, `model/nmf_${l}.onnx`),
    localNorm: path.join(REFERENCE_DIR, `model/local_norm_${l}.npy`),
    lossMask: path.join(REFERENCE_DIR, `model/loss_mask_${l}.npy`),
  });
  await fs.writeFile(presetFile, JSON.stringify(pixelBarrelPreset(LAYERS, files)));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe('onnxruntime telemetry stays off', () => {
  it('control: onnxruntime-node used directly writes its telemetry store', async () => {
    const home = await freshHome('direct');
    const script = `import * as ort from 'onnxruntime-node'; import fs from 'node:fs';
      const s = await ort.InferenceSession.create(fs.readFileSync(${JSON.stringify(path.join(REFERENCE_DIR, 'model/nmf_BPix2.onnx'))}));
      await s.release();`;
    await inHome(home, ['--input-type=module', '-e', script]);
    expect(await exists(path.join(home, TELEMETRY_DIR, 'onnxruntime.db'))).toBe(true);
  });

  it('dism-studio preview (onnxruntime in the main thread) writes none', async () => {
    const home = await freshHome('cli');
    const data = LAYERS.flatMap((l) => ['--data', `${l}=${path.join(REFERENCE_DIR, `data/raw_${l}.npy`)}`]);
    const out = await inHome(home, [
      'bin/dism-studio.mjs',
      'preview',
      '--preset',
      presetFile,
      ...data,
      '--runs',
      path.join(REFERENCE_DIR, 'data/run_number.npy'),
      '--lumis',
      path.join(REFERENCE_DIR, 'data/ls_number.npy'),
    ]);
    expect(out).toContain('24 lumisections');
    expect(await exists(path.join(home, '.cache/Microsoft'))).toBe(false);
  });

  it('the back end (pipeline worker thread, what-if in the main thread) writes none', async () => {
    const home = await freshHome('service');
    // the service bundled as the app bundles it, next to the built workers
    const dir = path.join(REPO, 'dist/test-bundles');
    await fs.mkdir(dir, { recursive: true });
    await fs.rm(path.join(dir, 'workers'), { recursive: true, force: true });
    await fs.symlink(path.join(REPO, 'dist/node/workers'), path.join(dir, 'workers'), 'junction');
    const entry = `import { JobManager } from './backend/jobs/job-manager';
      import { PipelineService } from './backend/pipeline/pipeline-service';
      const logs = [];
      const jobs = new JobManager({ update() {}, log: (l) => logs.push(l.text), chunk() {} });
      const service = new PipelineService(jobs, { workers: 1 });
      const r = await service.start(${JSON.stringify({ presetFile, data: { layers: Object.fromEntries(LAYERS.map((l) => [l, path.join(REFERENCE_DIR, `data/raw_${l}.npy`)])) } })});
      const snap = await jobs.wait(r.jobId);
      await service.whatIf(r.sessionId, 0, []);
      await service.dispose();
      console.log(JSON.stringify({ state: snap.state, logs }));`;
    const outfile = path.join(dir, 'onnx-telemetry.mjs');
    await build({
      stdin: { contents: entry, resolveDir: REPO, loader: 'ts' },
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      logLevel: 'warning',
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    });
    const result = JSON.parse(await inHome(home, [outfile]));
    expect(result.state).toBe('succeeded');
    expect(result.logs.join('\n')).not.toMatch(/worker bundle/); // ran in the worker, not in-process
    expect(await exists(path.join(home, '.cache/Microsoft'))).toBe(false);
  });
});
