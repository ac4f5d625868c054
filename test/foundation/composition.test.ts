import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackend, type Backend } from '@/backend/api/create-backend';
import { generateDemoProject } from '@/backend/demo/demo-project';
import { DEMO_HANDLER_FILES } from '@/backend/model-server/demo-handler';

// createBackend (backend/api/create-backend.ts) is the one place services are built; handlers only
// use what it passes them, and the demo generator gets its contributors from it explicitly.

let root: string;
let backend: Backend;
beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'dism-composition-'));
  backend = await createBackend({ host: { kind: 'test' }, userDataDir: path.join(root, 'user-data'), pollEngine: false });
});
afterAll(async () => {
  await backend.dispose();
  await fs.rm(root, { recursive: true, force: true });
});

describe('the composition root', () => {
  it('the demo project the app opens has the model server handler next to its model', async () => {
    const reply = await backend.dispatch('demo.open', {});
    expect(reply).toMatchObject({ ok: true, result: { generated: true } });
    const dir = (reply as { result: { project: { dir: string } } }).result.project.dir;
    expect((await fs.readdir(path.join(dir, 'mlserver-model'))).sort()).toEqual([...DEMO_HANDLER_FILES, 'model.npz'].sort());
  });

  it('the demo generator has no default contributors: a call without them does not type-check', () => {
    // Never run: `npm test` type-checks this file, and the directive fails the type check if the call compiles.
    // @ts-expect-error contributors are required
    const withoutContributors = () => generateDemoProject(path.join(root, 'never'), {});
    expect(withoutContributors).toBeTypeOf('function');
  });

  it('handlers build no services of their own', async () => {
    const dir = path.resolve('backend/api/handlers');
    for (const file of await fs.readdir(dir)) {
      const text = await fs.readFile(path.join(dir, file), 'utf8');
      expect(text, file).not.toMatch(/\bnew [A-Z]\w*(Service|Manager|Validator|Drafts|Store|Folders)\b|\bWeakMap\b/);
    }
  });
});
