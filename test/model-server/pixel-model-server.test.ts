import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runOneShotContainer } from '@/backend/engine/run-container';
import { runInference } from '@/backend/inference/run-inference';
import { readTemplate, requireResource } from '@/backend/build-local/template-source';
import { readNpyFile } from '@/backend/pipeline/npy';
import { runCli } from '@/backend/cli/main';
import { cleanupProject, docker, ensureStandInImage, newManager, STAND_IN_IMAGE, studioContainersFor } from './helpers';

const FIXTURE = path.resolve('test/fixtures/pixelnmf-reference');
const LAYERS = ['BPix2', 'BPix3', 'BPix4'];

/**
 * The production pixel template with the demo model server handler (demo-assets/mlserver-model)
 * and a model.npz made from the reference fixture's NMF components, local norms and loss masks:
 * start-api on it must flag exactly the lumisections the reference pipeline flags.
 */
async function makePixelProject(): Promise<{ dir: string; template: string }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dism-pixel-'));
  await fs.chmod(dir, 0o755);
  const code = path.join(dir, 'mlserver-model');
  await fs.cp(path.resolve('demo-assets/mlserver-model'), code, { recursive: true });
  const template = (await fs.readFile('test/fixtures/templates/pixel-barrel-nmf.template.yaml', 'utf8')).replace(
    'ModelUri: mlserver-model/pixelnmf.joblib',
    'ModelUri: mlserver-model/model.npz',
  );
  await fs.writeFile(path.join(dir, 'template.yaml'), template);
  const args = LAYERS.map(
    (l) => `${l}=/fixture/model/components_${l}.npy,/fixture/model/local_norm_${l}.npy,/fixture/model/loss_mask_${l}.npy`,
  );
  const lines: string[] = [];
  const { exitCode } = await runOneShotContainer(
    docker,
    {
      Image: STAND_IN_IMAGE,
      User: '0:0',
      Cmd: ['python3', '/code/make_model_npz.py', '/code/model.npz', ...args],
      HostConfig: { Binds: [`${FIXTURE}:/fixture:ro`, `${code}:/code`] },
      Labels: { 'dism.project': dir },
    },
    { onLine: (_s, t) => lines.push(t) },
  );
  expect(exitCode, lines.join('\n')).toBe(0);
  return { dir, template: path.join(dir, 'template.yaml') };
}

describe('demo model server handler on the pixel template (real container)', () => {
  let project: { dir: string; template: string };
  beforeAll(async () => {
    ensureStandInImage();
    project = await makePixelProject();
  }, 300_000);
  afterAll(async () => {
    if (project) await cleanupProject(project.dir);
  });

  it('flags the same lumisections as the reference pipeline, via the DIALS-style request, in batches', async () => {
    const { manager } = newManager();
    const run = await manager.start({ templateFile: project.template, image: STAND_IN_IMAGE, port: 18600 });
    const ready = await manager.waitReady(run.id);
    try {
      const template = await readTemplate(project.template);
      const resource = requireResource(template, 'PixelNMF');
      const reference = Array.from((await readNpyFile(path.join(FIXTURE, 'reference/onnx/flags.npy'))).data, Boolean);
      const result = await runInference({
        url: ready.url!,
        resource,
        baseDir: FIXTURE,
        data: {
          files: Object.fromEntries(LAYERS.map((l) => [l, `data/raw_${l}.npy`])),
          runs: 'data/run_number.npy',
          lumis: 'data/ls_number.npy',
          oms: 'data/omsdata_Run2025F-v1.json',
          hlt: 'data/hltrate_Run2025F-v1.json',
        },
        previewFlags: reference,
        // 24 LS × 20 016 values: force several requests
        maxValuesPerRequest: 200_000,
        saveDir: ready.runDir,
      });
      expect(result.batches).toBe(3);
      expect(result.inputs.map((i) => i.name)).toEqual([
        'BPix2',
        'BPix3',
        'BPix4',
        ...[
          'run_number',
          'lumisection_number',
          'pileup',
          'cms_active',
          'beams_stable',
          'bpix_ready',
          'fpix_ready',
          'tibtid_ready',
          'tob_ready',
          'tecp_ready',
          'tecm_ready',
        ].map((a) => `oms_lumisection_info__${a}`),
        'hlt_zerobias__rate',
      ]);
      expect(result.inputs[0]).toEqual({ name: 'BPix2', datatype: 'INT32', shape: [9, 58, 72] });
      expect(result.inputs.find((i) => i.name === 'oms_lumisection_info__pileup')?.datatype).toBe('FP32');
      expect(result.inputs.find((i) => i.name === 'oms_lumisection_info__bpix_ready')?.datatype).toBe('BOOL');
      expect(result.lumisections).toHaveLength(24);
      expect(result.lumisections.map((l) => l.outputs.Flag)).toEqual(reference);
      expect(result.comparison).toMatchObject({ compared: 24, agree: 24, disagreements: [] });
      expect(result.lumisections[0].run).toBe(398011);
      expect(await fs.stat(result.savedTo!)).toBeTruthy();

      // a preview that disagrees on one LS is listed
      const off = [...reference];
      off[3] = !off[3];
      const again = await runInference({
        url: ready.url!,
        resource,
        baseDir: FIXTURE,
        data: {
          files: Object.fromEntries(LAYERS.map((l) => [l, `data/raw_${l}.npy`])),
          runs: 'data/run_number.npy',
          lumis: 'data/ls_number.npy',
          oms: 'data/omsdata_Run2025F-v1.json',
          hlt: 'data/hltrate_Run2025F-v1.json',
        },
        previewFlags: off,
      });
      expect(again.comparison?.disagreements).toEqual([
        { index: 3, run: again.lumisections[3].run, ls: again.lumisections[3].ls, server: reference[3], preview: off[3] },
      ]);

      // the CLI sends the same request
      const out: string[] = [];
      const code = await runCli(
        [
          'infer',
          '--url',
          ready.url!,
          '--model',
          'pixel-barrel-nmf',
          '--template',
          project.template,
          ...LAYERS.flatMap((l) => ['--data', `${l}=data/raw_${l}.npy`]),
          '--runs',
          'data/run_number.npy',
          '--lumis',
          'data/ls_number.npy',
          '--oms',
          'data/omsdata_Run2025F-v1.json',
          '--hlt',
          'data/hltrate_Run2025F-v1.json',
        ],
        { out: (t) => out.push(t), err: (t) => out.push(t), signal: new AbortController().signal, cwd: FIXTURE, env: process.env },
      );
      expect(code, out.join('\n')).toBe(0);
      expect(out.join('\n')).toContain('24 lumisections in 1 request(s)');
      expect(out.filter((l) => /^\s+398\d+\s+\d+\s+true/.test(l))).toHaveLength(reference.filter(Boolean).length);

      // DIALS parquet exports carry their own run/LS numbers: same request, same flags
      const parquet = (layer: string) =>
        `parquet/ZeroBias-Run2025F-PromptReco-v1-DQMIO-PixelPhase1-Phase1_MechanicalView-PXBarrel-clusters_per_SignedModuleCoord_per_SignedLadderCoord_PXLayer_${layer.slice(-1)}.parquet`;
      const fromParquet = await runInference({
        url: ready.url!,
        resource,
        baseDir: FIXTURE,
        data: {
          files: Object.fromEntries(LAYERS.map((l) => [l, parquet(l)])),
          oms: 'data/omsdata_Run2025F-v1.json',
          hlt: 'data/hltrate_Run2025F-v1.json',
        },
        previewFlags: reference,
      });
      expect(fromParquet.comparison?.disagreements).toEqual([]);
      expect(fromParquet.lumisections.map((l) => [l.run, l.ls])).toEqual(result.lumisections.map((l) => [l.run, l.ls]));
    } finally {
      await manager.stop(run.id);
    }
    expect(await studioContainersFor(project.dir)).toHaveLength(0);
  });
});
