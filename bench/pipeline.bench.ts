/**
 * Full PixelNMF pipeline (preprocess → ONNX NMF → loss → clustering → combine → flag → filter) on the
 * reference fixture's models, tiled to many lumisections. Prints ms/LS and peak RSS:
 *   1. 1024 LS × 3 layers held in memory, chunks of 256 (the preview case)
 *   2. 10 000 LS streamed in chunks of 500, keeping only per-LS summaries (RSS must stay < 1 GB)
 *   3. the back-end service (worker thread, 1024 LS from .npy files) and re-flagging from cached
 *      reconstructions after threshold / pattern / filter changes (target: 1000 LS < 300 ms)
 * Wall-clock figures depend on what else runs on the machine; CPU ms/LS is the process's own time.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { JobManager } from '@/backend/jobs/job-manager';
import { encodeNpy } from '@/backend/pipeline/npy';
import { PipelineService } from '@/backend/pipeline/pipeline-service';
import { loadDataInputs, type LoadedData } from '@/backend/pipeline/data-inputs';
import { compilePresetFiles, openSessions } from '@/backend/pipeline/preset-io';
import { inMemorySource, loadConditions, runPipeline, type MapSource } from '@/backend/pipeline/runner';
import { pixelBarrelPreset } from '@/shared/preset/pixel-barrel';
import type { CompiledPipeline } from '@/shared/pipeline/model';
import type { LumisectionSummary } from '@/shared/pipeline/run-chunk';

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

/** The back-end service path: worker-thread run of 1024 LS from .npy files, then re-flagging from cached reconstructions. */
async function benchService(cp: CompiledPipeline, base: LoadedData): Promise<void> {
  const n = 1024;
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pipeline-bench-'));
  try {
    const tiled = tiledSource(cp, base, n);
    const raws = await tiled.read(0, n);
    const layers: Record<string, string> = {};
    for (const [i, l] of cp.layers.entries()) {
      layers[l.name] = path.join(dir, `raw_${l.name}.npy`);
      await fs.writeFile(layers[l.name], encodeNpy({ dtype: 'int32', shape: [n, l.geom.rows, l.geom.cols], data: raws[i] }));
    }
    await fs.writeFile(path.join(dir, 'runs.npy'), encodeNpy({ dtype: 'float64', shape: [n], data: Float64Array.from(tiled.runs) }));
    await fs.writeFile(path.join(dir, 'lumis.npy'), encodeNpy({ dtype: 'float64', shape: [n], data: Float64Array.from(tiled.lumis) }));
    const presetFile = path.join(dir, 'preset.json');
    await fs.writeFile(
      presetFile,
      JSON.stringify(
        pixelBarrelPreset(LAYERS, (l) => ({
          onnx: path.join(FIXTURE, `model/nmf_${l}.onnx`),
          localNorm: path.join(FIXTURE, `model/local_norm_${l}.npy`),
          lossMask: path.join(FIXTURE, `model/loss_mask_${l}.npy`),
        })),
      ),
    );
    const jobs = new JobManager({ update: () => {}, log: () => {}, chunk: () => {} });
    const service = new PipelineService(jobs);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const run = await service.start({
      presetFile,
      data: {
        layers,
        runs: path.join(dir, 'runs.npy'),
        lumis: path.join(dir, 'lumis.npy'),
        oms: path.join(FIXTURE, 'data/omsdata_Run2025F-v1.json'),
        hlt: path.join(FIXTURE, 'data/hltrate_Run2025F-v1.json'),
      },
    });
    const loaded = performance.now();
    const snap = await jobs.wait(run.jobId);
    const ms = performance.now() - loaded;
    const cpu = process.cpuUsage(cpu0);
    console.log(
      `service (worker threads) ${n} LS from .npy: ${snap.state}; loading ${(loaded - t0).toFixed(0)} ms, then ${(ms / n).toFixed(3)} ms/LS wall, ` +
        `${((cpu.user + cpu.system) / 1000 / n).toFixed(3)} ms/LS CPU (all threads, loading included), peak RSS ${mb(peakRss)}`,
    );
    // each change is relative to the previous one (the session keeps the last preset)
    const p0 = run.preset;
    const p1 = { ...p0, thresholds: [{ ...p0.thresholds[0], lossThreshold: 0.06 }] };
    const p2 = { ...p1, flagging: { ...p1.flagging, patterns: [{ ones: [1, 10] as [number, number] }] } };
    const p3 = { ...p2, filters: { ...p2.filters, minPileup: 35 } };
    for (const [label, changed] of [
      ['loss threshold 0.04 → 0.06', p1],
      ['flagging pattern ones(1, 10)', p2],
      ['pileup cut 25 → 35', p3],
    ] as const) {
      const r = await service.reflag(run.sessionId, changed);
      console.log(`reflag ${n} LS (${label}): from stage "${r.stage}", ${r.ms.toFixed(0)} ms, ${r.summary.flagged} flagged`);
    }
    await service.dispose();
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
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
    ['1024 LS in memory, chunks of 256 (first run of this chunk shape)', 1024, 256, true],
    ['1024 LS in memory, chunks of 256 (again)', 1024, 256, true],
    ['10000 LS streamed, chunks of 500', 10_000, 500, false],
  ] as const) {
    const tiled = tiledSource(cp, base, n);
    let source = tiled;
    if (inMemory) {
      const raws = await tiled.read(0, n);
      source = {
        ...tiled,
        read: (start, count) =>
          cp.layers.map((l, i) => raws[i].subarray(start * l.geom.rows * l.geom.cols, (start + count) * l.geom.rows * l.geom.cols)),
      };
    }
    const cond = await loadConditions(loaded.preset, spec, { runs: tiled.runs, lumis: tiled.lumis }, []);
    const summaries: LumisectionSummary[] = [];
    let inferenceMs = 0;
    const timed = sessions.map((s) => {
      const run = s.run.bind(s);
      return Object.assign(Object.create(s), {
        run: async (x: Float32Array, k: number) => {
          const t = performance.now();
          const r = await run(x, k);
          inferenceMs += performance.now() - t;
          return r;
        },
      });
    });
    (globalThis as { gc?: () => void }).gc?.();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await runPipeline(cp, timed, source, cond, { chunkSize, onChunk: (_s, sum) => void summaries.push(...sum) });
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const flagged = summaries.filter((s) => s.flagged).length;
    console.log(
      `${label}: ${(ms / n).toFixed(3)} ms/LS wall (${(inferenceMs / n).toFixed(3)} ms/LS in ONNX runs, ${((ms - inferenceMs) / n).toFixed(3)} ms/LS numeric stages), ` +
        `${((cpu.user + cpu.system) / 1000 / n).toFixed(3)} ms/LS CPU, ${flagged} flagged, peak RSS ${mb(Math.max(peakRss, process.memoryUsage().rss))}`,
    );
  }
  await Promise.all(sessions.map((s) => s.close()));
  await benchService(cp, base);
  clearInterval(sampler);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
