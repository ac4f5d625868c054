import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageModulesCache } from '@/backend/model-check/image-modules';
import { runModelCheck } from '@/backend/model-check/model-check';
import { cleanupProject, docker, ensureStandInImage, makeToyProject, ownContainersOfRole, STAND_IN_IMAGE } from '../model-server/helpers';

/** What the check needs from the runtime image: its module listing (cached per image id) and, for bz2/lzma/xz joblib files, its decompressors. */
const FIXTURES = path.resolve(__dirname, '../fixtures/pickles');
let dir: string;
let template: string;

beforeAll(async () => {
  ensureStandInImage();
  ({ dir, template } = await makeToyProject());
  await fs.cp(path.join(FIXTURES, 'src', 'fixturepkg'), path.join(dir, 'mlserver-model', 'fixturepkg'), { recursive: true });
}, 300_000);

afterAll(async () => {
  if (dir) await cleanupProject(dir);
});

describe('the runtime image', () => {
  it('lists its modules once per image id: later calls, and a new process, read the cache', async () => {
    const cacheDir = path.join(dir, '.user', 'image-modules');
    const first = await new ImageModulesCache(cacheDir).get(docker, STAND_IN_IMAGE);
    expect(first.cached).toBe(false);
    expect(first.python).toBe('3.11.2');
    expect(first.stdlib).toContain('json');
    expect(first.modules).toEqual(
      expect.arrayContaining(['sklearn.decomposition._nmf', 'numpy.core.multiarray', 'joblib.numpy_pickle', 'mlserver.codecs']),
    );
    expect(first.distributions['scikit-learn']).toBe('1.2.1');
    const cache = new ImageModulesCache(cacheDir);
    const second = await cache.get(docker, STAND_IN_IMAGE);
    expect(second.cached).toBe(true);
    expect(second.modules.length).toBe(first.modules.length);
    expect((await fs.readdir(cacheDir)).filter((f) => f.endsWith('.json'))).toHaveLength(1);
    expect(await ownContainersOfRole('model-check')).toEqual([]);
  }, 120_000);

  for (const compression of ['bz2', 'lzma', 'xz', 'gzip', 'zlib']) {
    it(`a ${compression}-compressed joblib is read (decompressed ${['gzip', 'zlib'].includes(compression) ? 'in Node' : 'by the image’s Python, not unpickled'}) and scanned`, async () => {
      await fs.copyFile(path.join(FIXTURES, `joblib_${compression}.joblib`), path.join(dir, 'mlserver-model', 'model.bin'));
      const r = await runModelCheck(
        { docker, cache: new ImageModulesCache(path.join(dir, '.user', 'image-modules')) },
        { templateFile: template, image: STAND_IN_IMAGE },
      );
      const pickle = r.checks.find((c) => c.id === 'pickle')!;
      expect(pickle.status).toBe('ok');
      expect(pickle.summary).toMatch(
        new RegExp(
          `All 8 module\\.Class references in model\\.bin \\(${compression}-compressed stream, protocol 4, root dict, 9 joblib arrays\\) resolve`,
        ),
      );
      expect(r.checks.map((c) => c.status)).toEqual(['ok', 'ok', 'ok', 'ok']);
    }, 120_000);
  }
});
