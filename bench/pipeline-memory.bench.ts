/**
 * Memory of repeated previews: six `pipeline.run` of 10 000 LS through the real back end (API
 * dispatcher → PipelineService → pipeline worker thread), used the way the Preview screen uses them:
 * events serialised as the transport would, the results fetched, a few LS opened, then the run
 * released (`pipeline.release`, what the UI calls before starting another run or leaving the project).
 *
 * Prints RSS, V8 heap used, external and ArrayBuffer memory at the baseline, at the end of each run
 * (results still held, with what the service keeps) and after each release (with where the resident
 * memory is, on Linux), then whether the RSS after the last release is at most 20 % above the first
 * run's RSS and above the RSS after the first run's release (figures only; nothing is asserted).
 * The second comparison is sensitive to the C allocator: glibc keeps part of the last pipeline
 * worker's freed working memory cached (24–190 MB per worker seen here), whatever the app releases.
 *
 *   npm run bench pipeline-memory        (MEMORY_BENCH_LS=2000 for a quicker look)
 */
import { readFileSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createBackend } from '@/backend/api/create-backend';
import { encodeNpy, readNpyFile } from '@/backend/pipeline/npy';
import type { MethodInput, MethodName, MethodOutput } from '@/shared/api/contract';
import { pixelBarrelPreset } from '@/shared/preset/pixel-barrel';

const FIXTURE = path.resolve('test/fixtures/pixelnmf-reference');
const LAYERS = ['BPix2', 'BPix3', 'BPix4'];
const N = Number(process.env.MEMORY_BENCH_LS ?? 10_000);
const RUNS = 6;
/** The bench's verdict: RSS after the last release at most this much above the first release's. */
const TOLERANCE = 0.2;

const mb = (b: number) => `${(b / 2 ** 20).toFixed(0)} MB`;
const gc = (globalThis as { gc?: () => void }).gc;

interface Sample {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

/** After a forced full GC (the bench runs with --expose-gc) and a moment for freed pages to go back. */
async function settled(): Promise<Sample> {
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((r) => setTimeout(r, 300));
  }
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
}

/**
 * Linux: where the resident memory is, from /proc/self/smaps. Thread arenas are glibc's per-thread
 * malloc heaps (64 MB-aligned mappings): memory freed there stays resident until glibc trims it.
 */
function residentBreakdown(): string {
  let text: string;
  try {
    text = readFileSync('/proc/self/smaps', 'utf8');
  } catch {
    return '';
  }
  const sums = new Map<string, number>();
  let kind = '';
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (m) {
      const start = parseInt(m[1], 16);
      const size = parseInt(m[2], 16) - start;
      const name = m[3];
      kind =
        name === '[heap]'
          ? 'main malloc heap'
          : name.startsWith('/')
            ? 'mapped files (code)'
            : name
              ? 'other'
              : start % 2 ** 26 === 0 && size <= 2 ** 26
                ? 'thread malloc arenas'
                : 'other anonymous (V8 heaps, slabs)';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) sums.set(kind, (sums.get(kind) ?? 0) + Number(rss[1]) * 1024);
  }
  return [...sums]
    .filter(([, b]) => b >= 2 ** 20)
    .sort((a, b) => b[1] - a[1])
    .map(([k, b]) => `${k} ${mb(b)}`)
    .join(', ');
}

const show = (s: Sample) =>
  `RSS ${mb(s.rss).padStart(7)}   heap used ${mb(s.heapUsed).padStart(6)}   external ${mb(s.external).padStart(7)}   arrayBuffers ${mb(s.arrayBuffers).padStart(7)}`;

/** A preset + .npy data folder: the 24 reference LS tiled to n lumisections. */
async function writeProject(dir: string, n: number) {
  const layers: Record<string, string> = {};
  const base = await readNpyFile(path.join(FIXTURE, 'data/run_number.npy'));
  const m = base.shape[0];
  for (const l of LAYERS) {
    const src = await readNpyFile(path.join(FIXTURE, `data/raw_${l}.npy`));
    const [, rows, cols] = src.shape;
    const size = rows * cols;
    const out = new Int32Array(n * size);
    for (let k = 0; k < n; k++) out.set(src.data.subarray((k % m) * size, ((k % m) + 1) * size), k * size);
    layers[l] = path.join(dir, `raw_${l}.npy`);
    await fs.writeFile(layers[l], encodeNpy({ dtype: 'int32', shape: [n, rows, cols], data: out }));
  }
  const lumis = await readNpyFile(path.join(FIXTURE, 'data/ls_number.npy'));
  await fs.writeFile(
    path.join(dir, 'runs.npy'),
    encodeNpy({ dtype: 'float64', shape: [n], data: Float64Array.from({ length: n }, (_, i) => base.data[i % m]) }),
  );
  await fs.writeFile(
    path.join(dir, 'lumis.npy'),
    encodeNpy({ dtype: 'float64', shape: [n], data: Float64Array.from({ length: n }, (_, i) => lumis.data[i % m]) }),
  );
  const presetFile = path.join(dir, 'preset.json');
  const files = (l: string) => ({
    onnx: path.join(FIXTURE, `model/nmf_${l}.onnx`),
    localNorm: path.join(FIXTURE, `model/local_norm_${l}.npy`),
    lossMask: path.join(FIXTURE, `model/loss_mask_${l}.npy`),
  });
  await fs.writeFile(presetFile, JSON.stringify(pixelBarrelPreset(LAYERS, files)));
  return {
    presetFile,
    data: {
      layers,
      runs: path.join(dir, 'runs.npy'),
      lumis: path.join(dir, 'lumis.npy'),
      oms: path.join(FIXTURE, 'data/omsdata_Run2025F-v1.json'),
      hlt: path.join(FIXTURE, 'data/hltrate_Run2025F-v1.json'),
    },
  };
}

async function main(): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pipeline-memory-bench-'));
  const backend = await createBackend({ host: { kind: 'test' }, userDataDir: path.join(dir, 'user-data'), pollEngine: false });
  const call = async <M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>> => {
    const reply = await backend.dispatch(method, input);
    if (!reply.ok) throw Object.assign(new Error(`${method}: ${reply.error.message}`), { code: reply.error.code });
    return reply.result as MethodOutput<M>;
  };
  // What a transport does with every event: serialise it (and the client then keeps what it needs).
  let eventBytes = 0;
  backend.onEvent((event, payload) => void (eventBytes += JSON.stringify({ event, payload }).length));
  try {
    const project = await writeProject(dir, N);
    const baseline = await settled();
    console.log(`${N} LS × ${LAYERS.length} layers (.npy int32, ${mb(N * (58 + 90 + 130) * 72 * 4)} of raw maps), ${RUNS} runs`);
    const row = (label: string, m: Sample) => console.log(`${label.padEnd(44)}${show(m)}`);
    row('baseline (back end up, no run)', baseline);
    const afterRelease: Sample[] = [];
    let firstHeld: Sample | undefined;
    let releaseMissing = false;
    for (let i = 1; i <= RUNS; i++) {
      const t0 = performance.now();
      const run = await call('pipeline.run', { presetFile: project.presetFile, data: project.data });
      const snap = await backend.ctx.jobs.wait(run.jobId);
      if (snap.state !== 'succeeded') throw new Error(`run ${i} ${snap.state}: ${snap.error?.message ?? ''}`);
      const s = performance.now() - t0;
      const inProcess = (await call('jobs.logs', { id: run.jobId })).some((l) => l.text.includes('worker bundle'));
      // the Preview screen: the authoritative results list, then a few LS opened
      const results = await call('pipeline.results', { sessionId: run.sessionId });
      for (const index of [0, 1, results.items.findIndex((r) => r.flagged)].filter((x) => x >= 0))
        await call('pipeline.lumisection', { sessionId: run.sessionId, index });
      const held = await settled();
      firstHeld ??= held;
      row(
        `run ${i} (${(s / 1000).toFixed(0)} s${inProcess ? ', in-process' : ''}, ${results.summary.flagged} flagged), results held`,
        held,
      );
      const kept = backend.ctx.pipeline.kept();
      console.log(
        `${''.padEnd(46)}(kept: ${kept.runs.length} run(s), ${mb(kept.mapsBytes)} of stage maps, results of ${kept.runs.reduce((a, r) => a + r.lumisections, 0)} LS)`,
      );
      // leaving the run: what the UI does before another run or when the project closes
      const reply = await backend.dispatch('pipeline.release', { sessionId: run.sessionId });
      if (!reply.ok && reply.error.code === 'UNKNOWN_METHOD') releaseMissing = true;
      else if (!reply.ok) throw new Error(`pipeline.release: ${reply.error.message}`);
      const released = await settled();
      afterRelease.push(released);
      row(`  after ${releaseMissing ? 'dropping it (no pipeline.release)' : 'pipeline.release'}`, released);
      const where = residentBreakdown();
      if (where) console.log(`${''.padEnd(46)}(${where})`);
    }
    await backend.dispose();
    const disposed = await settled();
    row('after back-end dispose', disposed);
    const last = afterRelease[afterRelease.length - 1].rss;
    const verdict = (label: string, ref: number) => {
      const growth = (last - ref) / ref;
      return `${label} ${mb(ref)}: ${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(0)} % (${growth <= TOLERANCE ? 'at most' : 'MORE than'} ${TOLERANCE * 100} % above)`;
    };
    console.log(`RSS after the last release ${mb(last)}, baseline ${mb(baseline.rss)}; events serialised ${mb(eventBytes)}`);
    console.log(`  vs ${verdict("the first run's RSS", firstHeld!.rss)}`);
    console.log(`  vs ${verdict("the RSS after the first run's release", afterRelease[0].rss)}`);
  } finally {
    await backend.dispose().catch(() => undefined);
    await fs.rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
