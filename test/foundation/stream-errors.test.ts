import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runnerContext } from '@/backend/dismcli/runner-image';
import { buildContext, buildImage } from '@/backend/engine/images';
import { NpyStreamWriter } from '@/backend/pipeline/npy';
import { failureOf } from '@/backend/fs/stream-failure';

/**
 * Every stream the back end creates has its error path wired: an error ends the operation with
 * that error — never an uncaught 'error' event (which kills the browser host), never a hang.
 * Vitest fails a run on any uncaught exception or unhandled rejection, so "no crash" is asserted
 * by the run itself.
 */
let tmp: string;
const docker = new Docker({ socketPath: '/var/run/docker.sock' });

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'dism-streams-'));
});
afterAll(() => fs.rm(tmp, { recursive: true, force: true }));

const tick = (ms = 50) => new Promise((r) => setTimeout(r, ms));

describe('stream error paths', () => {
  it('a runner build context whose dismcli folder vanished: the error waits for the consumer, no uncaught error', async () => {
    const ctx = runnerContext({ kind: 'pyinstaller', dismcliFolder: path.join(tmp, 'gone') });
    await tick(); // nobody listens yet: this is where an unwired stream throws
    // The build that consumes it (real engine) ends with that error.
    await expect(buildImage(docker, ctx, { tag: 'dism-test/h16-never-built:ctx' })).rejects.toMatchObject({
      code: 'ENOENT',
      path: path.join(tmp, 'gone'),
    });
  });

  it('a build context folder that is a file: same', async () => {
    await fs.writeFile(path.join(tmp, 'not-a-folder'), 'FROM scratch\n');
    const ctx = buildContext([
      { name: 'Dockerfile', text: 'FROM scratch\n' },
      { name: 'ctx', folder: path.join(tmp, 'not-a-folder') },
    ]);
    await tick();
    await expect(failureOf(ctx)).rejects.toMatchObject({ code: 'ENOTDIR' });
  });

  it("buildImage on the real engine ends with the context's error instead of hanging", async () => {
    let sent = 0;
    const failing = new Readable({
      read() {
        if (sent++ === 0) this.push(Buffer.alloc(512));
        else this.destroy(Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' }));
      },
    });
    await expect(buildImage(docker, failing, { tag: 'dism-test/h16-never-built:x' })).rejects.toThrow(/i\/o error|EIO/);
    await expect(docker.getImage('dism-test/h16-never-built:x').inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it('an aborted .npy stream leaves an existing file as it was and no temp file', async () => {
    const f = path.join(tmp, 'flags.npy');
    await fs.writeFile(f, 'earlier dump');
    const w = new NpyStreamWriter(f, 'bool', [4]);
    await w.append([1, 0]);
    await w.abort();
    expect(await fs.readFile(f, 'utf8')).toBe('earlier dump');
    expect((await fs.readdir(tmp)).filter((n) => n.includes('flags.npy'))).toEqual(['flags.npy']);
  });
});
