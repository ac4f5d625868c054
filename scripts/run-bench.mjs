// `npm run bench [name…]`: bundles each bench/*.bench.ts with esbuild and runs it in its own Node
// process (so peak RSS figures are per benchmark). Benchmarks print their figures; nothing is asserted.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';

const filter = process.argv.slice(2);
const benches = readdirSync('bench')
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => !filter.length || filter.some((x) => f.includes(x)))
  .sort();
if (!benches.length) {
  console.error('no benchmarks found');
  process.exit(1);
}
spawnSync(process.execPath, ['scripts/build-node.mjs'], { stdio: 'inherit' });
// Bundled back-end code finds its worker threads next to itself (backend/workers/worker-url.ts):
// without this link the benchmarks would silently run the pipeline in-process.
mkdirSync('dist/bench', { recursive: true });
rmSync('dist/bench/workers', { recursive: true, force: true });
symlinkSync(path.resolve('dist/node/workers'), 'dist/bench/workers', 'junction');
// Helper programs the benchmarks start as processes of their own (bench/*.process.ts), bundled next to them.
for (const file of readdirSync('bench').filter((f) => f.endsWith('.process.ts'))) {
  await build({
    entryPoints: [path.join('bench', file)],
    outfile: path.join('dist/bench', file.replace(/\.ts$/, '.mjs')),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    packages: 'external',
    logLevel: 'warning',
  });
}
let failed = 0;
for (const file of benches) {
  const out = path.join('dist/bench', file.replace(/\.ts$/, '.mjs'));
  await build({
    entryPoints: [path.join('bench', file)],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    packages: 'external',
    logLevel: 'warning',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  console.log(`\n━━ ${file}`);
  const r = spawnSync(process.execPath, ['--expose-gc', out], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
