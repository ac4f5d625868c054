/**
 * Full PixelNMF pipeline (preprocess → ONNX NMF → loss → clustering → combine → flag → filter) on the
 * reference fixture's models (the ONNX graphs run 200 NMF update steps, as the real model does),
 * tiled to many lumisections. Prints ms/LS and peak RSS:
 *   0. whole processes, 960 and 10 000 LS: `dism-studio preview` against a process that only creates
 *      the three ONNX sessions and runs them on the same LS in chunks of 32 (bench/onnx-only.process.ts);
 *      prints both times, their ratio, ms/LS and peak RSS (PIPELINE_BENCH_PROCESS_ONLY=1: only this;
 *      PIPELINE_BENCH_SKIP_PROCESSES=1: all but this; PIPELINE_BENCH_SERVICE_ONLY=1: only 3.;
 *      PIPELINE_BENCH_LEAD=1: only the service path against the CLI on the same 960 LS, alternating;
 *      BENCH_CLI=FILE: the cli.mjs of another build, e.g. an older commit's)
 *   1. 1024 LS × 3 layers held in memory, chunks of 256 (the preview case)
 *   2. 10 000 LS streamed in chunks of 500, keeping only per-LS summaries (RSS must stay < 1 GB)
 *   3. the back-end service (worker thread, 1024 LS from .npy files) and re-flagging from cached
 *      reconstructions after threshold / pattern / filter changes (target: 1000 LS < 300 ms)
 * Wall-clock figures depend on what else runs on the machine; CPU ms/LS is the process's own time.
 */
import { spawnSync } from 'node:child_process';
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { JobManager } from '@/backend/jobs/job-manager';
import { encodeNpy, NpyStreamWriter } from '@/backend/pipeline/npy';
import { PipelineService } from '@/backend/pipeline/pipeline-service';
import { loadDataInputs, type LoadedData } from '@/backend/pipeline/data-inputs';
import { compilePresetFiles, openSessions } from '@/backend/pipeline/preset-io';
import { inMemorySource, loadConditions, runPipeline, type MapSource } from '@/backend/pipeline/runner';
import { pixelBarrelPreset } from '@/shared/preset/pixel-barrel';
import type { CompiledPipeline } from '@/shared/pipeline/model';
import { preprocessLayer } from '@/shared/pipeline/stages';
import type { LumisectionSummary } from '@/shared/pipeline/run-chunk';

// npm run bench runs from the repository root (the bench is bundled into dist/bench/).
const FIXTURE = path.resolve('test/fixtures/pixelnmf-reference');
const LAYERS = ['BPix2', 'BPix3', 'BPix4'];

let peakRss = 0;
/** The CLI's whole-process ms/LS at 960 LS when this run measured it (the service path is compared with it). */
let cliMsPerLs: number | null = null;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
const mb = (b: number) => `${(b / 2 ** 20).toFixed(0)} MB`;

/** The "pixel barrel" preset on the fixture's model files, written as preset.json into `dir`. */
async function writeFixturePreset(dir: string): Promise<string> {
  const file = path.join(dir, 'preset.json');
  const preset = pixelBarrelPreset(LAYERS, (l) => ({
    onnx: path.join(FIXTURE, `model/nmf_${l}.onnx`),
    localNorm: path.join(FIXTURE, `model/local_norm_${l}.npy`),
    lossMask: path.join(FIXTURE, `model/loss_mask_${l}.npy`),
  }));
  await fs.writeFile(file, JSON.stringify(preset));
  return file;
}

/** A module for `node --import` that writes the process's resource usage (peak RSS, CPU) to BENCH_USAGE_FILE at exit. */
async function writeUsageHook(dir: string): Promise<string> {
  const hook = path.join(dir, 'usage-hook.mjs');
  await fs.writeFile(
    hook,
    "import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => writeFileSync(process.env.BENCH_USAGE_FILE, JSON.stringify(process.resourceUsage())));\n",
  );
  return hook;
}

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

/**
 * The back-end service path: worker-thread run of 1024 LS from .npy files, then re-flagging from the
 * kept loss maps and inspecting LS (their maps recomputed from the input). `keepMaps` false: a maps
 * budget of 0, so no loss maps are kept (what keeping them costs). `prestart`: as in the app, the
 * service started a pipeline worker ahead of the run (measured after it has loaded); without it, the
 * run starts its worker (the first run of a back end started just now).
 */
async function benchService(cp: CompiledPipeline, base: LoadedData, keepMaps = true, prestart = true): Promise<void> {
  const n = 1024;
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pipeline-bench-'));
  try {
    const tiled = tiledSource(cp, base, n);
    const raws = await tiled.read(0, n, 0);
    const layers: Record<string, string> = {};
    for (const [i, l] of cp.layers.entries()) {
      layers[l.name] = path.join(dir, `raw_${l.name}.npy`);
      await fs.writeFile(layers[l.name], encodeNpy({ dtype: 'int32', shape: [n, l.geom.rows, l.geom.cols], data: raws[i] }));
    }
    await fs.writeFile(path.join(dir, 'runs.npy'), encodeNpy({ dtype: 'float64', shape: [n], data: Float64Array.from(tiled.runs) }));
    await fs.writeFile(path.join(dir, 'lumis.npy'), encodeNpy({ dtype: 'float64', shape: [n], data: Float64Array.from(tiled.lumis) }));
    const presetFile = await writeFixturePreset(dir);
    const jobs = new JobManager({ update: () => {}, log: () => {}, chunk: () => {} });
    const service = new PipelineService(jobs, keepMaps ? {} : { retention: { mapsBudget: 0 } });
    if (prestart) {
      service.prestart();
      // the app's back end has been up for a while when the user starts a preview
      await new Promise((r) => setTimeout(r, 2000));
    }
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
    const total = performance.now() - t0;
    console.log(
      `service (${prestart ? 'worker started ahead' : 'worker started by the run'}${keepMaps ? '' : ', no stage maps kept'}) ${n} LS from .npy: ${snap.state}; ` +
        `${(total / 1000).toFixed(2)} s from start to the last result (loading ${(loaded - t0).toFixed(0)} ms, then ${(ms / n).toFixed(3)} ms/LS wall), ` +
        `${((cpu.user + cpu.system) / 1000 / n).toFixed(3)} ms/LS CPU (all threads, loading included), peak RSS ${mb(peakRss)}` +
        (cliMsPerLs ? `; ${(total / n).toFixed(3)} ms/LS in all against the CLI's ${cliMsPerLs.toFixed(3)} (whole process, 960 LS)` : ''),
    );
    if (!keepMaps || !prestart) return await service.dispose();
    // inspecting: the stage maps of an LS are recomputed from the input (its chunk), then kept for the next LS of that chunk
    const timed = async (label: string, f: () => Promise<unknown>) => {
      const t = performance.now();
      await f();
      return `${label} ${(performance.now() - t).toFixed(0)} ms`;
    };
    const inspect = [
      await timed('LS 500 (right after the run)', () => service.lumisection(run.sessionId, 500)),
      await timed('LS 501 (same chunk)', () => service.lumisection(run.sessionId, 501)),
      await timed('LS 900 (another chunk)', () => service.lumisection(run.sessionId, 900)),
      await timed(`average of run ${tiled.runs[0]} (${Array.from(tiled.runs).filter((r) => r === tiled.runs[0]).length} LS)`, () =>
        service.runAverage(run.sessionId, tiled.runs[0]),
      ),
    ];
    console.log(`inspect: ${inspect.join(', ')}`);
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

/** The original Python pipeline (numpy + OpenCV, same models, 960 LS, whole process), measured on this machine kind for issue 12. */
const PYTHON_960_S = [7.4, 8.6] as const;
/** The chunk size of the ONNX-only floor. */
const FLOOR_CHUNK = 32;

interface ProcessRun {
  wallS: number;
  cpuS: number;
  peakRssMb: number;
  stdout: string;
}

/** Run a Node process; its own peak RSS and CPU time come from a hook that writes process.resourceUsage() at exit. */
function runProcess(args: string[], hook: string, usageFile: string, keepStdout: boolean): ProcessRun {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', hook, ...args], {
    env: { ...process.env, BENCH_USAGE_FILE: usageFile, ORT_DISABLE_TELEMETRY: '1' },
    stdio: ['ignore', keepStdout ? 'pipe' : 'ignore', 'pipe'],
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
  });
  const wallS = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited with ${r.status}: ${r.stderr}`);
  const u = JSON.parse(readFileSync(usageFile, 'utf8')) as { maxRSS: number; userCPUTime: number; systemCPUTime: number };
  return { wallS, cpuS: (u.userCPUTime + u.systemCPUTime) / 1e6, peakRssMb: u.maxRSS / 1024, stdout: r.stdout ?? '' };
}

/** Write the 24 reference LS tiled to n as int32 .npy files (chunk by chunk), with run / LS numbers. */
async function writeTiledData(dir: string, cp: CompiledPipeline, base: LoadedData, n: number): Promise<Record<string, string>> {
  const layers: Record<string, string> = {};
  for (const [li, l] of cp.layers.entries()) {
    const size = l.geom.rows * l.geom.cols;
    const w = new NpyStreamWriter(path.join(dir, `raw_${l.name}.npy`), 'int32', [n, l.geom.rows, l.geom.cols]);
    for (let start = 0; start < n; start += 1000) {
      const k = Math.min(1000, n - start);
      const out = new Int32Array(k * size);
      for (let j = 0; j < k; j++) {
        const src = (start + j) % base.n;
        out.set(base.raws[li].subarray(src * size, (src + 1) * size), j * size);
      }
      await w.append(out);
    }
    await w.close();
    layers[l.name] = w.file;
  }
  const ids = (a: ArrayLike<number>) =>
    encodeNpy({ dtype: 'float64', shape: [n], data: Float64Array.from({ length: n }, (_, i) => a[i % base.n]) });
  await fs.writeFile(path.join(dir, 'runs.npy'), ids(base.runs));
  await fs.writeFile(path.join(dir, 'lumis.npy'), ids(base.lumis));
  return layers;
}

/**
 * Whole processes on 960 and 10 000 LS: `dism-studio preview` (the CLI bundle, default settings)
 * against the ONNX-only floor, alternating, best of several runs (the machine is shared).
 */
async function benchWholeProcess(cp: CompiledPipeline, base: LoadedData): Promise<void> {
  // BENCH_CLI: another build's CLI bundle (e.g. an older commit's, for before/after figures)
  const cli = path.resolve(process.env.BENCH_CLI ?? 'dist/node/cli.mjs');
  const floor = path.resolve('dist/bench/onnx-only.process.mjs');
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pipeline-process-bench-'));
  try {
    const hook = await writeUsageHook(dir);
    const usage = path.join(dir, 'usage.json');
    // the floor's inputs: the 24 LS's model inputs (preprocessed and clipped, as the app feeds the NMF)
    for (const [i, l] of cp.layers.entries()) {
      const size = l.geom.outRows * l.geom.outCols;
      const out = {
        preprocessed: new Float32Array(base.n * size),
        modelInput: new Float32Array(base.n * size),
        entries: new Float64Array(base.n),
      };
      preprocessLayer(
        l,
        base.raws[i],
        base.n,
        out,
        { max: cp.clipMax, zeroValue: cp.clipZeroValue },
        new Float64Array(l.geom.rows * l.geom.cols),
      );
      await fs.writeFile(
        path.join(dir, `input_${l.name}.npy`),
        encodeNpy({ dtype: 'float32', shape: [base.n, l.geom.outRows, l.geom.outCols], data: out.modelInput }),
      );
    }
    const presetFile = await writeFixturePreset(dir);
    console.log(
      `CLI bundle: ${cli}; load average before: ${os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
    );
    const perLs: Record<number, number> = {};
    for (const [n, repeats] of [
      [960, Number(process.env.PIPELINE_BENCH_REPEATS ?? 5)],
      [10_000, 2],
    ] as const) {
      const dataDir = path.join(dir, `data-${n}`);
      await fs.mkdir(dataDir);
      const layers = await writeTiledData(dataDir, cp, base, n);
      const cliArgs = [
        cli,
        'preview',
        '--preset',
        presetFile,
        ...Object.entries(layers).map(([l, f]) => `--data=${l}=${f}`),
        '--runs',
        path.join(dataDir, 'runs.npy'),
        '--lumis',
        path.join(dataDir, 'lumis.npy'),
        '--oms',
        path.join(FIXTURE, 'data/omsdata_Run2025F-v1.json'),
        '--hlt',
        path.join(FIXTURE, 'data/hltrate_Run2025F-v1.json'),
      ];
      const floorArgs = [floor, String(n), String(FLOOR_CHUNK), dir, path.join(FIXTURE, 'model'), ...LAYERS];
      const floors: ProcessRun[] = [];
      const freedFloors: ProcessRun[] = [];
      const previews: ProcessRun[] = [];
      for (let r = 0; r < repeats; r++) {
        floors.push(runProcess(floorArgs, hook, usage, true));
        freedFloors.push(runProcess([...floorArgs, '--free-outputs'], hook, usage, true));
        previews.push(runProcess(cliArgs, hook, usage, false));
      }
      const best = (runs: ProcessRun[]) => runs.reduce((a, b) => (b.wallS < a.wallS ? b : a));
      const median = (runs: ProcessRun[]) => [...runs].sort((a, b) => a.wallS - b.wallS)[Math.floor((runs.length - 1) / 2)].wallS;
      const f = best(floors);
      const ff = best(freedFloors);
      const p = best(previews);
      const inner = (run: ProcessRun) => JSON.parse(run.stdout) as { sessionsMs: number; inferenceMs: number };
      const list = (runs: ProcessRun[]) => runs.map((x) => x.wallS.toFixed(2)).join(' ');
      const floorLine = (label: string, run: ProcessRun, runs: ProcessRun[]) =>
        `  ${label}: ${run.wallS.toFixed(2)} s [${list(runs)}] (sessions ${(inner(run).sessionsMs / 1000).toFixed(2)} s, inference ${(inner(run).inferenceMs / 1000).toFixed(2)} s), ` +
        `CPU ${run.cpuS.toFixed(2)} s, peak RSS ${run.peakRssMb.toFixed(0)} MB`;
      console.log(`whole process, ${n} LS (fixture models, 200 NMF steps), best of ${repeats} (and median):`);
      console.log(floorLine(`ONNX only (3 sessions, chunks of ${FLOOR_CHUNK})`, f, floors));
      console.log(floorLine(`ONNX only, outputs freed at once`, ff, freedFloors));
      console.log(
        `  dism-studio preview (CLI):        ${p.wallS.toFixed(2)} s [${list(previews)}], CPU ${p.cpuS.toFixed(2)} s, peak RSS ${p.peakRssMb.toFixed(0)} MB`,
      );
      perLs[n] = (p.wallS * 1000) / n;
      if (n === 960) cliMsPerLs = perLs[n];
      console.log(
        `  ratio preview / ONNX only: ${(p.wallS / f.wallS).toFixed(2)} × best, ${(median(previews) / median(floors)).toFixed(2)} × median (target ≤ 1.5 ×); ` +
          `against the floor with outputs freed: ${(p.wallS / ff.wallS).toFixed(2)} × best, ${(median(previews) / median(freedFloors)).toFixed(2)} × median; preview ${perLs[n].toFixed(3)} ms/LS` +
          (n === 960
            ? `; vs the Python pipeline's ${PYTHON_960_S[0]}–${PYTHON_960_S[1]} s: ${(p.wallS / PYTHON_960_S[0]).toFixed(2)}–${(p.wallS / PYTHON_960_S[1]).toFixed(2)} × (target ≤ 0.33 ×)`
            : `; peak RSS target < 600 MB`),
      );
      await fs.rm(dataDir, { recursive: true, force: true });
    }
    console.log(
      `  10 000 vs 960 LS: ${perLs[10_000].toFixed(3)} vs ${perLs[960].toFixed(3)} ms/LS whole process; ` +
        `per additional LS ${(((perLs[10_000] * 10_000 - perLs[960] * 960) / (10_000 - 960)) as number).toFixed(3)} ms`,
    );
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/**
 * The service path against the CLI, on the same 960 LS (.npy, fixture models, OMS and HLT), runs
 * alternating (PIPELINE_BENCH_LEAD=1): the CLI's whole process, and in this process a service run
 * from start() to its last result, with the pipeline worker started ahead of it (as the app's back
 * end does; the service is idle for 2 s before each run) and without (a worker started by the run).
 */
async function benchLead(cp: CompiledPipeline, base: LoadedData): Promise<void> {
  const n = 960;
  const repeats = Number(process.env.PIPELINE_BENCH_REPEATS ?? 5);
  const cli = path.resolve(process.env.BENCH_CLI ?? 'dist/node/cli.mjs');
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pipeline-lead-bench-'));
  try {
    const hook = await writeUsageHook(dir);
    const presetFile = await writeFixturePreset(dir);
    const layers = await writeTiledData(dir, cp, base, n);
    const extra = { oms: path.join(FIXTURE, 'data/omsdata_Run2025F-v1.json'), hlt: path.join(FIXTURE, 'data/hltrate_Run2025F-v1.json') };
    const ids = { runs: path.join(dir, 'runs.npy'), lumis: path.join(dir, 'lumis.npy') };
    const cliArgs = [
      cli,
      'preview',
      '--preset',
      presetFile,
      ...Object.entries(layers).map(([l, f]) => `--data=${l}=${f}`),
      ...['--runs', ids.runs, '--lumis', ids.lumis, '--oms', extra.oms, '--hlt', extra.hlt],
    ];
    const jobs = new JobManager({ update: () => {}, log: () => {}, chunk: () => {} });
    // as the app's back end: a spare pipeline worker, started again after each run
    const warm = new PipelineService(jobs);
    warm.prestart();
    const serviceRun = async (ahead: boolean) => {
      await new Promise((r) => setTimeout(r, ahead ? 4000 : 1000));
      // without: a service that never started a spare worker (the run starts its own)
      const service = ahead ? warm : new PipelineService(jobs);
      const t0 = performance.now();
      const run = await service.start({ presetFile, data: { layers, ...ids, ...extra } });
      const snap = await jobs.wait(run.jobId);
      const s = (performance.now() - t0) / 1000;
      if (snap.state !== 'succeeded') throw new Error(`service run ${snap.state}`);
      await service.release(run.sessionId);
      if (!ahead) await service.dispose();
      return s;
    };
    const cliRuns: number[] = [];
    const ahead: number[] = [];
    const cold: number[] = [];
    for (let r = 0; r < repeats; r++) {
      cliRuns.push(runProcess(cliArgs, hook, path.join(dir, 'usage.json'), false).wallS);
      ahead.push(await serviceRun(true));
      cold.push(await serviceRun(false));
    }
    await warm.dispose();
    const best = (a: number[]) => Math.min(...a);
    const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor((a.length - 1) / 2)];
    const list = (a: number[]) => a.map((x) => x.toFixed(2)).join(' ');
    console.log(`service path against the CLI, ${n} LS (fixture models, .npy, OMS and HLT), best of ${repeats} (and median):`);
    console.log(`  dism-studio preview (CLI), whole process: ${best(cliRuns).toFixed(2)} s [${list(cliRuns)}]`);
    console.log(
      `  service, pipeline worker started ahead: ${best(ahead).toFixed(2)} s [${list(ahead)}] = ${(best(ahead) / best(cliRuns)).toFixed(2)} × the CLI best, ${(median(ahead) / median(cliRuns)).toFixed(2)} × median`,
    );
    console.log(
      `  service, worker started by the run:     ${best(cold).toFixed(2)} s [${list(cold)}] = ${(best(cold) / best(cliRuns)).toFixed(2)} × the CLI best, ${(median(cold) / median(cliRuns)).toFixed(2)} × median`,
    );
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
  if (process.env.PIPELINE_BENCH_LEAD) {
    await Promise.all(sessions.map((s) => s.close()));
    await benchLead(cp, base);
    clearInterval(sampler);
    return;
  }
  if (process.env.PIPELINE_BENCH_SERVICE_ONLY) {
    await Promise.all(sessions.map((s) => s.close()));
    for (let k = 0; k < Number(process.env.PIPELINE_BENCH_REPEATS ?? 1); k++) {
      await benchService(cp, base);
      await benchService(cp, base, false);
      await benchService(cp, base, true, false);
    }
    clearInterval(sampler);
    return;
  }
  if (!process.env.PIPELINE_BENCH_SKIP_PROCESSES) await benchWholeProcess(cp, base);
  if (process.env.PIPELINE_BENCH_PROCESS_ONLY) {
    await Promise.all(sessions.map((s) => s.close()));
    clearInterval(sampler);
    return;
  }

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
      const raws = await tiled.read(0, n, 0);
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
  await benchService(cp, base, false);
  clearInterval(sampler);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
