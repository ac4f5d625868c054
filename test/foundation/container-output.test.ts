import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildContext } from '@/backend/engine/images';
import { demuxDockerStream } from '@/backend/engine/streams';

const frame = (type: number, text: string) => {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
};

async function lines(chunks: Buffer[], tty = false): Promise<string[]> {
  const s = new PassThrough();
  const out: string[] = [];
  const done = demuxDockerStream(s, (stream, text) => out.push(`${stream}:${text}`), undefined, { tty });
  for (const c of chunks) s.write(c);
  s.end();
  await done;
  return out;
}

describe('container output as lines', () => {
  it('output shorter than a frame header that is not a frame (a TTY container printing "ok") is stdout, not lost', async () => {
    expect(await lines([Buffer.from('ok\n')])).toEqual(['stdout:ok']);
  });

  it('a TTY stream is raw text even where it looks like a frame header', async () => {
    const looksFramed = Buffer.concat([Buffer.from([1, 0, 0, 0, 0, 0, 0, 3]), Buffer.from('abc\nnext\n')]);
    expect(await lines([looksFramed], true)).toEqual([`stdout:${looksFramed.subarray(0, 11).toString()}`, 'stdout:next']);
  });

  it('a stream cut inside a frame gives the part of the line it has', async () => {
    expect(await lines([frame(2, 'whole\n'), frame(1, 'cut short').subarray(0, 11)])).toEqual(['stderr:whole', 'stdout:cut']);
  });
});

describe('build context', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'dism-context-'));
    await fs.mkdir(path.join(tmp, 'folder', 'sub'), { recursive: true });
    await fs.writeFile(path.join(tmp, 'folder', 'sub', 'run.sh'), '#!/bin/sh\n', { mode: 0o755 });
    await fs.symlink('../nowhere', path.join(tmp, 'folder', 'broken'));
  });
  afterAll(() => fs.rm(tmp, { recursive: true, force: true }));

  async function entries(
    stream: Readable,
  ): Promise<Array<{ name: string; type?: string | null; mode?: number; linkname?: string | null; body: string }>> {
    const extract = tar.extract();
    const out: Array<{ name: string; type?: string | null; mode?: number; linkname?: string | null; body: string }> = [];
    extract.on('entry', (h, body, next) => {
      const parts: Buffer[] = [];
      body.on('data', (d) => void parts.push(d as Buffer));
      body.on('end', () => {
        out.push({ name: h.name, type: h.type, mode: h.mode, linkname: h.linkname, body: Buffer.concat(parts).toString() });
        next();
      });
    });
    await new Promise<void>((resolve, reject) => {
      extract.on('finish', resolve);
      extract.on('error', reject);
      stream.on('error', reject);
      stream.pipe(extract);
    });
    return out;
  }

  it('holds the written files and the folder under its name, links kept as links (as docker build sends them)', async () => {
    const got = await entries(
      buildContext([
        { name: 'Dockerfile', text: 'FROM scratch\n' },
        { name: 'tool', folder: path.join(tmp, 'folder') },
      ]),
    );
    expect(got).toEqual([
      { name: 'Dockerfile', type: 'file', mode: 0o644, linkname: null, body: 'FROM scratch\n' },
      { name: 'tool/', type: 'directory', mode: 0o755, linkname: null, body: '' },
      { name: 'tool/broken', type: 'symlink', mode: expect.any(Number), linkname: '../nowhere', body: '' },
      { name: 'tool/sub/run.sh', type: 'file', mode: 0o755, linkname: null, body: '#!/bin/sh\n' },
    ]);
  });

  it('a folder at the root of the context', async () => {
    const got = await entries(buildContext([{ name: '', folder: path.join(tmp, 'folder', 'sub') }]));
    expect(got.map((e) => e.name)).toEqual(['run.sh']);
  });
});
