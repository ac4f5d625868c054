#!/usr/bin/env node
// TEST STAND-IN — never used by DISM Studio outside tests.
// Runs the DIALS API stand-in by hand: bundles dials-stand-in.ts with esbuild (a dev dependency) and
// serves it on 127.0.0.1 until Ctrl-C. See README.md in this folder for routes and options.
//
//   node test/stand-ins/dials-api/run-stand-in.mjs [--port 8765] [--seed 2025] [--latency-ms 50]
//        [--auto-approve-after 2] [--poll-interval 5] [--bulk FIRST_RUN:RUNS:LS_PER_RUN] [--gzip] [--quiet]
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i < 0 ? fallback : args[i + 1];
};
const flag = (name) => args.includes(`--${name}`);
if (flag('help') || flag('h')) {
  console.log(
    'usage: node test/stand-ins/dials-api/run-stand-in.mjs [--port N] [--seed N] [--latency-ms N] [--auto-approve-after N] [--poll-interval S] [--bulk FIRST:RUNS:LS] [--gzip] [--quiet]',
  );
  process.exit(0);
}

const outDir = path.join(root, 'dist', 'stand-ins');
mkdirSync(outDir, { recursive: true });
const outfile = path.join(outDir, 'dials-stand-in.mjs');
await build({
  entryPoints: [path.join(here, 'dials-stand-in.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
  absWorkingDir: root,
});
const { startDialsStandIn, bulkRuns } = await import(pathToFileURL(outfile).href);

const bulk = opt('bulk', null);
let extraRuns = [];
if (bulk) {
  const [first, runs, ls] = bulk.split(':').map(Number);
  if (![first, runs, ls].every((n) => Number.isInteger(n) && n > 0)) {
    console.error(`--bulk wants FIRST_RUN:RUNS:LS_PER_RUN, e.g. 399000:10:1000 (got "${bulk}")`);
    process.exit(2);
  }
  extraRuns = bulkRuns(first, runs, ls);
}
const quiet = flag('quiet');
const standIn = await startDialsStandIn({
  port: Number(opt('port', 0)),
  seed: Number(opt('seed', 2025)),
  latencyMs: Number(opt('latency-ms', 0)),
  autoApproveAfterPolls: Number(opt('auto-approve-after', 0)),
  pollIntervalS: Number(opt('poll-interval', 5)),
  gzip: flag('gzip'),
  extraRuns,
  onRequest: quiet
    ? undefined
    : (e) =>
        console.log(
          `${e.method} ${e.path}${e.query.length ? `?${new URLSearchParams(e.query)}` : ''} → ${e.status ?? '—'}${e.faults.length ? ` [${e.faults.join(',')}]` : ''}${e.records !== undefined ? ` (${e.records} records)` : ''}`,
        ),
});
console.log(`DIALS API stand-in (TEST ONLY) at ${standIn.url}  — API under ${standIn.apiUrl}`);
console.log(`  secret key (X-CLIENT-SECRET): ${standIn.secretKey}`);
console.log(`  device sign-in: GET ${standIn.apiUrl}auth/new-device/ and open the verification URL to approve`);
console.log('  Ctrl-C to stop');
process.on('SIGINT', async () => {
  await standIn.close();
  process.exit(0);
});
