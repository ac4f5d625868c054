import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackend, type Backend } from '@/backend/api/create-backend';
import { labelEdits, PLACED_LABELS } from '@/backend/demo/demo-labels';
import { readNpyFile } from '@/backend/pipeline/npy';
import { JobManager } from '@/backend/jobs/job-manager';
import { PipelineService } from '@/backend/pipeline/pipeline-service';
import type { MethodInput, MethodName, MethodOutput } from '@/shared/api/contract';
import type { LumisectionResult, PipelineChunk } from '@/shared/api/contract/pipeline';
import { decodeArray } from '@/shared/pipeline/encoded-array';
import type { ModelPreset } from '@/shared/preset/model-preset';
import { LAYERS, REFERENCE_DIR, writeReferencePreset } from './fixture';

let root: string;
let backend: Backend;
let demoDir: string;
const chunks: PipelineChunk[] = [];

async function call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>> {
  const reply = await backend.dispatch(method, input);
  if (!reply.ok) throw Object.assign(new Error(reply.error.message), { code: reply.error.code, details: reply.error.details });
  return reply.result as MethodOutput<M>;
}

async function runToEnd(input: MethodInput<'pipeline.run'>) {
  const run = await call('pipeline.run', input);
  const snap = await backend.ctx.jobs.wait(run.jobId);
  return { run, snap };
}

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'pipeline-service-'));
  backend = await createBackend({ host: { kind: 'test' }, userDataDir: path.join(root, 'user-data'), pollEngine: false });
  backend.onEvent((e, p) => {
    if (e === 'job.chunk') chunks.push((p as { data: PipelineChunk }).data);
  });
  const demo = await call('demo.open', {});
  expect(demo.generated).toBe(true);
  expect(demo.project.isDemo).toBe(true);
  expect(demo.project.templates).toContain('template.yaml');
  demoDir = demo.project.dir;
});
afterAll(async () => {
  await backend.dispose();
  await fs.rm(root, { recursive: true, force: true });
});

describe('pipeline service over the API (worker thread)', () => {
  let sessionId: string;
  let items: LumisectionResult[];
  let preset: ModelPreset;

  it('runs the demo project as a job, streams chunks and matches the labels', async () => {
    const { run, snap } = await runToEnd({ projectDir: demoDir, chunkSize: 32 });
    expect(snap.state).toBe('succeeded');
    expect(run.total).toBe(120);
    expect(run.layers.map((l) => [l.name, l.croppedRows])).toEqual([
      ['BPix2', 56],
      ['BPix3', 88],
      ['BPix4', 128],
    ]);
    expect(run.warnings).toEqual([]);
    sessionId = run.sessionId;
    preset = run.preset;
    // (a run split over several workers may deliver its chunks out of order)
    expect(
      chunks
        .filter((c) => c.kind === 'lumisections')
        .map((c) => c.start)
        .sort((a, b) => a - b),
    ).toEqual([0, 32, 64, 96]);
    const results = await call('pipeline.results', { sessionId });
    items = results.items;
    expect(results.done).toBe(true);
    const labels = JSON.parse(await fs.readFile(path.join(demoDir, 'data/labels.json'), 'utf8')).lumisections as Array<{
      expectFlagged: boolean;
    }>;
    expect(items.map((i) => i.flagged)).toEqual(labels.map((l) => l.expectFlagged));
    expect(results.summary).toMatchObject({ lumisections: 120, completed: 120, flagged: 5, flaggedBeforeFilter: 7 });
  });

  it('returns every stage map of one LS', async () => {
    const index = items.findIndex((i) => i.flagged);
    const ls = await call('pipeline.lumisection', { sessionId, index });
    expect(ls.result).toEqual(items[index]);
    expect(ls.layers.map((l) => l.raw.shape)).toEqual([
      [58, 72],
      [90, 72],
      [130, 72],
    ]);
    expect(decodeArray(ls.layers[2].loss).length).toBe(128 * 64);
    const final = decodeArray(ls.final);
    expect(Array.from(final).reduce((a, b) => a + b, 0)).toBe(items[index].score.finalBins);
    expect(ls.flagMatches.length).toBeGreaterThan(0);
    expect(ls.injected).toBe(false);
  });

  it('re-flags from cached reconstructions, from the first affected stage', async () => {
    const strict = { ...preset, thresholds: [{ ...preset.thresholds[0], lossThreshold: 10 }] };
    const r1 = await call('pipeline.reflag', { sessionId, preset: strict });
    expect(r1.stage).toBe('clustering');
    expect(r1.summary.flaggedBeforeFilter).toBe(0);
    const r2 = await call('pipeline.reflag', { sessionId, preset });
    expect(r2.stage).toBe('clustering');
    expect(r2.items).toEqual(items);
    const noPileupCut = { ...preset, filters: { ...preset.filters, minPileup: null } };
    const r3 = await call('pipeline.reflag', { sessionId, preset: noPileupCut });
    expect(r3.stage).toBe('filter');
    const lowPileup = items.findIndex((i) => i.reasons.some((r) => r.code === 'pileup_low'));
    expect(r3.items[lowPileup].passedFilter).toBe(true);
    await call('pipeline.reflag', { sessionId, preset });
    const moved = { ...preset, layers: preset.layers.map((l, i) => (i === 0 ? { ...l, onnx: 'other.onnx' } : l)) };
    await expect(call('pipeline.reflag', { sessionId, preset: moved })).rejects.toMatchObject({ code: 'RERUN_REQUIRED' });
  });

  it('what-if: a synthetic 3-layer outage in a clean LS is flagged, the data files are untouched', async () => {
    const file = path.join(demoDir, 'data/raw_BPix3.npy');
    const before = createHash('sha256')
      .update(await fs.readFile(file))
      .digest('hex');
    const index = items.findIndex((i, k) => k > 0 && !i.flaggedBeforeFilter && i.passedFilter && !PLACED_LABELS[`${i.run}:${i.ls}`]);
    const regions = LAYERS.flatMap((layer) =>
      labelEdits('outage3', layer as 'BPix2').map((e) => ({
        layer,
        row0: e.region.r0,
        row1: e.region.r1,
        col0: e.region.c0,
        col1: e.region.c1,
        factor: 0,
      })),
    );
    const w = await call('pipeline.whatIf', { sessionId, index, regions });
    expect(w.injected).toBe(true);
    expect(w.result.flaggedBeforeFilter).toBe(true);
    expect(w.result.flagged).toBe(true);
    const raw = decodeArray(w.layers[0].raw);
    expect(raw[regions[0].row0 * 72 + regions[0].col0]).toBe(0);
    expect(
      createHash('sha256')
        .update(await fs.readFile(file))
        .digest('hex'),
    ).toBe(before);
    const again = await call('pipeline.lumisection', { sessionId, index });
    expect(again.result.flagged).toBe(false);
    await expect(
      call('pipeline.whatIf', { sessionId, index, regions: [{ layer: 'BPix9', row0: 0, row1: 1, col0: 0, col1: 1, factor: 0 }] }),
    ).rejects.toThrow(/layer "BPix9"/);
  });

  it('saves presets atomically with a backup', async () => {
    const changed = { ...preset, name: 'edited' };
    const saved = await call('pipeline.savePreset', { sessionId, preset: changed });
    expect(saved.file).toBe(path.join(demoDir, 'preset.json'));
    expect((await call('preset.load', { file: saved.file })).preset.name).toBe('edited');
    expect(JSON.parse(await fs.readFile(`${saved.file}.dism-studio.bak`, 'utf8')).name).toBe(preset.name);
    await call('preset.save', { file: saved.file, preset });
    await expect(call('preset.save', { file: saved.file, preset: { ...preset, thresholds: [] } as never })).rejects.toMatchObject({
      code: 'SCHEMA_INVALID',
    });
  });

  it('cancels a run', async () => {
    const run = await call('pipeline.run', { projectDir: demoDir, chunkSize: 1 });
    await call('jobs.cancel', { id: run.jobId });
    const snap = await backend.ctx.jobs.wait(run.jobId);
    expect(snap.state).toBe('cancelled');
  });

  it('reports bad input with the file and what is wrong', async () => {
    // No preset and no model files (a folder with only template.yaml): what is missing and where it comes from.
    await expect(call('pipeline.run', { projectDir: root })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringMatching(
        /^This project has no model files yet: model\/nmf_BPix2\.onnx, model\/local_norm_BPix2\.npy, model\/loss_mask_BPix2\.npy and the same for BPix3 and BPix4 are missing, .*Import the trained PixelNMF \(\.joblib\)/s,
      ),
      details: { missing: 'model-files' },
    });
    // The model files are there and only the preset is missing: the "pixel barrel" preset can be written.
    const filesOnly = path.join(root, 'files-only');
    await fs.mkdir(path.join(filesOnly, 'model'), { recursive: true });
    for (const l of ['BPix2', 'BPix3', 'BPix4'])
      for (const f of [`nmf_${l}.onnx`, `local_norm_${l}.npy`, `loss_mask_${l}.npy`])
        await fs.writeFile(path.join(filesOnly, 'model', f), '');
    await expect(call('pipeline.run', { projectDir: filesOnly })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining(`The project has no model preset: ${path.join(filesOnly, 'preset.json')} does not exist`),
      details: { missing: 'preset' },
    });
    // One model file short: still the model files are what is missing, named exactly.
    await fs.rm(path.join(filesOnly, 'model', 'loss_mask_BPix3.npy'));
    await expect(call('pipeline.run', { projectDir: filesOnly })).rejects.toMatchObject({
      message: expect.stringMatching(/^This project has no model files yet: model\/loss_mask_BPix3\.npy is missing/),
      details: { missing: 'model-files' },
    });
    await expect(
      call('pipeline.run', {
        projectDir: demoDir,
        data: { layers: { BPix2: 'data/raw_BPix3.npy', BPix3: 'data/raw_BPix3.npy', BPix4: 'data/raw_BPix4.npy' } },
      }),
    ).rejects.toThrow(`${path.join(demoDir, 'data/raw_BPix3.npy')}: BPix2 maps have shape (120, 90, 72), expected (N, 58, 72)`);
  });

  it('reproduces the reference flags through the worker with parquet inputs', async () => {
    const presetFile = await writeReferencePreset(path.join(root, 'reference-preset.json'));
    const parquet = (l: string) =>
      path.join(
        REFERENCE_DIR,
        'parquet',
        `ZeroBias-Run2025F-PromptReco-v1-DQMIO-PixelPhase1-Phase1_MechanicalView-PXBarrel-clusters_per_SignedModuleCoord_per_SignedLadderCoord_PXLayer_${l.slice(-1)}.parquet`,
      );
    const { run, snap } = await runToEnd({
      presetFile,
      data: {
        layers: Object.fromEntries(LAYERS.map((l) => [l, parquet(l)])),
        oms: path.join(REFERENCE_DIR, 'data/omsdata_Run2025F-v1.json'),
        hlt: path.join(REFERENCE_DIR, 'data/hltrate_Run2025F-v1.json'),
      },
    });
    expect(snap.state).toBe('succeeded');
    const r = await call('pipeline.results', { sessionId: run.sessionId });
    const flags = await readNpyFile(path.join(REFERENCE_DIR, 'reference/onnx/flags.npy'));
    const before = await readNpyFile(path.join(REFERENCE_DIR, 'reference/onnx/flags_before_filter.npy'));
    expect(r.items.map((i) => Number(i.flagged))).toEqual(Array.from(flags.data));
    expect(r.items.map((i) => Number(i.flaggedBeforeFilter))).toEqual(Array.from(before.data));
  });

  it('in-process run with a small maps budget keeps results, and says which maps were not kept', async () => {
    const jobs = new JobManager({ update: () => {}, log: () => {}, chunk: () => {} });
    // a 40-LS chunk's loss maps are 2.7 MB: the budget holds the first chunk only
    const service = new PipelineService(jobs, { useWorker: false, retention: { mapsBudget: 4 * 2 ** 20 } });
    try {
      const run = await service.start({ projectDir: demoDir, chunkSize: 40 });
      expect((await jobs.wait(run.jobId)).state).toBe('succeeded');
      const r = service.results(run.sessionId);
      expect(r.items.map((i) => i.flagged)).toEqual(items.map((i) => i.flagged));
      expect(r.warnings.join()).toMatch(/stage maps are kept for the first 40 lumisections only \(4 MB for all preview runs together\)/);
      expect((await service.lumisection(run.sessionId, 10)).index).toBe(10);
      await expect(service.lumisection(run.sessionId, 100)).rejects.toThrow(
        'The stage maps of position 100 were not kept: the stage maps of all preview runs together are limited to 4 MB. Preview fewer lumisections to inspect it.',
      );
      await expect(
        service.reflag(run.sessionId, { ...preset, thresholds: [{ ...preset.thresholds[0], lossThreshold: 1 }] }),
      ).rejects.toMatchObject({ code: 'MAPS_NOT_KEPT' });
      const filterOnly = await service.reflag(run.sessionId, { ...preset, filters: { ...preset.filters, minPileup: null } });
      expect(filterOnly.stage).toBe('filter');
    } finally {
      await service.dispose();
    }
  });
});
