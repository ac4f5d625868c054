import { promises as fs } from 'node:fs';
import path from 'node:path';
import { unzipSync, zipSync } from 'fflate';
import { ApiError } from '@/shared/api/errors';
import { PRESET_FILE_NAME, type ModelPreset } from '@/shared/preset/model-preset';
import { presetDifferences } from '@/shared/preset/preset-compare';
import { readTemplate, requireResource } from '../build-local/template-source';
import { writeFileAtomic } from '../fs/atomic-write';
import { encodeNpy, parseNpy } from '../pipeline/npy';
import { loadPresetFile, parsePreset } from '../pipeline/preset-io';
import type { PresetSyncState } from '@/shared/api/contract/model-server';

/**
 * DISM Studio's PixelNMF model server handler (demo-assets/mlserver-model) reads its thresholds,
 * patterns and filters from the `preset_json` member of its model.npz. When the project's
 * preset.json is tuned in the Preview step, that copy goes stale and the server flags differently
 * from the preview. This finds out, and rewrites only that member on request.
 */
const MEMBER = 'preset_json.npy';

async function locate(
  templateFile: string,
  resourceKey?: string,
): Promise<PresetSyncState & { members?: Record<string, Uint8Array>; preset?: ModelPreset }> {
  const t = await readTemplate(templateFile);
  const r = requireResource(t, resourceKey);
  const presetFile = path.join(t.dir, PRESET_FILE_NAME);
  const modelUri = r.properties.ModelUri;
  if (r.framework !== 'MLServer' || typeof modelUri !== 'string' || !modelUri.endsWith('.npz'))
    return { applicable: false, reason: 'the model file is not an .npz' };
  const modelFile = path.resolve(t.dir, modelUri);
  const exists = await fs.access(presetFile).then(
    () => true,
    () => false,
  );
  if (!exists) return { applicable: false, reason: `no ${PRESET_FILE_NAME} in the project`, modelFile };
  let members: Record<string, Uint8Array>;
  try {
    members = unzipSync(await fs.readFile(modelFile));
  } catch (err) {
    return { applicable: false, reason: `${modelFile} is not a readable .npz (${(err as Error).message})`, modelFile };
  }
  if (!members[MEMBER])
    return { applicable: false, reason: `${path.basename(modelFile)} has no embedded preset (preset_json)`, modelFile, presetFile };
  const preset = (await loadPresetFile(presetFile)).preset;
  return { applicable: true, presetFile, modelFile, members, preset };
}

export async function presetSyncState(templateFile: string, resourceKey?: string): Promise<PresetSyncState> {
  const s = await locate(templateFile, resourceKey);
  if (!s.applicable) return { applicable: false, reason: s.reason, modelFile: s.modelFile, presetFile: s.presetFile };
  const embeddedBytes = parseNpy(s.members![MEMBER], `${s.modelFile}[preset_json]`).data;
  let embedded: ModelPreset;
  try {
    embedded = parsePreset(JSON.parse(Buffer.from(embeddedBytes as Uint8Array).toString('utf8')), `${s.modelFile}[preset_json]`);
  } catch (err) {
    return {
      applicable: true,
      presetFile: s.presetFile,
      modelFile: s.modelFile,
      inSync: false,
      differences: [`the embedded preset is unreadable: ${(err as Error).message}`],
    };
  }
  // By meaning (list order, pattern spelling and number formatting do not count); the handler does not read file paths.
  const differences = presetDifferences(embedded, s.preset!, {
    labels: { a: path.basename(s.modelFile!), b: PRESET_FILE_NAME },
    files: false,
  }).map((d) => d.text);
  return { applicable: true, presetFile: s.presetFile, modelFile: s.modelFile, inSync: differences.length === 0, differences };
}

/** Replace the embedded preset with preset.json; every other member stays byte-identical; the old file is kept as <file>.dism-studio.bak. */
export async function syncModelPreset(templateFile: string, resourceKey?: string): Promise<PresetSyncState> {
  const s = await locate(templateFile, resourceKey);
  if (!s.applicable) throw new ApiError('NOT_APPLICABLE', `Cannot update the model's preset: ${s.reason}.`, undefined, 'PresetSyncError');
  const json = new TextEncoder().encode(JSON.stringify(s.preset));
  const members = { ...s.members!, [MEMBER]: encodeNpy({ dtype: 'uint8', shape: [json.length], data: json }) };
  await writeFileAtomic(s.modelFile!, zipSync(members, { level: 6, mtime: '2000-01-01T00:00:00Z' }), { backup: true });
  return { ...(await presetSyncState(templateFile, resourceKey)), updated: true };
}
