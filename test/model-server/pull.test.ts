import { afterEach, describe, expect, it } from 'vitest';
import { imageExists, type PullProgress } from '@/backend/engine/images';
import { ensureImage } from '@/backend/model-server/image';
import { startRegistryStandIn, type RegistryStandIn } from '../stand-ins/registry/registry-stand-in';
import { cleanupProject, docker, makeToyProject, newManager } from './helpers';

// Real dockerd pulling from a registry stand-in on 127.0.0.1 (no real registry is reachable here).
describe('image pull', () => {
  let reg: RegistryStandIn | undefined;
  afterEach(async () => {
    if (reg) {
      await docker
        .getImage(reg.image)
        .remove({ force: true })
        .catch(() => undefined);
      await reg.close();
      reg = undefined;
    }
  });

  it('pulls a missing image with per-layer progress', async () => {
    reg = await startRegistryStandIn({ layers: 2, layerBytes: 1_500_000, chunkDelayMs: 5 });
    const seen: PullProgress[] = [];
    const res = await ensureImage(docker, reg.image, { onProgress: (p) => seen.push(p) });
    expect(res.pulled).toBe(true);
    expect(await imageExists(docker, reg.image)).toBe(true);
    const last = seen[seen.length - 1];
    expect(last.layers.map((l) => l.id).sort()).toEqual(reg.layerDigests.map((d) => d.slice(7, 19)).sort());
    expect(last.fraction).toBe(1);
    expect(seen.some((p) => p.layers.some((l) => l.status === 'Downloading' && (l.current ?? 0) > 0 && l.total))).toBe(true);
    const fractions = seen.map((p) => p.fraction ?? 0);
    expect(fractions.some((f) => f > 0 && f < 1)).toBe(true);
    // present now: no second pull
    expect((await ensureImage(docker, reg.image)).pulled).toBe(false);
  });

  it('cancels a pull half-way', async () => {
    reg = await startRegistryStandIn({ layers: 1, layerBytes: 4_000_000, chunkDelayMs: 200 });
    const controller = new AbortController();
    const pull = ensureImage(docker, reg.image, {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.layers.some((l) => l.status === 'Downloading' && (l.current ?? 0) > 0)) controller.abort(new Error('Cancelled by user'));
      },
    });
    await expect(pull).rejects.toThrow('Cancelled by user');
    await new Promise((r) => setTimeout(r, 500));
    expect(await imageExists(docker, reg.image)).toBe(false);
  });

  it('explains a registry that does not have the image', async () => {
    reg = await startRegistryStandIn();
    const err = await ensureImage(docker, `${reg.host}/dism-test/other:1`).catch((e: Error & { code?: string }) => e);
    expect((err as { code?: string }).code).toBe('IMAGE_NOT_AVAILABLE');
    expect((err as Error).message).toContain(`${reg.host} has no image dism-test/other with tag 1`);
  });

  it('Stop during a pull cancels the download and ends the run', async () => {
    reg = await startRegistryStandIn({ layers: 1, layerBytes: 4_000_000, chunkDelayMs: 200 });
    const p = await makeToyProject();
    try {
      const { manager } = newManager();
      const run = await manager.start({ templateFile: p.template, image: reg.image, port: 18560 });
      for (let i = 0; i < 100 && !manager.get(run.id).pull?.layers.some((l) => (l.current ?? 0) > 0); i++)
        await new Promise((r) => setTimeout(r, 100));
      expect(manager.get(run.id).state).toBe('pulling');
      const t0 = Date.now();
      const stopped = await manager.stop(run.id);
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(stopped.state).toBe('stopped');
      expect(await imageExists(docker, reg.image)).toBe(false);
    } finally {
      await cleanupProject(p.dir);
    }
  });
});
