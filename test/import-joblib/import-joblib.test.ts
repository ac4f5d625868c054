import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { discoverEngine } from '@/backend/engine/discovery';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findStudioContainers, ROLE_LABEL, studioLabels } from '@/backend/engine/labels';
import { runOneShotContainer } from '@/backend/engine/run-container';
import { importJoblib, IMPORT_ROLE } from '@/backend/import-joblib/import-joblib';
import { readNpyFile } from '@/backend/pipeline/npy';
import { runCli } from '@/backend/cli/main';
import { compilePresetFiles, loadPresetFile, openSessions } from '@/backend/pipeline/preset-io';

/**
 * The runtime image is dism-test/debian-base:bookworm (python3-sklearn, python3-joblib from
 * Debian). A PixelNMF-like model is trained and pickled in it, then imported as a user would.
 */
const IMAGE = 'dism-test/debian-base:bookworm';
const CODEURI = path.resolve(__dirname, '../fixtures/pixelnmf-codeuri');
// The client the app itself gets from discovery.
const docker = (await discoverEngine()).docker ?? new Docker({ socketPath: '/var/run/docker.sock' });
const haveImage = await docker
  .getImage(IMAGE)
  .inspect()
  .then(
    () => true,
    () => false,
  );

let tmp: string;
let project: string;
let made: string;

function template(modelUri: string, codeUri = 'mlserver-model/'): string {
  return [
    'TemplateFormatVersion: "2025-03-31"',
    'Resources:',
    '  PixelNMF:',
    '    Type: InferenceService::MLServer::SKLearn',
    '    Properties:',
    '      Name: test-pixel-nmf',
    `      Image: ${IMAGE}`,
    '      InputSignature:',
    '        - Name: BPix2',
    '          MonitoringElement: PixelPhase1/Phase1_MechanicalView/PXBarrel/clusters_per_SignedModuleCoord_per_SignedLadderCoord_PXLayer_2',
    '          DataType: INT32',
    '          Dims: [-1, 58, 72]',
    '        - Name: BPix3',
    '          MonitoringElement: PixelPhase1/Phase1_MechanicalView/PXBarrel/clusters_per_SignedModuleCoord_per_SignedLadderCoord_PXLayer_3',
    '          DataType: INT32',
    '          Dims: [-1, 90, 72]',
    `      CodeUri: ${codeUri}`,
    '      Handler: app.Handler',
    `      ModelUri: ${modelUri}`,
    '',
  ].join('\n');
}

beforeAll(async () => {
  if (!haveImage) return;
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'dism-import-'));
  made = path.join(tmp, 'made');
  await fs.mkdir(made);
  const lines: string[] = [];
  const { exitCode } = await runOneShotContainer(
    docker,
    {
      Image: IMAGE,
      Cmd: ['python3', '/make.py', '/code', '/out'],
      Env: ['PYTHONDONTWRITEBYTECODE=1'],
      Labels: studioLabels({ role: 'test-make-model' }),
      HostConfig: {
        NetworkMode: 'none',
        Binds: [`${CODEURI}:/code:ro`, `${path.join(__dirname, 'make_test_model.py')}:/make.py:ro`, `${made}:/out`],
      },
    },
    { onLine: (_s, t) => lines.push(t) },
  );
  if (exitCode !== 0) throw new Error(`making the test model failed:\n${lines.join('\n')}`);
  project = path.join(tmp, 'project');
  await fs.cp(CODEURI, path.join(project, 'mlserver-model'), { recursive: true });
  for (const f of ['pixelnmf.joblib', 'not_pixelnmf.joblib'])
    await fs.copyFile(path.join(made, f), path.join(project, 'mlserver-model', f));
  await fs.writeFile(path.join(project, 'template.yaml'), template('mlserver-model/pixelnmf.joblib'));
}, 240_000);

afterAll(async () => {
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

function compare(a: ArrayLike<number>, b: ArrayLike<number>) {
  let maxDiff = 0;
  let maxRef = 0;
  let sq = 0;
  let ref = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    maxDiff = Math.max(maxDiff, Math.abs(d));
    maxRef = Math.max(maxRef, Math.abs(b[i]));
    sq += d * d;
    ref += b[i] * b[i];
  }
  return { maxDiff, maxRef, relRms: Math.sqrt(sq / ref) };
}

describe.skipIf(!haveImage)('import a trained PixelNMF (joblib) for the preview', () => {
  it('extracts in the runtime image, writes ONNX + preset, and the preview reconstructs as scikit-learn does', async () => {
    const log: string[] = [];
    const r = await importJoblib(docker, {
      template: path.join(project, 'template.yaml'),
      resource: 'PixelNMF',
      onLine: (l) => log.push(l),
    });
    expect(r.presetFile).toBe(path.join(project, 'preview-PixelNMF', 'preset.json'));
    expect(r.className).toBe('pixelnmf.PixelNMF');
    expect(r.layers.map((l) => [l.name, l.nComponents, l.xshape])).toEqual([
      ['BPix2', 3, [56, 64]],
      ['BPix3', 3, [88, 64]],
    ]);
    expect(log.join('\n')).toContain('extract: 2 monitoring elements');

    // The preview engine loads the preset as it is.
    const loaded = await loadPresetFile(r.presetFile);
    expect(loaded.preset.layers.map((l) => [l.name, l.cross])).toEqual([
      ['BPix2', { rows: [28, 30], columns: [32, 40] }],
      ['BPix3', { rows: [44, 46], columns: [32, 40] }],
    ]);
    expect(loaded.preset.thresholds).toEqual([{ lossThreshold: 0.04, pattern: { ones: [2, 16] }, filterThreshold: 1.5 }]);
    expect(loaded.preset.flagging.patterns).toEqual([{ ones: [1, 8] }, { ones: [2, 4] }]);
    const mask = await readNpyFile(path.join(loaded.dir, loaded.preset.layers[0].lossMask));
    expect(mask.dtype).toBe('bool');
    expect(Array.from(mask.data).filter((v) => !v)).toHaveLength(8);
    const cp = await compilePresetFiles(loaded);
    const sessions = await openSessions(loaded, cp);
    try {
      for (const [i, s] of sessions.entries()) {
        const x = await readNpyFile(path.join(made, `x_${i}.npy`));
        const rec = await s.run(x.data as Float32Array, 8);
        // The graph itself: same updates as numpy in float64, to float32 precision.
        const mu = compare(rec, (await readNpyFile(path.join(made, `mu_${i}.npy`))).data);
        expect(mu.maxDiff).toBeLessThan(1e-4 * mu.maxRef);
        // scikit-learn's exact transform: the ONNX graph approximates it with 200 multiplicative updates.
        const sk = compare(rec, (await readNpyFile(path.join(made, `sklearn_${i}.npy`))).data);
        console.log(
          `${s.layer}: ONNX vs sklearn relative RMS ${sk.relRms.toExponential(2)}, max |diff| ${sk.maxDiff.toExponential(2)} (max value ${sk.maxRef.toFixed(2)})`,
        );
        expect(sk.relRms).toBeLessThan(1e-2);
        expect(sk.maxDiff).toBeLessThan(0.05 * sk.maxRef);
      }
    } finally {
      await Promise.all(sessions.map((s) => s.close()));
    }
    expect(await findStudioContainers(docker, { [ROLE_LABEL]: IMPORT_ROLE })).toEqual([]);
  }, 120_000);

  it('says when the file is not a PixelNMF, with the script output', async () => {
    await fs.writeFile(path.join(project, 'other.yaml'), template('mlserver-model/not_pixelnmf.joblib'));
    // overwrite: this project already holds the import of the first test.
    const err = await importJoblib(docker, { template: path.join(project, 'other.yaml'), resource: 'PixelNMF', overwrite: true }).catch(
      (e) => e,
    );
    expect(err.code).toBe('IMPORT_FAILED');
    expect(err.message).toMatch(/is not a PixelNMF model: the file holds a builtins.dict/);
    expect(err.details.output.join('\n')).toContain('extract: not-pixelnmf');
  }, 60_000);

  it('says when unpickling fails because CodeUri lacks the classes', async () => {
    await fs.mkdir(path.join(project, 'empty-code'), { recursive: true });
    await fs.writeFile(path.join(project, 'nocode.yaml'), template('mlserver-model/pixelnmf.joblib', 'empty-code/'));
    const err = await importJoblib(docker, { template: path.join(project, 'nocode.yaml'), resource: 'PixelNMF', overwrite: true }).catch(
      (e) => e,
    );
    expect(err.message).toMatch(/Could not load .*pixelnmf\.joblib.*ModuleNotFoundError: No module named 'pixelnmf'.*CodeUri/);
    expect(err.details.output.join('\n')).toContain('Traceback');
  }, 60_000);

  it('names a missing image and a missing resource', async () => {
    await expect(
      importJoblib(docker, { template: path.join(project, 'template.yaml'), resource: 'PixelNMF', image: 'dism-test/nope:1' }),
    ).rejects.toThrow(/dism-test\/nope:1 is not available.*--image/);
    await expect(importJoblib(docker, { template: path.join(project, 'template.yaml'), resource: 'Other' })).rejects.toThrow(
      /no resource "Other" \(resources: PixelNMF\)/,
    );
  });

  it('works from the CLI: dism-studio import-joblib <template> --resource KEY --image IMAGE --overwrite --json', async () => {
    const out: string[] = [];
    // --overwrite: the first test imported into this project already.
    const code = await runCli(['import-joblib', 'template.yaml', '--resource', 'PixelNMF', '--image', IMAGE, '--overwrite', '--json'], {
      out: (t) => out.push(t),
      err: () => undefined,
      signal: new AbortController().signal,
      cwd: project,
      env: { ...process.env, DOCKER_HOST: 'unix:///var/run/docker.sock' },
    });
    expect(code).toBe(0);
    expect(JSON.parse(out.join('\n'))).toMatchObject({ presetFile: path.join(project, 'preview-PixelNMF', 'preset.json'), image: IMAGE });
  }, 60_000);
});
