import { promises as fs } from 'node:fs';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { presetSyncState, syncModelPreset } from '@/backend/model-server/preset-sync';
import { encodeNpz } from '@/backend/pipeline/npy';
import { pixelBarrelPreset } from '@/shared/preset/pixel-barrel';
import { makeToyProject } from './helpers';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
});

async function project(embeddedLossThreshold: number, reshape: (p: ReturnType<typeof pixelBarrelPreset>) => typeof p = (p) => p) {
  const p = await makeToyProject();
  dirs.push(p.dir);
  const template = (await fs.readFile(p.template, 'utf8')).replace(
    'ModelUri: mlserver-model/model.bin',
    'ModelUri: mlserver-model/model.npz',
  );
  await fs.writeFile(p.template, template);
  const preset = pixelBarrelPreset();
  await fs.writeFile(path.join(p.dir, 'preset.json'), JSON.stringify(preset, null, 2));
  const embedded = reshape({ ...preset, thresholds: [{ ...preset.thresholds[0], lossThreshold: embeddedLossThreshold }] });
  const json = new TextEncoder().encode(JSON.stringify(embedded));
  await fs.writeFile(
    path.join(p.dir, 'mlserver-model/model.npz'),
    encodeNpz({
      preset_json: { dtype: 'uint8', shape: [json.length], data: json },
      components_BPix2: { dtype: 'float32', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
    }),
  );
  return p;
}

describe('preset embedded in the model server model.npz vs preset.json', () => {
  it('reports the parts that differ and rewrites only the embedded preset, keeping model.npz.dism-studio.bak', async () => {
    const p = await project(0.07);
    const before = unzipSync(await fs.readFile(path.join(p.dir, 'mlserver-model/model.npz')));
    const state = await presetSyncState(p.template);
    expect(state).toMatchObject({
      applicable: true,
      inSync: false,
      differences: ['thresholds: lossThreshold 0.07 in model.npz, 0.04 in preset.json'],
    });
    const after = await syncModelPreset(p.template);
    expect(after).toMatchObject({ applicable: true, inSync: true, differences: [], updated: true });
    const members = unzipSync(await fs.readFile(path.join(p.dir, 'mlserver-model/model.npz')));
    expect(members['components_BPix2.npy']).toEqual(before['components_BPix2.npy']);
    expect(members['preset_json.npy']).not.toEqual(before['preset_json.npy']);
    await expect(fs.access(path.join(p.dir, 'mlserver-model/model.npz.dism-studio.bak'))).resolves.toBeUndefined();
  });

  it('is in sync when only list order differs (a flag unticked and ticked again) or a pattern is spelt out', async () => {
    const p = await project(0.04, (e) => ({
      ...e,
      flagging: { ...e.flagging, patterns: [{ ones: [2, 4] }, [[1, 1, 1, 1, 1, 1, 1, 1]]] },
      filters: { ...e.filters, omsBooleans: [...e.filters.omsBooleans.filter((f) => f !== 'bpix_ready'), 'bpix_ready'] },
    }));
    expect(await presetSyncState(p.template)).toMatchObject({ applicable: true, inSync: true, differences: [] });
  });

  it('is in sync when only file paths differ, and does not apply without preset.json or an npz', async () => {
    const p = await project(0.04);
    expect(await presetSyncState(p.template)).toMatchObject({ applicable: true, inSync: true });
    await fs.rm(path.join(p.dir, 'preset.json'));
    expect(await presetSyncState(p.template)).toMatchObject({ applicable: false, reason: 'no preset.json in the project' });
    const toy = await makeToyProject();
    dirs.push(toy.dir);
    expect((await presetSyncState(toy.template)).applicable).toBe(false);
    await expect(syncModelPreset(toy.template)).rejects.toThrow(/not an \.npz/);
  });
});
