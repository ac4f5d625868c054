import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildState, recordOfficialBuild } from '@/backend/build-local/build-state';
import { buildLocal } from '@/backend/build-local/local-build';
import { makeToyProject } from './helpers';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
});

describe('the build a template has now (.dism-artifacts/build)', () => {
  it('none, then the local build as it was answered, then the later of local and official', async () => {
    const p = await makeToyProject();
    dirs.push(p.dir);
    expect(await buildState(p.template)).toEqual({ kind: 'none', buildDir: path.join(p.dir, '.dism-artifacts', 'build') });

    const local = await buildLocal(p.template);
    expect(await buildState(p.template)).toEqual({ kind: 'local', buildDir: local.buildDir, local });

    const finishedAt = new Date(Date.parse(local.builtAt) + 1000).toISOString();
    await recordOfficialBuild(p.template, { template: 'template.yaml', dialsUrl: 'https://dials.example', imageTag: 'x', finishedAt });
    expect(await buildState(p.template)).toMatchObject({
      kind: 'official',
      official: { finishedAt, dialsUrl: 'https://dials.example', template: 'template.yaml' },
    });

    // A local build after the official one replaces it on disk, and so in the state.
    await new Promise((r) => setTimeout(r, 1100));
    const again = await buildLocal(p.template);
    expect(await buildState(p.template)).toMatchObject({ kind: 'local', local: { builtAt: again.builtAt } });
  });

  it('a build folder no marker describes is "unknown"; an unreadable marker counts as absent', async () => {
    const p = await makeToyProject();
    dirs.push(p.dir);
    await fs.mkdir(path.join(p.dir, '.dism-artifacts', 'build'), { recursive: true });
    expect((await buildState(p.template)).kind).toBe('unknown');
    await fs.mkdir(path.join(p.dir, '.dism-studio'), { recursive: true });
    await fs.writeFile(path.join(p.dir, '.dism-studio', 'local-build.json'), '{ not json');
    expect((await buildState(p.template)).kind).toBe('unknown');
  });
});
