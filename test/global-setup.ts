import { execFileSync } from 'node:child_process';

/** Workers (dist/node/workers) are loaded from the bundle, so build the Node side once before tests. */
export default function setup() {
  execFileSync(process.execPath, ['scripts/build-node.mjs'], { stdio: 'inherit' });
}
