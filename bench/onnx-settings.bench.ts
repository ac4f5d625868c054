/**
 * How the NMF sessions are set up (backend/pipeline/onnx-session.ts, DEFAULT_CHUNK_SIZE in
 * backend/pipeline/runner.ts) is chosen by this measurement: the fixture's three models (200 NMF
 * update steps each) on the 24 fixture LS's model inputs tiled to 960 LS. One setting is varied at a
 * time around the chosen one; each line prints the time to create the three sessions and the best
 * first of three passes over the 960 LS (what a preview sees: new sessions, every chunk shape new; in one
 * thread, as the app runs them) and the best of the two later passes.
 *
 *   npm run bench onnx-settings
 */
import path from 'node:path';
import type * as OrtTypes from 'onnxruntime-node';
import { loadDataInputs } from '@/backend/pipeline/data-inputs';
import { NMF_SESSION_OPTIONS } from '@/backend/pipeline/onnx-session';
import { ort } from '@/backend/pipeline/onnx-runtime';
import { compilePresetFiles } from '@/backend/pipeline/preset-io';
import { DEFAULT_CHUNK_SIZE } from '@/backend/pipeline/runner';
import { preprocessLayer } from '@/shared/pipeline/stages';
import { pixelBarrelPreset } from '@/shared/preset/pixel-barrel';

const FIXTURE = path.resolve('test/fixtures/pixelnmf-reference');
const LAYERS = ['BPix2', 'BPix3', 'BPix4'];
const N = 960;

interface Setting {
  chunk: number;
  threads: number;
  level: 'disabled' | 'basic' | 'extended' | 'all';
  memPattern: boolean;
}

async function main(): Promise<void> {
  const loaded = { file: path.join(FIXTURE, 'preset.json'), dir: FIXTURE, preset: pixelBarrelPreset(LAYERS) };
  const cp = await compilePresetFiles(loaded);
  const base = await loadDataInputs(loaded.preset, {
    layers: Object.fromEntries(LAYERS.map((l) => [l, `data/raw_${l}.npy`])),
    baseDir: FIXTURE,
  });
  const inputs = cp.layers.map((l, i) => {
    const size = l.geom.outRows * l.geom.outCols;
    const out = {
      preprocessed: new Float32Array(base.n * size),
      modelInput: new Float32Array(base.n * size),
      entries: new Float64Array(base.n),
    };
    preprocessLayer(l, base.raws[i], base.n, out, { max: cp.clipMax, zeroValue: cp.clipZeroValue }, new Float64Array(size));
    const tiled = new Float32Array(N * size);
    for (let k = 0; k < N; k++) tiled.set(out.modelInput.subarray((k % base.n) * size, ((k % base.n) + 1) * size), k * size);
    return { data: tiled, rows: l.geom.outRows, cols: l.geom.outCols };
  });
  const models = LAYERS.map((l) => path.join(FIXTURE, `model/nmf_${l}.onnx`));

  const measure = async (s: Setting): Promise<string> => {
    const t0 = performance.now();
    const sessions: OrtTypes.InferenceSession[] = [];
    for (const m of models)
      sessions.push(
        await ort.InferenceSession.create(m, {
          ...NMF_SESSION_OPTIONS,
          intraOpNumThreads: s.threads,
          graphOptimizationLevel: s.level,
          enableMemPattern: s.memPattern,
        }),
      );
    const created = performance.now() - t0;
    const passes: number[] = [];
    for (let pass = 0; pass < 3; pass++) {
      const t = performance.now();
      for (let start = 0; start < N; start += s.chunk) {
        const k = Math.min(s.chunk, N - start);
        for (let i = 0; i < sessions.length; i++) {
          const x = inputs[i];
          const size = x.rows * x.cols;
          const feed = new ort.Tensor('float32', x.data.subarray(start * size, (start + k) * size), [k, x.rows, x.cols]);
          await sessions[i].run({ [sessions[i].inputNames[0]]: feed });
        }
      }
      passes.push(performance.now() - t);
    }
    await Promise.all(sessions.map((x) => x.release()));
    // The first pass is what a preview sees (new sessions, each chunk shape new); later ones reuse onnxruntime's memory.
    const later = Math.min(...passes.slice(1));
    return (
      `sessions ${created.toFixed(0).padStart(4)} ms, ${N} LS first pass ${passes[0].toFixed(0).padStart(5)} ms (${(passes[0] / N).toFixed(3)} ms/LS), ` +
      `then ${later.toFixed(0).padStart(4)} ms`
    );
  };

  const chosen: Setting = {
    chunk: DEFAULT_CHUNK_SIZE,
    threads: NMF_SESSION_OPTIONS.intraOpNumThreads,
    level: NMF_SESSION_OPTIONS.graphOptimizationLevel,
    memPattern: NMF_SESSION_OPTIONS.enableMemPattern,
  };
  const label = (s: Setting) =>
    `chunk ${String(s.chunk).padStart(3)}, intra-op threads ${s.threads}, optimisation ${s.level.padEnd(8)}, memory pattern ${s.memPattern ? 'on ' : 'off'}`;
  const variants: Setting[] = [
    chosen,
    ...[8, 16, 32, 64, 128, 256, 960].filter((c) => c !== chosen.chunk).map((chunk) => ({ ...chosen, chunk })),
    ...[1, 2].filter((t) => t !== chosen.threads).map((threads) => ({ ...chosen, threads })),
    ...(['disabled', 'basic', 'extended', 'all'] as const).filter((l) => l !== chosen.level).map((level) => ({ ...chosen, level })),
    { ...chosen, memPattern: !chosen.memPattern },
  ];
  console.log(`NMF sessions of the fixture (200 steps), ${N} LS; chosen: ${label(chosen)}`);
  // the first creation also loads onnxruntime's kernels: warm up once
  await measure({ ...chosen, chunk: N });
  // twice round, so a moment of load on the (shared) machine shows as a disagreement
  for (let round = 0; round < 2; round++)
    for (const v of variants) console.log(`${v === chosen ? '* ' : '  '}${label(v)}: ${await measure(v)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
