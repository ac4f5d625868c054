import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream, promises as fs, type WriteStream } from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { Zip, ZipDeflate, ZipPassThrough } from 'fflate';
import tar from 'tar-stream';
import type { ExportFormat } from '@/shared/api/contract/export';
import { failureOf } from '../fs/stream-failure';
import { safeEntryName, safeJoin } from './safe-path';

export interface WrittenFile {
  size: number;
  sha256: string;
}

/** Writes one export (a folder tree, a zip or a tar.gz) into a temporary location that is renamed later. */
export interface ExportWriter {
  /** Copy a file in under `name`, hashing the bytes as they are written. */
  addFile(name: string, abs: string, executable: boolean): Promise<WrittenFile>;
  addBuffer(name: string, data: Uint8Array): Promise<void>;
  finish(): Promise<void>;
  /**
   * Stop after a failure or cancel: release files and streams. Resolves once the output file is
   * closed, so the caller's removal of the temp target cannot run before the file is (lazily) created.
   */
  abort(): Promise<void>;
}

function hashingStream(): { stream: Transform; result: () => WrittenFile } {
  const hash = createHash('sha256');
  let size = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  return { stream, result: () => ({ size, sha256: hash.digest('hex') }) };
}

class FolderWriter implements ExportWriter {
  constructor(private readonly root: string) {}

  async addFile(name: string, abs: string, executable: boolean): Promise<WrittenFile> {
    const dest = safeJoin(this.root, name);
    await fs.mkdir(path.dirname(dest), { recursive: true });
    const h = hashingStream();
    await pipeline(createReadStream(abs), h.stream, createWriteStream(dest, { mode: executable ? 0o755 : 0o644 }));
    return h.result();
  }

  async addBuffer(name: string, data: Uint8Array): Promise<void> {
    const dest = safeJoin(this.root, name);
    await fs.mkdir(path.dirname(dest), { recursive: true });
    await fs.writeFile(dest, data);
  }

  async finish(): Promise<void> {}

  async abort(): Promise<void> {}
}

/** Streaming zip (fflate): deflated entries, the archive never held in memory whole. */
class ZipWriter implements ExportWriter {
  private readonly out: WriteStream;
  private readonly zip: Zip;
  private readonly failed: Promise<never>;
  private readonly done: Promise<void>;

  constructor(file: string) {
    this.out = createWriteStream(file);
    this.failed = failureOf(this.out);
    let resolveDone!: () => void;
    let rejectDone!: (err: Error) => void;
    this.done = new Promise((resolve, reject) => {
      resolveDone = resolve;
      rejectDone = reject;
    });
    this.done.catch(() => undefined);
    this.zip = new Zip((err, chunk, final) => {
      if (err) return rejectDone(err);
      this.out.write(chunk);
      if (final) resolveDone();
    });
  }

  /** Wait until the file stream wants more, or fail with its error. */
  private async drain(): Promise<void> {
    if (this.out.writableNeedDrain) await Promise.race([once(this.out, 'drain'), this.failed]);
    if (this.out.errored) throw this.out.errored;
  }

  async addFile(name: string, abs: string, executable: boolean): Promise<WrittenFile> {
    const entry = new ZipDeflate(safeEntryName(name), { level: 6 });
    entry.os = 3; // unix, so the mode below is honoured by unzip
    entry.attrs = ((executable ? 0o100755 : 0o100644) << 16) >>> 0;
    this.zip.add(entry);
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of createReadStream(abs, { highWaterMark: 1 << 20 })) {
      const buf = chunk as Buffer;
      hash.update(buf);
      size += buf.length;
      entry.push(buf, false);
      await this.drain();
    }
    entry.push(new Uint8Array(0), true);
    return { size, sha256: hash.digest('hex') };
  }

  async addBuffer(name: string, data: Uint8Array): Promise<void> {
    const entry = new ZipPassThrough(safeEntryName(name));
    this.zip.add(entry);
    entry.push(data, true);
    await this.drain();
  }

  async finish(): Promise<void> {
    this.zip.end();
    await Promise.race([this.done, this.failed]);
    await this.drain();
    await Promise.race([new Promise<void>((resolve) => this.out.end(resolve)), this.failed]);
    if (this.out.errored) throw this.out.errored;
  }

  async abort(): Promise<void> {
    await destroyAndClose(this.out);
  }
}

/** tar.gz through tar-stream → gzip → file; the pipeline's error (e.g. the file cannot be created) ends every pending step. */
class TarGzWriter implements ExportWriter {
  private readonly pack = tar.pack();
  private readonly out: WriteStream;
  private readonly written: Promise<void>;
  private readonly failed: Promise<never>;

  constructor(file: string) {
    this.out = createWriteStream(file);
    this.written = pipeline(this.pack, createGzip(), this.out);
    this.failed = this.written.then(() => new Promise<never>(() => undefined));
    // Handled here so an early failure is never an unhandled rejection; awaited in finish() and raced everywhere.
    this.failed.catch(() => undefined);
  }

  async addFile(name: string, abs: string, executable: boolean): Promise<WrittenFile> {
    const { size } = await fs.stat(abs);
    const h = hashingStream();
    const entry = this.pack.entry({ name: safeEntryName(name), size, mode: executable ? 0o755 : 0o644, mtime: new Date() });
    await Promise.race([pipeline(createReadStream(abs), h.stream, entry), this.failed]);
    return h.result();
  }

  async addBuffer(name: string, data: Uint8Array): Promise<void> {
    await Promise.race([
      new Promise<void>((resolve, reject) => {
        this.pack.entry({ name: safeEntryName(name), size: data.length, mode: 0o644, mtime: new Date() }, Buffer.from(data), (err) =>
          err ? reject(err) : resolve(),
        );
      }),
      this.failed,
    ]);
  }

  async finish(): Promise<void> {
    this.pack.finalize();
    await this.written;
  }

  async abort(): Promise<void> {
    this.pack.destroy();
    await destroyAndClose(this.out);
  }
}

/** Destroy a file stream and wait until its descriptor is closed (a stream opens its file lazily). */
async function destroyAndClose(out: WriteStream): Promise<void> {
  if (out.closed) return;
  const closed = once(out, 'close').catch(() => undefined);
  out.destroy();
  await closed;
}

export function createWriter(format: ExportFormat, tempTarget: string): ExportWriter {
  if (format === 'folder') return new FolderWriter(tempTarget);
  if (format === 'zip') return new ZipWriter(tempTarget);
  return new TarGzWriter(tempTarget);
}
