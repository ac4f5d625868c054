import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataInputs, openDataInputs, streamedSource } from '@/backend/pipeline/data-inputs';
import { assignLayersToThreads, inferenceThreadCount, InferenceThreads } from '@/backend/pipeline/inference-thread';
import type { NmfSession } from '@/backend/pipeline/onnx-session';
import { compilePresetFiles, openSessions, presetModelFiles } from '@/backend/pipeline/preset-io';
import { executeRun, type RunMessage } from '@/backend/pipeline/run-job';
import { INFERENCE_QUEUE_BYTES, inferenceQueueChunks, inMemorySource, runPipeline } from '@/backend/pipeline/runner';
import type { CompiledPipeline } from '@/shared/pipeline/model';
import { ChunkWorkspace, prepareChunk, type ChunkStages, type LumisectionSummary } from '@/shared/pipeline/run-chunk';
import type { NumericArray } from '@/shared/pipeline/ndarray';
import { StageScratch } from '@/shared/pipeline/stages';
import { pixelBarrelPreset } from '@/shared/preset/pixel-barrel';
import { LAYERS, REFERENCE_DIR, referenceData, referencePreset } from './fixture';

/** Every stage of a chunk as plain numbers (copied while the chunk's buffers are valid). */
function snapshot(s: ChunkStages): number[][] {
  const d = s.decisions;
  return [
    ...s.preprocessed,
    ...s.reconstruction,
    ...s.loss,
    ...s.entries,
    ...s.maxLoss,
    ...d.lossBinary,
    d.combined,
    d.final,
    d.flagsBeforeFilter,
    d.finalBins,
  ].map((a) => Array.from(a as ArrayLike<number>));
}

/** 12 chunks of the 24 reference LS: more than the run keeps in flight. */
const CHUNK = 2;

describe('runPipeline with reused buffers, streamed .npy stacks and the inference threads', () => {
  const loaded = referencePreset();
  let cp: CompiledPipeline;
  let sessions: NmfSession[];
  const reference: number[][][] = [];
  const referenceSummaries: LumisectionSummary[] = [];
  const cond = { oms: null, hlt: null };

  beforeAll(async () => {
    cp = await compilePresetFiles(loaded);
    sessions = await openSessions(loaded, cp);
    const data = await loadDataInputs(loaded.preset, referenceData);
    // new arrays for every chunk, inference in this thread: the reference
    await runPipeline(cp, sessions, inMemorySource(cp, data), cond, {
      chunkSize: CHUNK,
      onChunk: (s, sum) => void (reference.push(snapshot(s)), referenceSummaries.push(...sum)),
    });
  });
  afterAll(async () => {
    await Promise.all(sessions.map((s) => s.close()));
  });

  /** The stages of every chunk, with the inference in `threads` threads, and the preprocessed buffer each chunk came in. */
  async function threadedRun(threads: number, inferenceQueueBytes?: number) {
    const data = await openDataInputs(loaded.preset, referenceData);
    const inference = await InferenceThreads.start(loaded, { threads });
    const got: number[][][] = [];
    const summaries: LumisectionSummary[] = [];
    const buffers: Float32Array[] = [];
    try {
      await runPipeline(cp, inference, streamedSource(cp, data), cond, {
        chunkSize: CHUNK,
        reuseBuffers: true,
        inferenceQueueBytes,
        onChunk: async (s, sum) => {
          // valid until this promise settles, also while later chunks are being inferred
          await new Promise((r) => setTimeout(r, 5));
          got.push(snapshot(s));
          summaries.push(...sum);
          buffers.push(s.preprocessed[0]);
        },
      });
    } finally {
      data.close();
      await inference.close();
    }
    return { got, summaries, buffers };
  }

  it('gives every chunk exactly the same stages; the buffers are as many workspaces as the queue memory holds, taking turns', async () => {
    // room for 5 chunks (and a little more): 5 workspaces
    const bytes = ChunkWorkspace.bytes(cp, CHUNK);
    const { got, summaries, buffers } = await threadedRun(1, 5 * bytes + bytes - 1);
    expect(got.length).toBe(12);
    expect(got).toEqual(reference);
    expect(summaries).toEqual(referenceSummaries);
    expect(new Set(buffers.map((b) => b.buffer)).size).toBe(5);
    expect(buffers[0].buffer).toBe(buffers[5].buffer);
    expect(buffers[1].buffer).not.toBe(buffers[0].buffer);
    // the default: every chunk of this small run fits
    const all = await threadedRun(1);
    expect(all.got).toEqual(reference);
    expect(new Set(all.buffers.map((b) => b.buffer)).size).toBe(12);
  });

  it('with the inference in another thread, a message to this thread is handled at the next chunk (a cancel stops the run there)', async () => {
    // Each reconstruction comes back as a message, and with chunks queued the next one is always
    // waiting: without going back to the event loop after each chunk, Node handled them all before
    // the message below (the back end's cancel or "no more maps") was delivered.
    const data = await openDataInputs(loaded.preset, referenceData);
    const inference = await InferenceThreads.start(loaded, { threads: 1 });
    const channel = new MessageChannel();
    const controller = new AbortController();
    channel.port2.on('message', () => controller.abort(new Error('Cancelled')));
    let finished = 0;
    try {
      await expect(
        runPipeline(cp, inference, streamedSource(cp, data), cond, {
          chunkSize: 1,
          signal: controller.signal,
          onChunk: () => {
            if (finished++ === 0) channel.port1.postMessage('cancel');
          },
        }),
      ).rejects.toThrow('Cancelled');
    } finally {
      channel.port1.close();
      data.close();
      await inference.close();
    }
    expect(finished).toBe(1);
  });

  it('sizes the queue by memory: ChunkWorkspace.bytes is what a workspace allocates; 3 chunks of 32 LS fit in the default', () => {
    const ws = new ChunkWorkspace(cp, 32, true);
    const a = ws.arrays(32);
    const d = a.decisions;
    const allocated = [
      ...a.preprocessed,
      ...a.modelInput,
      ...a.reconstruction,
      ...a.loss,
      ...a.entries,
      ...a.maxLoss,
      ...d.lossBinary,
      d.combined,
      d.final,
      d.flagsBeforeFilter,
      d.finalBins,
    ]
      .map((x) => x.byteLength)
      .reduce((x, y) => x + y, 0);
    expect(ChunkWorkspace.bytes(cp, 32)).toBe(allocated);
    expect(inferenceQueueChunks(ChunkWorkspace.bytes(cp, 32))).toBe(3);
    expect(inferenceQueueChunks(INFERENCE_QUEUE_BYTES / 5)).toBe(5);
    expect(inferenceQueueChunks(INFERENCE_QUEUE_BYTES / 5 + 1)).toBe(4);
    // never fewer than two (one prepared while the other is inferred), never more than 64
    expect(inferenceQueueChunks(INFERENCE_QUEUE_BYTES)).toBe(2);
    expect(inferenceQueueChunks(1)).toBe(64);
  });

  it('gives the same stages with the layers split over two and three threads', async () => {
    for (const threads of [2, 3]) {
      const { got, summaries } = await threadedRun(threads);
      expect(got).toEqual(reference);
      expect(summaries).toEqual(referenceSummaries);
    }
  });

  it('with the inference in this thread, two workspaces take turns (one prepared while the other is inferred)', async () => {
    const data = await openDataInputs(loaded.preset, referenceData);
    const buffers: Float32Array[] = [];
    try {
      await runPipeline(cp, sessions, streamedSource(cp, data), cond, {
        chunkSize: CHUNK,
        reuseBuffers: true,
        onChunk: (s) => void buffers.push(s.preprocessed[0]),
      });
    } finally {
      data.close();
    }
    expect(new Set(buffers.map((b) => b.buffer)).size).toBe(2);
    expect(buffers[0].buffer).toBe(buffers[2].buffer);
  });

  it('the data are streamed from the .npy files (not loaded whole) and checked before anything runs', async () => {
    const data = await openDataInputs(loaded.preset, referenceData);
    try {
      expect(data.layers.map((l) => [l.data, Boolean(l.reader)])).toEqual(LAYERS.map(() => [null, true]));
      const source = streamedSource(cp, data);
      const a = source.read(3, 4, 0);
      const b = source.read(7, 2, 1);
      const whole = await loadDataInputs(loaded.preset, referenceData);
      cp.layers.forEach((l, i) => {
        const size = l.geom.rows * l.geom.cols;
        expect(Array.from(a[i])).toEqual(Array.from(whole.raws[i].subarray(3 * size, 7 * size)));
        expect(Array.from(b[i])).toEqual(Array.from(whole.raws[i].subarray(7 * size, 9 * size)));
      });
    } finally {
      data.close();
    }
  });
});

describe('executeRun (the pipeline worker)', () => {
  it('posts chunks without stage maps once the back end says it keeps no more', async () => {
    const loaded = referencePreset();
    const control = { sendMaps: true };
    const chunks: Array<Extract<RunMessage, { type: 'chunk' }>> = [];
    await executeRun(
      { presetFile: loaded.file, preset: loaded.preset, data: referenceData, chunkSize: 8 },
      (m) => {
        if (m.type !== 'chunk') return;
        chunks.push(m);
        // what the back end does when the maps budget is used up
        control.sendMaps = false;
      },
      undefined,
      control,
    );
    expect(chunks.map((c) => [c.start, c.n, c.maps !== null])).toEqual([
      [0, 8, true],
      [8, 8, false],
      [16, 8, false],
    ]);
    // the per-LS results come with every chunk, as the worker's own copies
    expect(chunks.map((c) => c.flagsBeforeFilter.length)).toEqual([8, 8, 8]);
    expect(new Set(chunks.map((c) => c.entries[0].buffer)).size).toBe(3);
  });
});

describe('inference threads: how many, and which layers each one runs', () => {
  it('leaves one core for the pipeline thread, never more threads than layers, at least one', () => {
    expect([1, 2, 3, 4, 8].map((cores) => inferenceThreadCount(3, cores))).toEqual([1, 1, 2, 3, 3]);
    expect(inferenceThreadCount(1, 8)).toBe(1);
    expect(inferenceThreadCount(0, 8)).toBe(1);
  });

  it('gives the largest maps out first, each to the thread with the fewest bins so far', () => {
    // the barrel layers' cropped maps: BPix2 (smallest), BPix3, BPix4 (largest)
    const barrel = [
      { rows: 56, cols: 64 },
      { rows: 88, cols: 64 },
      { rows: 128, cols: 64 },
    ];
    expect(assignLayersToThreads(barrel, 1)).toEqual([[0, 1, 2]]);
    expect(assignLayersToThreads(barrel, 2)).toEqual([[2], [0, 1]]);
    expect(assignLayersToThreads(barrel, 3)).toEqual([[2], [1], [0]]);
    // more threads than layers: one layer each
    expect(assignLayersToThreads(barrel.slice(0, 2), 3)).toEqual([[1], [0]]);
    // equal sizes: preset order breaks the tie
    expect(assignLayersToThreads([barrel[0], barrel[0], barrel[0]], 2)).toEqual([[0, 2], [1]]);
  });
});

describe('inference threads started ahead, with the models of the next run', () => {
  const internals = () => InferenceThreads as unknown as { early: Array<{ worker: unknown }> };
  const threadsOf = (i: unknown) => (i as { threads: Array<{ worker: unknown }> }).threads.map((t) => t.worker);

  it('a run of the same model files takes the sessions opened ahead; changed files get new threads', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'prepared-'));
    try {
      const loaded = referencePreset();
      const copied = pixelBarrelPreset(LAYERS, (l) => ({
        onnx: path.join(dir, `nmf_${l}.onnx`),
        localNorm: path.join(REFERENCE_DIR, `model/local_norm_${l}.npy`),
        lossMask: path.join(REFERENCE_DIR, `model/loss_mask_${l}.npy`),
      }));
      for (const l of LAYERS) await fs.copyFile(path.join(REFERENCE_DIR, `model/nmf_${l}.onnx`), path.join(dir, `nmf_${l}.onnx`));
      const mine = { file: path.join(dir, 'preset.json'), dir, preset: copied };
      const models = presetModelFiles(mine);

      InferenceThreads.prestart();
      const early = internals().early.map((t) => t.worker);
      expect(early.length).toBeGreaterThan(0);
      await InferenceThreads.prepare(models);
      const same = await InferenceThreads.start(mine);
      expect(threadsOf(same)).toEqual(early);
      // and they infer: the reference's first LS through them gives a reconstruction
      const cp = await compilePresetFiles(loaded);
      const ws = new ChunkWorkspace(cp, 1, true);
      const data = await loadDataInputs(loaded.preset, referenceData);
      const a = prepareChunk(cp, inMemorySource(cp, data).read(0, 1, 0) as NumericArray[], 1, ws, new StageScratch(cp));
      const rec = await same.infer(a.modelInput, 1, a.reconstruction);
      expect(rec[0].some((v) => v > 0)).toBe(true);
      await same.close();

      // a model file rewritten after the sessions were opened: not reused
      InferenceThreads.prestart();
      const early2 = internals().early.map((t) => t.worker);
      await InferenceThreads.prepare(models);
      await new Promise((r) => setTimeout(r, 20));
      await fs.copyFile(path.join(REFERENCE_DIR, 'model/nmf_BPix3.onnx'), path.join(dir, 'nmf_BPix3.onnx'));
      const other = await InferenceThreads.start(mine);
      expect(threadsOf(other).some((w) => early2.includes(w))).toBe(false);
      await other.close();

      // other models than prepared (the reference preset's files): not reused either
      InferenceThreads.prestart();
      const early3 = internals().early.map((t) => t.worker);
      await InferenceThreads.prepare(models);
      const third = await InferenceThreads.start(loaded);
      expect(threadsOf(third).some((w) => early3.includes(w))).toBe(false);
      await third.close();
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
