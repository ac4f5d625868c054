/**
 * Reading what the engine streams back: container output (Docker's multiplexed frames, or raw text
 * from a TTY container) as whole lines per stream, and the JSON-lines progress of pulls and builds.
 */
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';

export type OutputStream = 'stdout' | 'stderr';

/** Splits chunks into lines per stream, keeping partial lines until their newline arrives. */
class LineSplitter {
  private readonly partial: Record<OutputStream, string> = { stdout: '', stderr: '' };
  constructor(private readonly onLine: (stream: OutputStream, text: string) => void) {}

  push(stream: OutputStream, chunk: Buffer | string): void {
    const text = this.partial[stream] + chunk.toString();
    const lines = text.split('\n');
    this.partial[stream] = lines.pop() ?? '';
    for (const l of lines) this.onLine(stream, l.replace(/\r$/, ''));
  }

  flush(): void {
    for (const s of ['stdout', 'stderr'] as const) {
      if (this.partial[s]) this.onLine(s, this.partial[s]);
      this.partial[s] = '';
    }
  }
}

/**
 * Docker's multiplexed output (non-TTY containers): frames of an 8-byte header (stream type 0/1/2,
 * three zero bytes, payload size BE32) and the payload, split into lines per stream. Output that
 * is not framed (a TTY container, or `raw`) is all stdout.
 */
class FrameDemuxer {
  private buf: Buffer = Buffer.alloc(0);
  private readonly lines: LineSplitter;

  constructor(
    onLine: (stream: OutputStream, text: string) => void,
    private readonly raw = false,
  ) {
    this.lines = new LineSplitter(onLine);
  }

  push(d: Buffer): void {
    if (this.raw) return this.lines.push('stdout', d);
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    while (this.buf.length >= 8) {
      if (!startsLikeFrame(this.buf)) {
        this.lines.push('stdout', this.buf);
        this.buf = Buffer.alloc(0);
        return;
      }
      const size = this.buf.readUInt32BE(4);
      if (this.buf.length < 8 + size) return;
      this.lines.push(streamOf(this.buf), this.buf.subarray(8, 8 + size));
      this.buf = this.buf.subarray(8 + size);
    }
  }

  /** The end of the output: a cut-off frame gives what it has, unframed text (shorter than a header) is stdout. */
  end(): void {
    const rest = this.buf;
    this.buf = Buffer.alloc(0);
    if (rest.length && !startsLikeFrame(rest)) this.lines.push('stdout', rest);
    else if (rest.length > 8) this.lines.push(streamOf(rest), rest.subarray(8));
    this.lines.flush();
  }
}

function startsLikeFrame(b: Buffer): boolean {
  return b.length > 0 && b[0] <= 2 && b.subarray(1, 4).every((x) => x === 0);
}

function streamOf(header: Buffer): OutputStream {
  return header[0] === 2 ? 'stderr' : 'stdout';
}

/**
 * Lines of a container's attach or log stream (`tty`: raw text, else multiplexed frames). Resolves
 * when the stream ends, or when the signal aborts (the stream is destroyed then).
 */
export function demuxDockerStream(
  stream: Readable,
  onLine: (stream: OutputStream, text: string) => void,
  signal?: AbortSignal,
  opts: { tty?: boolean } = {},
): Promise<void> {
  const frames = new FrameDemuxer(onLine, opts.tty);
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => stream.destroy();
    signal?.addEventListener('abort', onAbort, { once: true });
    let ended = false;
    const end = (err?: Error) => {
      signal?.removeEventListener('abort', onAbort);
      if (!ended) frames.end();
      ended = true;
      if (err && !signal?.aborted) reject(err);
      else resolve();
    };
    stream.on('data', (d: Buffer) => frames.push(d));
    stream.on('error', (err) => end(err));
    stream.on('end', () => end());
    stream.on('close', () => end());
  });
}

/** The last `n` lines of a container's output (works after it exited, until it is removed). */
export async function tailContainerLogs(container: Docker.Container, n = 40): Promise<Array<{ stream: OutputStream; text: string }>> {
  const raw = (await container.logs({ follow: false, stdout: true, stderr: true, tail: n })) as unknown as Buffer;
  const out: Array<{ stream: OutputStream; text: string }> = [];
  const frames = new FrameDemuxer((stream, text) => out.push({ stream, text }));
  frames.push(Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw)));
  frames.end();
  return out.slice(-n);
}

/** Reads a stream of JSON lines (pull/build progress) and calls onObject for each. */
export async function readJsonLines(stream: Readable, onObject: (o: Record<string, unknown>) => void, signal?: AbortSignal): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    let buf = '';
    const onAbort = () => {
      stream.destroy();
      reject(signal?.reason instanceof Error ? signal.reason : new Error('Cancelled'));
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const done = (err?: Error) => {
      signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve();
    };
    stream.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        if (!line) continue;
        try {
          onObject(JSON.parse(line) as Record<string, unknown>);
        } catch (err) {
          stream.destroy();
          return done(err as Error);
        }
      }
    });
    stream.on('error', (err) => done(err));
    stream.on('end', () => {
      if (buf.trim()) {
        try {
          onObject(JSON.parse(buf) as Record<string, unknown>);
        } catch {
          /* trailing garbage: ignore */
        }
      }
      done();
    });
  });
}
