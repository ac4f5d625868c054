import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackend, type Backend } from '../../backend/api/create-backend';
import type { JobSnapshot } from '../../shared/api/contract';

let tmp: string;
let project: string;
let backend: Backend;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'dism-export-api-'));
  project = path.join(tmp, 'proj');
  await fs.mkdir(path.join(project, '.dism-artifacts/package'), { recursive: true });
  await fs.copyFile(path.join(__dirname, '../fixtures/templates/pixel-barrel-nmf.template.yaml'), path.join(project, '.dism-artifacts/package/template.yaml'));
  backend = await createBackend({ host: { kind: 'test' }, userDataDir: path.join(tmp, 'user'), pollEngine: false });
});
afterAll(async () => {
  await backend.dispose();
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('export API', () => {
  it('summary, export job, and TARGET_EXISTS until confirmed', async () => {
    const summary = await backend.dispatch('export.summary', { projectDir: project });
    expect(summary).toMatchObject({ ok: true, result: { registration: { title: '[Request] Model registration' } } });

    const to = path.join(tmp, 'out.zip');
    const started = await backend.dispatch('export.run', { projectDir: project, to });
    expect(started.ok).toBe(true);
    const job = await backend.ctx.jobs.wait((started as { result: JobSnapshot }).result.id);
    expect(job.state).toBe('succeeded');
    expect(job.result).toMatchObject({ target: to, format: 'zip', replaced: false });

    const again = await backend.dispatch('export.run', { projectDir: project, to });
    expect(again).toMatchObject({ ok: false, error: { code: 'TARGET_EXISTS', name: 'TargetExistsError' } });
    const confirmed = await backend.dispatch('export.run', { projectDir: project, to, overwrite: true });
    expect((await backend.ctx.jobs.wait((confirmed as { result: JobSnapshot }).result.id)).result).toMatchObject({ replaced: true });
  });
});
