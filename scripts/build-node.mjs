// Bundles every Node-side entry (CLI, browser host, Electron main, workers) into dist/node/ and the
// sandboxed preload into one CJS file. npm packages stay external (native addons, electron-builder
// ships node_modules). Runs on `npm install` (prepare) so `npx dism-studio` works right away.
import { build } from 'esbuild';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

function findWorkers(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return findWorkers(p);
    return e.name.endsWith('.worker.ts') ? [p] : [];
  });
}

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const versionTs = readFileSync(path.join(root, 'backend/version.ts'), 'utf8');
if (!versionTs.includes(`'${pkg.version}'`)) {
  console.error(`backend/version.ts does not match package.json version ${pkg.version}`);
  process.exit(1);
}

const common = { bundle: true, platform: 'node', target: 'node22', sourcemap: 'linked', logLevel: 'warning', absWorkingDir: root };
const workers = findWorkers(path.join(root, 'backend')).map((w) => path.relative(root, w));

await Promise.all([
  build({
    ...common,
    format: 'esm',
    packages: 'external',
    entryPoints: {
      cli: 'backend/cli/cli-entry.ts',
      serve: 'backend/host/serve-entry.ts',
      'electron-main': 'electron/main.ts',
      ...Object.fromEntries(workers.map((w) => [`workers/${path.basename(w, '.ts')}`, w])),
    },
    outdir: 'dist/node',
    outExtension: { '.js': '.mjs' },
    // Code shared by the entries, and everything a CLI command loads with import(), goes into chunks
    // loaded on first use: `dism-studio --help` does not load onnxruntime, Docker or the parquet reader.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    // Some CJS dependencies call require(); give ESM bundles a real one.
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  }),
  build({
    ...common,
    format: 'cjs',
    external: ['electron'],
    entryPoints: { preload: 'electron/preload.ts' },
    outdir: 'dist/node',
    outExtension: { '.js': '.cjs' },
  }),
]);
console.log(`built dist/node (${workers.length} workers)`);
