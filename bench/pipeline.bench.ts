/**
 * Full PixelNMF pipeline (preprocess → ONNX NMF → loss → clustering → combine → flag → filter) on the
 * reference fixture's models, tiled to many lumisections. Prints ms/LS and peak RSS:
 *   1. 1024 LS × 3 layers held in memory, chunks of 256 (the preview case)
 *   2. 10 000 LS streamed in chunks of 500, keeping only per-LS summaries (RSS must stay < 1 GB)
 */
import path from 'node:path';
import { loadDataInputs, type LoadedData } from '../backend/pipeline/data-inputs';
import { compilePresetFiles, openSessions } from '../backend/pipeline/preset-io';
import { inMemorySource, loadConditions, runPipeline, type MapSource } from '../backend/pipeline/runner';
import { pixelBarrelPreset } from '../shared/preset/pixel-barrel';
import type { CompiledPipeline } from '../shared/pipeline/model';
import type { LumisectionSummary } from '../shared/pipeline/run-chunk';

// npm run bench runs from the repository root (the bench is bundled into dist/bench/).
const FIXTURE = path.resolve('test/fixtures/pixelnmf-reference');
const LAYERS = ['BPix2', 'BPix3', 'BPix4'];

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
const mb = (b: number) => `${(b / 2 ** 20).toFixed(0)} MB`;

/** Tile the 24 reference LS to n lumisections, produced per chunk so memory stays bounded. */
function tiledSource(cp: CompiledPipeline, base: LoadedData, n: number): MapSource {
  const runs = Float64Array.from({ length: n }, (_, i) => base.runs[i % base.n]);
  const lumis = Float64Array.from({ length: n }, (_, i) => base.lumis[i % base.n]);
  return {
    n,
    runs,
    lumis,
    read: (start, count) =>
      cp.layers.map((l, li) => {
        const size = l.geom.rows * l.geom.cols;
        const out = new Int32Array(count * size);
        for (let k = 0; k < count; k++) {
          const src = (start + k) % base.n;
          out.set(base.raws[li].subarray(src * size, (src + 1) * size), k * size);
        }
        return out;
      }),
  };
}

async function main(): Promise<void> {
  const loaded = { file: path.join(FIXTURE, 'preset.json'), dir: FIXTURE, preset: pixelBarrelPreset(LAYERS) };
  const cp = await compilePresetFiles(loaded);
  const threads = Number(process.env.ORT_THREADS ?? 1);
  const sessions = await openSessions(loaded, cp, threads);
  const spec = {
    layers: Object.fromEntries(LAYERS.map((l) => [l, `data/raw_${l}.npy`])),
    runs: 'data/run_number.npy',
    lumis: 'data/ls_number.npy',
    oms: 'data/omsdata_Run2025F-v1.json',
    hlt: 'data/hltrate_Run2025F-v1.json',
    baseDir: FIXTURE,
  };
  const base = await loadDataInputs(loaded.preset, spec);

  // warm-up (session init, JIT)
  await runPipeline(cp, sessions, inMemorySource(cp, base), await loadConditions(loaded.preset, spec, base, []), { onChunk: () => {} });

  for (const [label, n, chunkSize, inMemory] of [
    ['1024 LS in memory, chunks of 256', 1024, 256, true],
    ['10000 LS streamed, chunks of 500', 10_000, 500, false],
  ] as const) {
    const tiled = tiledSource(cp, base, n);
    let source = tiled;
    if (inMemory) {
      const raws = await tiled.read(0, n);
      source = { ...tiled, read: (start, count) => cp.layers.map((l, i) => raws[i].subarray(start * l.geom.rows * l.geom.cols, (start + count) * l.geom.rows * l.geom.cols)) };
    }
    const cond = await loadConditions(loaded.preset, spec, { runs: tiled.runs, lumis: tiled.lumis }, []);
    const summaries: LumisectionSummary[] = [];
    let inferenceMs = 0;
    const timed = sessions.map((s) => {
      const run = s.run.bind(s);
      return Object.assign(Object.create(s), { run: async (x: Float32Array, k: number) => { const t = performance.now(); const r = await run(x, k); inferenceMs += performance.now() - t; return r; } });
    });
    (globalThis as { gc?: () => void }).gc?.();
    const t0 = performance.now();
    await runPipeline(cp, timed, source, cond, { chunkSize, onChunk: (_s, sum) => void summaries.push(...sum) });
    const ms = performance.now() - t0;
    const flagged = summaries.filter((s) => s.flagged).length;
    console.log(
      `${label}: ${(ms / n).toFixed(3)} ms/LS total (${(inferenceMs / n).toFixed(3)} ms/LS ONNX, ${((ms - inferenceMs) / n).toFixed(3)} ms/LS numeric), ` +
        `${flagged} flagged, peak RSS ${mb(Math.max(peakRss, process.memoryUsage().rss))}`,
    );
  }
  await Promise.all(sessions.map((s) => s.close()));
  clearInterval(sampler);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
