/**
 * What a ModelUri file is, and its pickle stream(s) as bytes, without running Python: plain pickle,
 * joblib (uncompressed, or compressed with zlib or gzip — joblib's default for compress=True/level is
 * zlib — and the old joblib < 0.10 "ZF" zlib container), or a zip archive (numpy .npz: object arrays
 * are pickles; PyTorch: archive/data.pkl). bz2, lzma, xz and lz4 joblib files are recognised; Node has
 * no decoder for them, so their stream is decompressed by the runtime image's own Python standard
 * library (bz2/lzma modules, no unpickling) when the caller can, see `needsImageDecompression`.
 */
import { promises as fs } from 'node:fs';
import { gunzipSync, inflateSync } from 'node:zlib';
import { unzipSync } from 'fflate';

export type Compression = 'none' | 'zlib' | 'gzip' | 'bz2' | 'lzma' | 'xz' | 'lz4' | 'zfile';

/** joblib's compressor magic numbers (joblib/compressor.py), in the order joblib tests them. */
const MAGIC: Array<[Compression, number[]]> = [
  ['zfile', [0x5a, 0x46]], // "ZF": joblib < 0.10
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a]],
  ['lz4', [0x04, 0x22, 0x4d, 0x18]],
  ['gzip', [0x1f, 0x8b]],
  ['bz2', [0x42, 0x5a, 0x68]],
  ['lzma', [0x5d, 0x00]],
  ['zlib', [0x78]],
];

export function detectCompression(head: Uint8Array): Compression {
  for (const [kind, magic] of MAGIC) if (magic.every((b, i) => head[i] === b)) return kind;
  return 'none';
}

export type ModelFileKind =
  /** One pickle stream (plain pickle or joblib), already decompressed. */
  | { kind: 'pickle'; compression: Compression; streams: Array<{ name: string; data: Uint8Array }> }
  /** A compressed joblib Node cannot decode: decompress it in the runtime image (see model-check.ts). */
  | { kind: 'needs-image'; compression: Compression }
  /** A zip archive: its pickled members (object arrays of an .npz, PyTorch's data.pkl). */
  | { kind: 'zip'; streams: Array<{ name: string; data: Uint8Array }>; members: number }
  /** ONNX, a SavedModel, plain arrays: nothing pickled in it. */
  | { kind: 'not-pickle'; what: string };

const isPickleStart = (b: number | undefined) => b === 0x80 || (b !== undefined && '(]}cN'.includes(String.fromCharCode(b)));

function npyPickle(name: string, npy: Uint8Array): Uint8Array | null {
  // .npy: magic, version, header length, a Python dict literal; object arrays ('|O') store a pickle after it.
  if (npy[0] !== 0x93 || String.fromCharCode(...npy.subarray(1, 6)) !== 'NUMPY') return null;
  const major = npy[6];
  const hlen = major === 1 ? npy[8] | (npy[9] << 8) : new DataView(npy.buffer, npy.byteOffset + 8, 4).getUint32(0, true);
  const start = (major === 1 ? 10 : 12) + hlen;
  const header = new TextDecoder('latin1').decode(npy.subarray(major === 1 ? 10 : 12, start));
  void name;
  return /'descr':\s*'\|O'/.test(header) ? npy.subarray(start) : null;
}

/** Decompress one joblib stream with a Node decoder, or null for formats Node cannot read. */
export function decompress(data: Uint8Array, compression: Compression): Uint8Array | null {
  switch (compression) {
    case 'none':
      return data;
    case 'zlib':
      return inflateSync(data);
    case 'gzip':
      return gunzipSync(data);
    case 'zfile':
      // joblib < 0.10: "ZF" + the length as a hex string padded to 19 characters, then a zlib stream.
      return inflateSync(data.subarray(2 + 19));
    default:
      return null;
  }
}

export async function readModelFile(file: string): Promise<ModelFileKind> {
  const data = new Uint8Array(await fs.readFile(file));
  if (data[0] === 0x50 && data[1] === 0x4b && data[2] === 0x03 && data[3] === 0x04) {
    let members: Record<string, Uint8Array>;
    try {
      members = unzipSync(data, { filter: (f) => f.name.endsWith('.pkl') || f.name.endsWith('.npy') });
    } catch (err) {
      return { kind: 'not-pickle', what: `a zip archive that cannot be read (${(err as Error).message})` };
    }
    const streams: Array<{ name: string; data: Uint8Array }> = [];
    for (const [name, body] of Object.entries(members)) {
      if (name.endsWith('.pkl')) streams.push({ name, data: body });
      else {
        const p = npyPickle(name, body);
        if (p) streams.push({ name, data: p });
      }
    }
    return { kind: 'zip', streams, members: Object.keys(members).length };
  }
  const compression = detectCompression(data);
  if (compression === 'none') {
    if (!isPickleStart(data[0])) return { kind: 'not-pickle', what: describeOther(data) };
    return { kind: 'pickle', compression, streams: [{ name: '', data }] };
  }
  const plain = decompress(data, compression);
  if (!plain) return { kind: 'needs-image', compression };
  return { kind: 'pickle', compression, streams: [{ name: '', data: plain }] };
}

function describeOther(data: Uint8Array): string {
  if (data[0] === 0x93 && String.fromCharCode(...data.subarray(1, 6)) === 'NUMPY') return 'a numpy .npy array';
  if (data[0] === 0x08) return 'a protobuf file (ONNX?)';
  return 'not a pickle, joblib or zip file';
}
