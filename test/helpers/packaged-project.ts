import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { createBackend, type Backend } from '@/backend/api/create-backend';

export interface PackagedProjectFixture {
  tmp: string;
  project: string;
  backend: Backend;
}

/**
 * A test back end and a project whose `.dism-artifacts/package/` holds the production template,
 * as after `dismcli package`. Registers its own beforeAll/afterAll; read the fields inside tests.
 */
export function usePackagedProject(prefix: string): PackagedProjectFixture {
  const f = {} as PackagedProjectFixture;
  beforeAll(async () => {
    f.tmp = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
    f.project = path.join(f.tmp, 'proj');
    await fs.mkdir(path.join(f.project, '.dism-artifacts/package'), { recursive: true });
    await fs.copyFile(
      path.join(__dirname, '../fixtures/templates/pixel-barrel-nmf.template.yaml'),
      path.join(f.project, '.dism-artifacts/package/template.yaml'),
    );
    f.backend = await createBackend({ host: { kind: 'test' }, userDataDir: path.join(f.tmp, 'user'), pollEngine: false });
    await f.backend.dispatch('projects.open', { dir: f.project }); // the API writes only inside opened projects
  });
  afterAll(async () => {
    await f.backend?.dispose();
    if (f.tmp) await fs.rm(f.tmp, { recursive: true, force: true });
  });
  return f;
}
