import { closeSync, fstatSync, openSync, readSync, promises as fs } from 'node:fs';
import { unzipSync, zipSync } from 'fflate';
import type { DType, NdArray, NumericArray } from '@/shared/pipeline/ndarray';
import { shapeSize, shapeText } from '@/shared/pipeline/ndarray';
import { releaseTemp, removeStaleTemps, resolveWriteTarget, tempPathFor } from '../fs/atomic-write';
import { readFailure } from './input-error';

/** A .npy/.npz file that cannot be read; the message names the file (and key) and what is wrong. */
export class NpyFormatError extends Error {
  override name = 'NpyFormatError';
}

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Typed array per dtype as read: 64-bit integers become Float64Array, float16 Float32Array. */
type ArrayCtor = {
  new (length: number): NumericArray;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): NumericArray;
  readonly BYTES_PER_ELEMENT: number;
};
const READ_AS: Record<DType, ArrayCtor> = {
  bool: Uint8Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: Float64Array,
  uint64: Float64Array,
  float16: Float32Array,
  float32: Float32Array,
  float64: Float64Array,
};

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const KINDS: Record<string, { dtype: DType; size: number }> = {
  b1: { dtype: 'bool', size: 1 },
  i1: { dtype: 'int8', size: 1 },
  u1: { dtype: 'uint8', size: 1 },
  i2: { dtype: 'int16', size: 2 },
  u2: { dtype: 'uint16', size: 2 },
  i4: { dtype: 'int32', size: 4 },
  u4: { dtype: 'uint32', size: 4 },
  i8: { dtype: 'int64', size: 8 },
  u8: { dtype: 'uint64', size: 8 },
  f2: { dtype: 'float16', size: 2 },
  f4: { dtype: 'float32', size: 4 },
  f8: { dtype: 'float64', size: 8 },
};

let float16Table: Float32Array | null = null;

/** Every float16 bit pattern's value, built once (a table lookup per value instead of arithmetic). */
function float16Values(): Float32Array {
  if (float16Table) return float16Table;
  const t = new Float32Array(65536);
  for (let bits = 0; bits < 65536; bits++) {
    const s = bits & 0x8000 ? -1 : 1;
    const e = (bits >> 10) & 0x1f;
    const f = bits & 0x3ff;
    t[bits] = e === 0 ? s * f * 2 ** -24 : e === 31 ? (f ? NaN : s * Infinity) : s * (1 + f / 1024) * 2 ** (e - 15);
  }
  return (float16Table = t);
}

function parseHeader(text: string, where: string): { descr: string; fortran: boolean; shape: number[] } {
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]+)['"]/.exec(text)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText_ = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (!descr || !fortran || shapeText_ === undefined)
    throw new NpyFormatError(`${where}: unreadable .npy header ${JSON.stringify(text.trim())}`);
  const shape = shapeText_
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const v = Number(s.replace(/L$/, ''));
      if (!Number.isInteger(v) || v < 0) throw new NpyFormatError(`${where}: bad shape entry "${s}" in .npy header`);
      return v;
    });
  return { descr, fortran: fortran === 'True', shape };
}

/** Convert Fortran-ordered (column-major) data to C order. */
function fortranToC<T extends NumericArray>(src: T, shape: number[]): T {
  if (shape.length < 2) return src;
  const out = new (src.constructor as new (n: number) => T)(src.length);
  const nd = shape.length;
  const fStrides = new Array<number>(nd);
  fStrides[0] = 1;
  for (let d = 1; d < nd; d++) fStrides[d] = fStrides[d - 1] * shape[d - 1];
  const idx = new Array<number>(nd).fill(0);
  for (let c = 0; c < src.length; c++) {
    let f = 0;
    for (let d = 0; d < nd; d++) f += idx[d] * fStrides[d];
    out[c] = src[f];
    for (let d = nd - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** What a .npy header says and where its data starts. */
export interface NpyLayout {
  dtype: DType;
  /** Bytes per stored value. */
  itemSize: number;
  /** Stored little-endian (or single bytes). */
  little: boolean;
  fortran: boolean;
  shape: number[];
  /** Byte offset of the data in the file. */
  dataStart: number;
}

/** Parse the preamble and header of a .npy file (`bytes` holds at least the header). */
export function parseNpyLayout(bytes: Uint8Array, where: string, fileLength = bytes.length): NpyLayout {
  if (bytes.length < 10 || MAGIC.some((m, i) => bytes[i] !== m))
    throw new NpyFormatError(`${where}: not a .npy file (missing the \\x93NUMPY magic)`);
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerStart = major === 1 ? 10 : 12;
  if (bytes.length < headerStart) throw new NpyFormatError(`${where}: truncated .npy header`);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = headerStart + headerLen;
  if (dataStart > bytes.length) throw new NpyFormatError(`${where}: truncated .npy header`);
  const header = parseHeader(new TextDecoder(major >= 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, dataStart)), where);
  const m = /^([<>|=])?([a-zA-Z])(\d+)$/.exec(header.descr);
  const kind = m ? KINDS[`${m[2]}${m[3]}`] : undefined;
  if (!m || !kind)
    throw new NpyFormatError(`${where}: unsupported dtype "${header.descr}" (expected bool, int8–64, uint8–64 or float16/32/64)`);
  const need = shapeSize(header.shape) * kind.size;
  if (fileLength - dataStart < need)
    throw new NpyFormatError(
      `${where}: data ends after ${fileLength - dataStart} bytes, shape ${shapeText(header.shape)} × ${header.descr} needs ${need}`,
    );
  return { dtype: kind.dtype, itemSize: kind.size, little: m[1] !== '>', fortran: header.fortran, shape: header.shape, dataStart };
}

/**
 * The values of `count` items stored at `bytes[offset…]` as the typed array of their dtype. A view on
 * the same memory when the bytes can be used as they are (host byte order, aligned, not 64-bit
 * integers or float16); otherwise converted in bulk into `into` (when given and large enough) or a
 * new array. Booleans other than 0/1 are normalised (in a copy).
 */
export function decodeNpyValues(
  layout: Pick<NpyLayout, 'dtype' | 'itemSize' | 'little'>,
  bytes: Uint8Array,
  offset: number,
  count: number,
  into?: NumericArray,
): NumericArray {
  const { dtype, itemSize: size } = layout;
  const Ctor = READ_AS[dtype];
  const out = () => (into && into.constructor === Ctor && into.length >= count ? into.subarray(0, count) : new Ctor(count)) as NumericArray;
  const at = bytes.byteOffset + offset;
  const swap = size > 1 && layout.little !== HOST_LITTLE_ENDIAN;
  if (size === 1) {
    const v = new Ctor(bytes.buffer, at, count);
    if (dtype !== 'bool') return v;
    let i = 0;
    while (i < count && v[i] <= 1) i++;
    if (i === count) return v;
    const o = out();
    for (let k = 0; k < count; k++) o[k] = v[k] ? 1 : 0;
    return o;
  }
  // Bytes in host order, 8-byte aligned: a view on the input, or on one bulk copy of it (swapped in place).
  let src = bytes;
  let srcAt = at;
  if (swap || at % size !== 0) {
    src = new Uint8Array(count * size);
    src.set(bytes.subarray(offset, offset + count * size));
    srcAt = 0;
    if (swap)
      for (let i = 0; i < src.length; i += size)
        for (let a = i, b = i + size - 1; a < b; a++, b--) {
          const t = src[a];
          src[a] = src[b];
          src[b] = t;
        }
  }
  const buffer = src.buffer;
  switch (dtype) {
    case 'int64':
    case 'uint64': {
      // high · 2^32 + low: one rounding, the same double as Number(BigInt)
      const lo = new Uint32Array(buffer, srcAt, count * 2);
      const hi = dtype === 'int64' ? new Int32Array(buffer, srcAt, count * 2) : lo;
      const o = out();
      const l = HOST_LITTLE_ENDIAN ? 0 : 1;
      for (let k = 0; k < count; k++) o[k] = hi[2 * k + 1 - l] * 4294967296 + lo[2 * k + l];
      return o;
    }
    case 'float16': {
      const bits = new Uint16Array(buffer, srcAt, count);
      const table = float16Values();
      const o = out();
      for (let k = 0; k < count; k++) o[k] = table[bits[k]];
      return o;
    }
    default: {
      const v = new Ctor(buffer, srcAt, count);
      // a view on the caller's bytes, or on our own copy
      if (src === bytes || !into || into.constructor !== Ctor || into.length < count) return v;
      const o = into.subarray(0, count) as NumericArray;
      o.set(v);
      return o;
    }
  }
}

/**
 * Parse .npy bytes (every numeric and bool dtype, either endianness, C or Fortran order) into a
 * C-ordered array. The data is a view on `bytes` whenever the stored values can be used as they are.
 */
export function parseNpy(bytes: Uint8Array, where = 'array'): NdArray {
  const layout = parseNpyLayout(bytes, where);
  let data = decodeNpyValues(layout, bytes, layout.dataStart, shapeSize(layout.shape));
  if (layout.fortran) data = fortranToC(data, layout.shape);
  return { dtype: layout.dtype, shape: layout.shape, data };
}

const WRITE_DESCR: Partial<Record<DType, string>> = {
  bool: '|b1',
  int8: '|i1',
  uint8: '|u1',
  int16: '<i2',
  uint16: '<u2',
  int32: '<i4',
  uint32: '<u4',
  float32: '<f4',
  float64: '<f8',
};

/** The .npy v1.0 preamble + header for a C-ordered little-endian array (padded to 64 bytes). */
function npyHeader(descr: string, shape: readonly number[]): Uint8Array {
  const shapeStr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeStr}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  return out;
}

/** Serialise a C-ordered array as .npy v1.0 (little endian). int64/uint64/float16 are written as float64. */
export function encodeNpy(arr: NdArray): Uint8Array {
  let dtype = arr.dtype;
  let data: NumericArray = arr.data;
  if (!WRITE_DESCR[dtype]) {
    dtype = 'float64';
    data = Float64Array.from(arr.data);
  }
  if (data.length !== shapeSize(arr.shape))
    throw new Error(`array has ${data.length} values, shape ${shapeText(arr.shape)} needs ${shapeSize(arr.shape)}`);
  const header = npyHeader(WRITE_DESCR[dtype]!, arr.shape);
  const body = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(header.length + body.length);
  out.set(header, 0);
  if (dtype === 'bool') for (let i = 0; i < body.length; i++) out[header.length + i] = body[i] ? 1 : 0;
  else out.set(body, header.length);
  return out;
}

/** Parse .npz bytes (zip of .npy members, stored or deflated) into arrays keyed by member name without ".npy". */
export function parseNpz(bytes: Uint8Array, where = 'archive'): Record<string, NdArray> {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes);
  } catch (err) {
    throw new NpyFormatError(`${where}: not a readable .npz (zip) archive: ${(err as Error).message}`);
  }
  const out: Record<string, NdArray> = {};
  for (const [name, content] of Object.entries(files)) {
    if (!name.endsWith('.npy')) continue;
    const key = name.slice(0, -4);
    out[key] = parseNpy(content, `${where}[${key}]`);
  }
  return out;
}

/** Zip of .npy members; entry times are fixed so the same arrays give byte-identical archives. */
export function encodeNpz(arrays: Record<string, NdArray>, compress = true): Uint8Array {
  return zipSync(Object.fromEntries(Object.entries(arrays).map(([k, a]) => [`${k}.npy`, encodeNpy(a)])), {
    level: compress ? 6 : 0,
    mtime: '2000-01-01T00:00:00Z',
  });
}

export async function readNpyFile(file: string): Promise<NdArray> {
  return parseNpy(await readBytes(file), file);
}

export async function readNpzFile(file: string): Promise<Record<string, NdArray>> {
  return parseNpz(await readBytes(file), file);
}

async function readBytes(file: string): Promise<Uint8Array> {
  try {
    // the Buffer's own memory: no copy (arrays parsed from it are views on it)
    const b = await fs.readFile(file);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (err) {
    throw new NpyFormatError(`${file}: ${readFailure(err)}`);
  }
}

/**
 * A C-ordered .npy stack (N maps × …) read a block of maps at a time at disk speed: each block's bytes
 * go into a buffer the caller reuses and the maps are a view on it whenever the stored values can be
 * used as they are (see decodeNpyValues). Memory stays at one block however large the file is.
 */
export class NpyStackReader {
  private constructor(
    readonly file: string,
    private fd: number | null,
    readonly layout: NpyLayout,
  ) {}

  /** Maps in the file (the first dimension). */
  get n(): number {
    return this.layout.shape[0] ?? 0;
  }

  /** Values per map. */
  get mapSize(): number {
    return shapeSize(this.layout.shape.slice(1));
  }

  /** Bytes one block of `maps` maps needs in the caller's buffer. */
  blockBytes(maps: number): number {
    return maps * this.mapSize * this.layout.itemSize;
  }

  /** Opens the file and reads its header; null for a Fortran-ordered or 0-d array (read those whole). */
  static open(file: string): NpyStackReader | null {
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch (err) {
      throw new NpyFormatError(`${file}: ${readFailure(err)}`);
    }
    try {
      const size = fstatSync(fd).size;
      let head = new Uint8Array(Math.min(size, 4096));
      readSync(fd, head, 0, head.length, 0);
      if (head.length >= 12 && head[6] !== 1) {
        // version 2/3 headers can be longer than 4 kB
        const len = 12 + new DataView(head.buffer).getUint32(8, true);
        if (len > head.length && len <= size) {
          head = new Uint8Array(len);
          readSync(fd, head, 0, len, 0);
        }
      }
      const layout = parseNpyLayout(head, file, size);
      if (layout.fortran || layout.shape.length === 0) {
        closeSync(fd);
        return null;
      }
      return new NpyStackReader(file, fd, layout);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  /**
   * Maps [start, start + count) as a typed array. `bytes` is the caller's buffer (at least
   * blockBytes(count)); the result may be a view on it, valid until the buffer is filled again.
   * `into` receives the values when they must be converted.
   */
  read(start: number, count: number, bytes: Uint8Array, into?: NumericArray): NumericArray {
    if (this.fd === null) throw new Error(`${this.file}: read after close`);
    const len = this.blockBytes(count);
    let done = 0;
    const pos = this.layout.dataStart + this.blockBytes(start);
    while (done < len) {
      const got = readSync(this.fd, bytes, done, len - done, pos + done);
      if (got === 0) throw new NpyFormatError(`${this.file}: the file ended while reading maps ${start}–${start + count - 1}`);
      done += got;
    }
    return decodeNpyValues(this.layout, bytes, 0, count * this.mapSize, into);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/**
 * Writes a .npy of known shape chunk by chunk (bounded memory for long runs); the file appears
 * under its name only when complete.
 */
export class NpyStreamWriter {
  private written = 0;
  private handle: import('node:fs/promises').FileHandle | null = null;
  private tmp: string | null = null;
  private target: string | null = null;

  constructor(
    readonly file: string,
    readonly dtype: 'bool' | 'int8' | 'uint8' | 'int32' | 'float32' | 'float64',
    readonly shape: number[],
  ) {}

  async append(values: ArrayLike<number>): Promise<void> {
    if (!this.handle) {
      // Same temp naming and link handling as every other write (backend/fs/atomic-write.ts).
      this.target = await resolveWriteTarget(this.file);
      await removeStaleTemps(this.target);
      this.tmp = tempPathFor(this.target);
      this.handle = await fs.open(this.tmp, 'wx');
      await this.handle.write(npyHeader(WRITE_DESCR[this.dtype]!, this.shape));
    }
    const Ctor = { bool: Uint8Array, int8: Int8Array, uint8: Uint8Array, int32: Int32Array, float32: Float32Array, float64: Float64Array }[
      this.dtype
    ];
    const arr = values instanceof Ctor ? values : Ctor.from(values);
    if (this.dtype === 'bool') for (let i = 0; i < arr.length; i++) arr[i] = arr[i] ? 1 : 0;
    await this.handle.write(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength));
    this.written += arr.length;
  }

  async close(): Promise<void> {
    const expected = shapeSize(this.shape);
    if (!this.handle) await this.append([]);
    await this.handle!.close();
    this.handle = null;
    if (this.written !== expected) {
      await this.abort();
      throw new Error(`${this.file}: wrote ${this.written} values, shape ${shapeText(this.shape)} needs ${expected}`);
    }
    await fs.rename(this.tmp!, this.target!);
    releaseTemp(this.tmp!);
    this.tmp = null;
  }

  /** A run that failed half-way: close and remove the partial file; the target is left as it was. */
  async abort(): Promise<void> {
    await this.handle?.close().catch(() => undefined);
    this.handle = null;
    if (this.tmp) {
      await fs.rm(this.tmp, { force: true });
      releaseTemp(this.tmp);
      this.tmp = null;
    }
  }
}
