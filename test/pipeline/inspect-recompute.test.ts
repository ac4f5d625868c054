import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobManager } from '@/backend/jobs/job-manager';
import { loadDataInputs } from '@/backend/pipeline/data-inputs';
import { InferenceThreads } from '@/backend/pipeline/inference-thread';
import { PipelineService } from '@/backend/pipeline/pipeline-service';
import { compilePresetFiles } from '@/backend/pipeline/preset-io';
import { inMemorySource, runPipeline } from '@/backend/pipeline/runner';
import { workerUrl } from '@/backend/workers/worker-url';
import { decodeArray } from '@/shared/pipeline/encoded-array';
import { LAYERS, REFERENCE_DIR, referencePreset, writeReferencePreset } from './fixture';

/**
 * A preview run keeps only its loss maps; inspecting an LS recomputes the other stage maps from the
 * run's input (ChunkRecompute). These tests run the real pipeline worker and inference threads.
 */
let dir: string;
let presetFile: string;
const CHUNK = 8;

async function copyData(to: string) {
  await fs.mkdir(to, { recursive: true });
  for (const f of [...LAYERS.map((l) => `raw_${l}.npy`), 'run_number.npy', 'ls_number.npy'])
    await fs.copyFile(path.join(REFERENCE_DIR, 'data', f), path.join(to, f));
  return {
    layers: Object.fromEntries(LAYERS.map((l) => [l, path.join(to, `raw_${l}.npy`)])),
    runs: path.join(to, 'run_number.npy'),
    lumis: path.join(to, 'ls_number.npy'),
  };
}

/** A service (worker threads) and a finished run of the reference LS copied into `name`. */
async function finishedRun(name: string) {
  const data = await copyData(path.join(dir, name));
  const jobs = new JobManager({ update: () => {}, log: () => {}, chunk: () => {} });
  const service = new PipelineService(jobs);
  const run = await service.start({ presetFile, data, chunkSize: CHUNK });
  expect((await jobs.wait(run.jobId)).state).toBe('succeeded');
  return { data, service, run };
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'inspect-recompute-'));
  presetFile = await writeReferencePreset(path.join(dir, 'preset.json'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('inspecting a preview run (stage maps recomputed from its input)', () => {
  it('shows every LS with exactly the maps the run computed, and keeps only the loss maps', async () => {
    const { data, service, run } = await finishedRun('same');
    // the run's stages, computed here in the same chunks
    const loaded = referencePreset();
    const cp = await compilePresetFiles(loaded);
    const whole = await loadDataInputs(loaded.preset, { ...data, baseDir: dir });
    const inference = await InferenceThreads.start(loaded, { threads: 1 });
    const expected: Array<{ pre: number[][]; rec: number[][]; loss: number[][]; final: number[] }> = [];
    try {
      await runPipeline(
        cp,
        inference,
        inMemorySource(cp, whole),
        { oms: null, hlt: null },
        {
          chunkSize: CHUNK,
          onChunk: (s) => {
            for (let k = 0; k < s.n; k++) {
              const cut = (a: ArrayLike<number> & { subarray?: unknown }, size: number) =>
                Array.from((a as Float32Array).subarray(k * size, (k + 1) * size));
              const sizes = cp.layers.map((l) => l.geom.outRows * l.geom.outCols);
              expected.push({
                pre: s.preprocessed.map((a, i) => cut(a, sizes[i])),
                rec: s.reconstruction.map((a, i) => cut(a, sizes[i])),
                loss: s.loss.map((a, i) => cut(a, sizes[i])),
                final: cut(s.decisions.final, cp.targetRows * cp.targetCols),
              });
            }
          },
        },
      );
    } finally {
      await inference.close();
    }
    try {
      const bins = cp.layers.reduce((a, l) => a + l.geom.outRows * l.geom.outCols, 0);
      expect(service.kept().mapsBytes).toBe(24 * bins * 4);
      for (const index of [0, 7, 8, 13, 23, 5]) {
        const ls = await service.lumisection(run.sessionId, index);
        ls.layers.forEach((l, i) => {
          expect(Array.from(decodeArray(l.preprocessed))).toEqual(expected[index].pre[i]);
          expect(Array.from(decodeArray(l.reconstruction))).toEqual(expected[index].rec[i]);
          expect(Array.from(decodeArray(l.loss))).toEqual(expected[index].loss[i]);
          const size = l.raw.shape[0] * l.raw.shape[1];
          expect(Array.from(decodeArray(l.raw))).toEqual(Array.from(whole.raws[i].subarray(index * size, (index + 1) * size)));
        });
        expect(Array.from(decodeArray(ls.final))).toEqual(expected[index].final);
      }
      // the run average reads every chunk of the run again: the mean of the maps above
      const runNumber = whole.runs[0];
      const members = Array.from(whole.runs).flatMap((r, k) => (r === runNumber ? [k] : []));
      const avg = await service.runAverage(run.sessionId, runNumber);
      expect(avg.count).toBe(members.length);
      const q = 1000;
      const mean = members.reduce((a, k) => a + expected[k].loss[1][q], 0) / members.length;
      expect(decodeArray(avg.layers[1].loss)[q]).toBeCloseTo(mean, 12);
    } finally {
      await service.dispose();
    }
  });

  it('says so when the input changed since the run, instead of showing other maps', async () => {
    const { data, service, run } = await finishedRun('changed');
    try {
      // one count of LS 9 in BPix3, written in place (the file's size stays the same)
      const file = data.layers.BPix3;
      const bytes = await fs.readFile(file);
      const headerEnd = bytes.indexOf(0x0a) + 1;
      const itemSize = (bytes.length - headerEnd) / (24 * 90 * 72);
      const at = headerEnd + (9 * 90 * 72 + 40 * 72 + 30) * itemSize;
      bytes[at] ^= 0x04;
      await fs.writeFile(file, bytes);
      await expect(service.lumisection(run.sessionId, 9)).rejects.toMatchObject({
        code: 'INPUT_CHANGED',
        message: expect.stringMatching(
          /^The stage maps of a preview run are recomputed from its input when you inspect them, but the BPix3 maps of positions 8–15 changed since the preview ran \(.*raw_BPix3\.npy.*\)\. Run the preview again\.$/,
        ),
      });
      // the other chunks are as they were
      expect((await service.lumisection(run.sessionId, 3)).index).toBe(3);
    } finally {
      await service.dispose();
    }
  });

  it('the first run takes the pipeline worker started ahead of it, and a new one is started after it', async () => {
    const data = await copyData(path.join(dir, 'spare'));
    const jobs = new JobManager({ update: () => {}, log: () => {}, chunk: () => {} });
    const service = new PipelineService(jobs);
    const spare = () => (service as unknown as { spare: unknown }).spare;
    try {
      service.prestart();
      await expect.poll(spare, { timeout: 10_000 }).not.toBeNull();
      const first = spare();
      const run = await service.start({ presetFile, data, chunkSize: CHUNK });
      expect(spare()).toBeNull();
      expect((await jobs.wait(run.jobId)).state).toBe('succeeded');
      expect(service.results(run.sessionId).summary.completed).toBe(24);
      await expect.poll(spare, { timeout: 15_000 }).not.toBeNull();
      expect(spare()).not.toBe(first);
    } finally {
      await service.dispose();
    }
    expect(spare()).toBeNull();
  });

  // Terminating a worker whose inference threads hold onnxruntime sessions, or are creating them,
  // aborted the whole process now and then, a moment later (a vitest fork "exited unexpectedly").
  it('a spare worker no run took releases the sessions it opened ahead, then ends by itself', async () => {
    const data = await copyData(path.join(dir, 'spare-end'));
    const jobs = new JobManager({ update: () => {}, log: () => {}, chunk: () => {} });
    const spareOf = (s: PipelineService) => (s as unknown as { spare: Worker | null }).spare;
    /** What the spare says before it exits, and that it exited. */
    const ending = (w: Worker) => {
      const said: unknown[] = [];
      w.on('message', (m) => said.push(m));
      return new Promise<unknown[]>((resolve) => w.once('exit', () => resolve(said)));
    };
    const service = new PipelineService(jobs);
    try {
      service.prestart();
      const run = await service.start({ presetFile, data, chunkSize: CHUNK });
      expect((await jobs.wait(run.jobId)).state).toBe('succeeded');
      // the next spare is given the run's models at once: its sessions are being created
      await expect.poll(() => spareOf(service), { timeout: 15_000 }).not.toBeNull();
      const prepared = ending(spareOf(service)!);
      await service.dispose();
      expect(await prepared).toEqual([{ type: 'released' }]);
    } finally {
      await service.dispose();
    }
    // one that had no models yet
    const fresh = new PipelineService(jobs);
    fresh.prestart();
    await expect.poll(() => spareOf(fresh), { timeout: 10_000 }).not.toBeNull();
    const unprepared = ending(spareOf(fresh)!);
    await fresh.dispose();
    expect(await unprepared).toEqual([{ type: 'released' }]);
  });
});

describe('workerUrl', () => {
  it('finds a worker next to the bundle, and next to itself from another worker', () => {
    expect(workerUrl('x.worker', 'file:///app/dist/node/serve.mjs').href).toBe('file:///app/dist/node/workers/x.worker.mjs');
    expect(workerUrl('x.worker', 'file:///app/dist/node/workers/pipeline.worker.mjs').href).toBe(
      'file:///app/dist/node/workers/x.worker.mjs',
    );
    expect(workerUrl('x.worker', 'file:///repo/backend/workers/worker-url.ts').href).toBe('file:///repo/dist/node/workers/x.worker.mjs');
  });
});
