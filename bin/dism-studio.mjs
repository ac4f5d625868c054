#!/usr/bin/env node
// Thin launcher: the CLI is bundled to dist/node/cli.mjs by `npm install` (prepare) or `npm run build`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = new URL('../dist/node/cli.mjs', import.meta.url);
if (!existsSync(fileURLToPath(bundle))) {
  process.stderr.write('dism-studio: the CLI is not built yet. Run `npm run build` in the DISM Studio folder.\n');
  process.exit(1);
}
await import(bundle.href);
