/**
 * TEST STAND-IN for a container registry (no real registry is reachable here): a minimal Docker
 * Registry HTTP API v2, pull side only, serving one small generated image from 127.0.0.1 (which the
 * Docker engine treats as an insecure registry). Layers are sent in throttled chunks so pull
 * progress can be observed and a pull can be cancelled half-way.
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function layerTar(name: string, content: Buffer): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((r) => pack.on('end', () => r()));
  pack.entry({ name, size: content.length, mode: 0o644 }, content);
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

export interface RegistryStandIn {
  /** `127.0.0.1:<port>` */
  host: string;
  image: string;
  layerDigests: string[];
  close(): Promise<void>;
}

/** Serve `dism-test/pull-probe:<tag>` with `layers` random layers of `layerBytes` each; `chunkDelayMs` throttles blobs. */
export async function startRegistryStandIn(
  opts: { layers?: number; layerBytes?: number; chunkDelayMs?: number; tag?: string } = {},
): Promise<RegistryStandIn> {
  const blobs = new Map<string, Buffer>();
  const diffIds: string[] = [];
  const layerDescs: Array<{ mediaType: string; size: number; digest: string }> = [];
  for (let i = 0; i < (opts.layers ?? 2); i++) {
    const raw = await layerTar(`layer-${i}.bin`, randomBytes(opts.layerBytes ?? 1_000_000));
    const gz = gzipSync(raw);
    diffIds.push(sha(raw));
    blobs.set(sha(gz), gz);
    layerDescs.push({ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: gz.length, digest: sha(gz) });
  }
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Labels: { 'dism.studio': '1', 'dism.stand-in': 'registry' }, Cmd: ['/layer-0.bin'] },
      rootfs: { type: 'layers', diff_ids: diffIds },
    }),
  );
  blobs.set(sha(config), config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: config.length, digest: sha(config) },
      layers: layerDescs,
    }),
  );
  const tag = opts.tag ?? '1';
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    res.setHeader('Docker-Distribution-API-Version', 'registry/2.0');
    if (url.pathname === '/v2/' || url.pathname === '/v2') return void res.end('{}');
    const m = url.pathname.match(/^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/);
    if (!m || m[1] !== 'dism-test/pull-probe') {
      res.statusCode = 404;
      return void res.end(JSON.stringify({ errors: [{ code: 'NAME_UNKNOWN', message: 'repository name not known to registry' }] }));
    }
    if (m[2] === 'manifests') {
      if (m[3] !== tag && m[3] !== sha(manifest)) {
        res.statusCode = 404;
        return void res.end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] }));
      }
      res.setHeader('Content-Type', 'application/vnd.docker.distribution.manifest.v2+json');
      res.setHeader('Docker-Content-Digest', sha(manifest));
      res.setHeader('Content-Length', manifest.length);
      return void res.end(req.method === 'HEAD' ? undefined : manifest);
    }
    const blob = blobs.get(m[3]);
    if (!blob) {
      res.statusCode = 404;
      return void res.end(JSON.stringify({ errors: [{ code: 'BLOB_UNKNOWN', message: 'blob unknown' }] }));
    }
    res.setHeader('Content-Type', 'application/octet-stream');
    res.setHeader('Docker-Content-Digest', m[3]);
    res.setHeader('Content-Length', blob.length);
    if (req.method === 'HEAD') return void res.end();
    let off = 0;
    const step = 64 * 1024;
    const send = () => {
      if (res.destroyed) return;
      if (off >= blob.length) return void res.end();
      res.write(blob.subarray(off, off + step));
      off += step;
      setTimeout(send, opts.chunkDelayMs ?? 0);
    };
    send();
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host,
    image: `${host}/dism-test/pull-probe:${tag}`,
    layerDigests: layerDescs.map((l) => l.digest),
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
