import { promises as fs } from 'node:fs';
import path from 'node:path';
import { PRESET_FILE_NAME } from '@/shared/preset/model-preset';

const IMPORTED = /^preview-.+$/;

/**
 * The presets a project's preview can run: its own preset.json, and the preview-<KEY>/preset.json
 * that a joblib import writes next to a template (at the top or one folder down).
 */
export async function findProjectPresets(projectDir: string): Promise<Array<{ file: string; label: string }>> {
  const root = path.resolve(projectDir);
  const out: Array<{ file: string; label: string }> = [];
  const exists = (f: string) =>
    fs.access(f).then(
      () => true,
      () => false,
    );
  const own = path.join(root, PRESET_FILE_NAME);
  if (await exists(own)) out.push({ file: own, label: `${PRESET_FILE_NAME} (project)` });
  const dirsToScan = [root];
  for (const e of await fs.readdir(root, { withFileTypes: true }).catch(() => [])) {
    if (e.isDirectory() && !e.name.startsWith('.') && !IMPORTED.test(e.name) && e.name !== 'node_modules')
      dirsToScan.push(path.join(root, e.name));
  }
  for (const dir of dirsToScan) {
    for (const e of await fs.readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const file = path.join(dir, e.name, PRESET_FILE_NAME);
      if (e.isDirectory() && IMPORTED.test(e.name) && (await exists(file))) {
        out.push({ file, label: `${path.relative(root, file)} (imported ${e.name.slice('preview-'.length)})` });
      }
    }
  }
  return out;
}
