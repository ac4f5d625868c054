import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DemoContributor } from '../demo/demo-project';

/** Files of the demo's model server handler (numpy PixelNMF), copied into `mlserver-model/`. */
export const DEMO_HANDLER_FILES = ['app.py', 'pixelnmf.py', 'make_model_npz.py', 'README.md'];

/**
 * `demo-assets/mlserver-model/` in the app: two folders up from this module, both from the
 * TypeScript sources (backend/model-server/) and from the bundles (dist/node/).
 */
function demoHandlerDir(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../demo-assets/mlserver-model');
}

/** Demo contributor: adds the model server handler next to the generated model.npz (the MLServer demo only). */
export const demoModelServerContributor: DemoContributor = async (dir, { variant }) => {
  if (variant !== 'mlserver') return;
  const src = demoHandlerDir();
  const dest = path.join(dir, 'mlserver-model');
  await fs.mkdir(dest, { recursive: true });
  for (const f of DEMO_HANDLER_FILES) await fs.copyFile(path.join(src, f), path.join(dest, f));
};
