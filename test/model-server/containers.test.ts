import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildContext, buildImage, imageExists } from '@/backend/engine/images';
import { runOneShotContainer } from '@/backend/engine/run-container';
import { listLocalImages, tagLocalImage } from '@/backend/model-server/image';
import { docker, ensureStandInImage, STAND_IN_IMAGE } from './helpers';

const TAG = 'dism-test/containers-helper:test';
const TAGGED = 'localhost:5999/dism-test/mlserver-mirror:1.5.0';

describe('container helpers against the real engine', () => {
  let ctx: string;
  beforeAll(async () => {
    ensureStandInImage();
    ctx = await fs.mkdtemp(path.join(os.tmpdir(), 'dism-ctx-'));
    await fs.mkdir(path.join(ctx, 'sub'));
    await fs.writeFile(path.join(ctx, 'sub', 'hello.txt'), 'hello from the context\n');
    await fs.writeFile(
      path.join(ctx, 'Dockerfile'),
      'FROM dism-test/debian-base:bookworm\nCOPY sub /opt/sub\nRUN echo built-step-output && cat /opt/sub/hello.txt\nCMD ["cat", "/opt/sub/hello.txt"]\n',
    );
  }, 300_000);
  afterAll(async () => {
    await docker
      .getImage(TAG)
      .remove({ force: true })
      .catch(() => undefined);
    await docker
      .getImage(TAGGED)
      .remove()
      .catch(() => undefined);
    await fs.rm(ctx, { recursive: true, force: true });
  });

  it('builds an image from a tar context with streamed output and labels, then runs it to completion', async () => {
    const lines: string[] = [];
    const id = await buildImage(docker, buildContext([{ name: '', folder: ctx }]), {
      tag: TAG,
      labels: { 'dism.role': 'test' },
      onLine: (l) => lines.push(l),
    });
    expect(id).toMatch(/^sha256:/);
    expect(lines.join('\n')).toContain('built-step-output');
    const info = await docker.getImage(TAG).inspect();
    expect(info.Config.Labels).toMatchObject({ 'dism.studio': '1', 'dism.role': 'test' });
    const out: string[] = [];
    const { exitCode } = await runOneShotContainer(
      docker,
      { Image: TAG, Cmd: ['sh', '-c', 'cat /opt/sub/hello.txt; echo to-stderr >&2; exit 3'] },
      { onLine: (s, t) => out.push(`${s}:${t}`) },
    );
    expect(exitCode).toBe(3);
    // stdout and stderr are separate pipes: their relative order is not guaranteed
    expect([...out].sort()).toEqual(['stderr:to-stderr', 'stdout:hello from the context']);
  });

  it('reports a failing build step', async () => {
    const bad = await fs.mkdtemp(path.join(os.tmpdir(), 'dism-ctx-bad-'));
    await fs.writeFile(path.join(bad, 'Dockerfile'), 'FROM dism-test/debian-base:bookworm\nRUN exit 7\n');
    await expect(buildImage(docker, buildContext([{ name: '', folder: bad }]), { tag: 'dism-test/containers-helper:bad' })).rejects.toThrow(
      /Image build failed: .*returned a non-zero code: 7/,
    );
    await fs.rm(bad, { recursive: true, force: true });
  });

  it('tags a local image under the name a template expects (host:port/name:tag)', async () => {
    await tagLocalImage(docker, STAND_IN_IMAGE, TAGGED);
    expect(await imageExists(docker, TAGGED)).toBe(true);
    expect((await listLocalImages(docker, 'mlserver-mirror')).map((i) => i.ref)).toEqual([TAGGED]);
    await expect(tagLocalImage(docker, 'dism-test/no-such-image:0', TAGGED)).rejects.toThrow(
      'There is no local image dism-test/no-such-image:0 to tag.',
    );
  });
});
