// Time from "Start" (ModelServerManager.start, what the UI button and `dism-studio start-api` call)
// to ready, against `docker run` of the same container by hand followed by polling the same
// readiness endpoints. Uses the MLServer stand-in image (tests only; no registry is reachable).
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { buildLocal } from '@/backend/build-local/local-build';
import { checkReady } from '@/backend/model-server/readiness';
import { buildRequests } from '@/backend/inference/oip-request';
import { cleanupProject, ensureStandInImage, makeToyProject, newManager, STAND_IN_IMAGE } from '@/test/model-server/helpers';

const ROUNDS = 5;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function byHand(resourceDir: string, port: number): Promise<number> {
  const t0 = performance.now();
  const id = execFileSync(
    'docker',
    [
      'run',
      '-d',
      '--label',
      'dism.studio=1',
      '--label',
      'dism.role=bench',
      '-p',
      `127.0.0.1:${port}:8080`,
      '-v',
      `${resourceDir}:/mnt/toy-model:ro`,
      '-e',
      'PYTHONDONTWRITEBYTECODE=1',
      STAND_IN_IMAGE,
      'mlserver',
      'start',
      '/mnt/toy-model',
    ],
    { encoding: 'utf8' },
  ).trim();
  try {
    for (;;) {
      const s = await checkReady(`http://127.0.0.1:${port}`, 'toy-model', 1000);
      if (s.server && s.model) return performance.now() - t0;
      if (performance.now() - t0 > 60_000) throw new Error('hand-run container not ready within 60 s');
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    execFileSync('docker', ['rm', '-f', id], { stdio: 'ignore' });
  }
}

/** Building the DIALS-style request bodies for the pixel inputs (3 layers + 12 metadata inputs). */
function requestBuilding(n: number): void {
  const shapes: Array<[string, number, number]> = [
    ['BPix2', 58, 72],
    ['BPix3', 90, 72],
    ['BPix4', 130, 72],
  ];
  const signature = shapes.map(([name, ny, nx]) => ({ name, dataType: 'INT32', dims: [-1, ny, nx] }));
  const maps = shapes.map(([, ny, nx]) => Int32Array.from({ length: n * ny * nx }, (_, i) => (i * 7919) % 300));
  const attrs = [
    'pileup',
    'cms_active',
    'beams_stable',
    'bpix_ready',
    'fpix_ready',
    'tibtid_ready',
    'tob_ready',
    'tecp_ready',
    'tecm_ready',
  ];
  const meta = attrs.map((a) => ({
    name: `oms_lumisection_info__${a}`,
    dataType: a === 'pileup' ? 'FP32' : 'BOOL',
    dims: [-1],
    meta: 'oms_lumisection_info',
    attribute: a,
    endpoint: 'lumisections',
  }));
  const metadata = Object.fromEntries(
    meta.map((m) => [m.name, Array.from({ length: n }, (_, i) => (m.dataType === 'BOOL' ? i % 5 !== 0 : 30 + (i % 20)))]),
  );
  const t0 = performance.now();
  const batches = buildRequests(signature, meta, { n, maps, metadata });
  const ms = performance.now() - t0;
  const mb = batches.reduce((a, b) => a + b.body.length, 0) / 1e6;
  console.log(
    `request building: ${n} LS → ${batches.length} requests, ${mb.toFixed(0)} MB JSON in ${ms.toFixed(0)} ms (${((ms / n) * 1000).toFixed(0)} ms per 1000 LS)`,
  );
}

async function main() {
  requestBuilding(2000);
  ensureStandInImage();
  const p = await makeToyProject();
  try {
    const build = await buildLocal(p.template);
    const resourceDir = path.join(build.buildDir, 'Toy');
    const studio: number[] = [];
    const hand: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const { manager } = newManager();
      const t0 = performance.now();
      const run = await manager.start({ templateFile: p.template, image: STAND_IN_IMAGE, port: 18900, build: 'never' });
      await manager.waitReady(run.id);
      studio.push(performance.now() - t0);
      await manager.stop(run.id);
      hand.push(await byHand(resourceDir, 18950));
    }
    const s = median(studio);
    const h = median(hand);
    console.log(`start-api (DISM Studio) Start → ready: median ${s.toFixed(0)} ms  [${studio.map((x) => x.toFixed(0)).join(', ')}]`);
    console.log(`docker run by hand      run → ready:   median ${h.toFixed(0)} ms  [${hand.map((x) => x.toFixed(0)).join(', ')}]`);
    console.log(`ratio DISM Studio / by hand: ${(s / h).toFixed(2)}  (${ROUNDS} rounds, stand-in MLServer image, toy handler)`);
  } finally {
    await cleanupProject(p.dir);
  }
}

await main();
