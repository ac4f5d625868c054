/**
 * DIALS fetch throughput and memory: 10 000 lumisections × 3 MEs (BPix2–4 of the demo template:
 * 30 000 TH2 maps, about 1.2 GB of JSON) from the DIALS API stand-in with 50 ms latency per page,
 * through the same fetch the app and `dism-studio dials fetch` run (pages checked, spooled to disk,
 * OMS and HLT through the OMS proxy, then one parquet per ME). The stand-in runs in its own process
 * (`run-stand-in.mjs`) so only the client's memory is measured here; the target is < 500 MB RSS.
 *
 * Prints the time per phase, pages, MB, throughput, the peak RSS (sampled, and the kernel's high-water
 * mark) and the parquet sizes. Nothing is asserted.
 *
 *   npm run bench dials-fetch      (DIALS_BENCH_RUNS=2 DIALS_BENCH_LS=1000 for a quicker look)
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { demoTemplateYaml } from '@/backend/demo/demo-template';
import { DialsConnection } from '@/backend/dials/dials-connection';
import { DEFAULT_CONCURRENCY, DEFAULT_PAGE_SIZE, runDialsFetch } from '@/backend/dials/fetch-job';
import { hltSelection } from '@/backend/dials/oms-fetch';
import { templateMesOf } from '@/backend/dials/template-mes';
import { pixelBarrelPreset } from '@/shared/preset/pixel-barrel';

const RUNS = Number(process.env.DIALS_BENCH_RUNS ?? 10);
const LS = Number(process.env.DIALS_BENCH_LS ?? 1000);
const LATENCY_MS = 50;
const FIRST_RUN = 399000;
const DATASET = '/StreamExpress/Run2025F-Express-v1/DQMIO';

const mb = (b: number) => `${(b / 2 ** 20).toFixed(0)} MB`;

async function startStandIn(): Promise<{ url: string; secret: string; stop(): Promise<void> }> {
  const child = spawn(
    process.execPath,
    ['test/stand-ins/dials-api/run-stand-in.mjs', '--bulk', `${FIRST_RUN}:${RUNS}:${LS}`, '--latency-ms', String(LATENCY_MS), '--quiet'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  const ready = await new Promise<{ url: string; secret: string }>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const url = /at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)?.[1];
      const secret = /X-CLIENT-SECRET\): (\S+)/.exec(out)?.[1];
      if (url && secret) resolve({ url, secret });
    });
    child.once('exit', (code) => reject(new Error(`the stand-in exited (${code}): ${out}`)));
  });
  return {
    ...ready,
    stop: () =>
      new Promise<void>((r) => {
        child.once('exit', () => r());
        child.kill('SIGINT');
      }),
  };
}

async function main() {
  const baseline = process.memoryUsage().rss;
  const standIn = await startStandIn();
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'dism-dials-bench-'));
  const folder = path.join(root, 'project', 'data', 'dials');
  const text = demoTemplateYaml(pixelBarrelPreset());
  const mes = templateMesOf(text, 'template.yaml');
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
  const phases: Record<string, number> = {};
  let phase = '';
  let phaseStart = performance.now();
  const t0 = performance.now();
  try {
    const conn = new DialsConnection(standIn.url, { userDataDir: path.join(root, 'user-data'), clientSecret: standIn.secret });
    const http = conn.http(null);
    console.log(
      `fetching ${RUNS} runs × ${LS} LS × ${mes.length} MEs from the DIALS API stand-in (own process, ${LATENCY_MS} ms per page), ` +
        `${DEFAULT_PAGE_SIZE} maps per page, ${DEFAULT_CONCURRENCY} requests at a time`,
    );
    const manifest = await runDialsFetch({
      folder,
      request: {
        dataset: DATASET,
        runs: { kind: 'range', first: FIRST_RUN, last: FIRST_RUN + RUNS - 1 },
        mes,
        ls: {},
        workspace: null,
        template: 'template.yaml',
        replace: false,
      },
      http,
      hlt: hltSelection('HLT_ZeroBias_v*', null),
      log: () => undefined,
      progress: (p) => {
        if (p.phase !== phase) {
          const now = performance.now();
          if (phase) phases[phase] = (phases[phase] ?? 0) + (now - phaseStart) / 1000;
          phase = p.phase;
          phaseStart = now;
        }
      },
      replaceHint: 'replace',
      createdBy: 'DISM Studio bench',
    });
    phases[phase] = (phases[phase] ?? 0) + (performance.now() - phaseStart) / 1000;
    const total = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    const maxRss = process.resourceUsage().maxRSS * 1024;
    const sizes = await Promise.all(manifest.mes.map((m) => fs.stat(path.join(folder, m.file)).then((s) => s.size)));
    console.log(
      `lumisections: ${manifest.lumisections} × ${manifest.mes.length} MEs (${manifest.lumisections * manifest.mes.length} maps)`,
    );
    console.log(`pages: ${manifest.stats.pages} map pages, ${manifest.stats.requests} requests in all, ${manifest.stats.retries} retries`);
    console.log(`downloaded: ${mb(manifest.stats.bytes)} of JSON`);
    console.log(
      `time: ${total.toFixed(1)} s in all — ${Object.entries(phases)
        .map(([k, v]) => `${k} ${v.toFixed(1)} s`)
        .join(', ')}`,
    );
    console.log(
      `throughput: ${((manifest.lumisections * manifest.mes.length) / total).toFixed(0)} maps/s, ${(manifest.lumisections / total).toFixed(0)} LS/s, ` +
        `${(manifest.stats.bytes / 2 ** 20 / (phases.maps ?? total)).toFixed(1)} MB/s while fetching maps`,
    );
    console.log(
      `peak RSS: ${mb(peak)} sampled every 100 ms, ${mb(maxRss)} high-water mark (target < 500 MB); ${mb(baseline)} before the fetch`,
    );
    console.log(`parquet: ${manifest.mes.map((m, i) => `${m.me.split('_').pop()} ${mb(sizes[i])}`).join(', ')}`);
  } finally {
    clearInterval(sampler);
    await standIn.stop();
    await fs.rm(root, { recursive: true, force: true });
  }
}

await main();
