// Bundles every Node-side entry (CLI, browser host, Electron main, workers) into dist/node/ and the
// sandboxed preload into one CJS file. npm packages stay external (native addons, electron-builder
// ships node_modules). Runs on `npm install` (prepare) so `npx dism-studio` works right away.
import { build } from 'esbuild';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
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

const esm = {
  ...common,
  format: 'esm',
  packages: 'external',
  outdir: 'dist/node',
  outExtension: { '.js': '.mjs' },
  // Some CJS dependencies call require(); give ESM bundles a real one.
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
};

// the CLI's chunks of an earlier build (their names carry a hash of their content); none on a fresh checkout
const outDir = path.join(root, 'dist/node');
if (existsSync(outDir))
  for (const f of readdirSync(outDir, { withFileTypes: true }).filter((e) => e.isFile() && e.name.startsWith('cli-')))
    rmSync(path.join(outDir, f.name));

// Pure-JS packages the CLI needs before a command's real work starts (the preview reads its preset
// with zod before the inference thread can create sessions) are bundled into its chunks: loaded as
// npm packages they cost ~80 ms (zod) and ~20 ms (fflate) of module loading on every run.
const CLI_BUNDLED_PACKAGES = ['zod', 'fflate'];
const cliExternal = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})].filter(
  (name) => !CLI_BUNDLED_PACKAGES.includes(name),
);

await Promise.all([
  // The CLI is split: what a command loads with import() goes into chunks next to it, loaded on first
  // use, so `dism-studio --help` or `validate` do not load onnxruntime, Docker or the parquet reader.
  // (Chunks sit in dist/node/ itself: paths relative to a module's URL stay what they are unsplit.)
  build({
    ...esm,
    packages: undefined,
    external: cliExternal.flatMap((name) => [name, `${name}/*`]),
    entryPoints: { cli: 'backend/cli/cli-entry.ts' },
    splitting: true,
    chunkNames: 'cli-[name]-[hash]',
  }),
  // The browser host, the Electron main process and the worker threads stay single files (workers
  // are unpacked from the app's asar archive on their own).
  build({
    ...esm,
    entryPoints: {
      serve: 'backend/host/serve-entry.ts',
      'electron-main': 'electron/main.ts',
      ...Object.fromEntries(workers.map((w) => [`workers/${path.basename(w, '.ts')}`, w])),
    },
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
