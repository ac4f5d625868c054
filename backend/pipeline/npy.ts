import { promises as fs } from 'node:fs';
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

/** dtypes that map 1:1 onto a typed array when the byte order matches the host. */
const DIRECT: Partial<Record<DType, new (b: ArrayBuffer) => NumericArray>> = {
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
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

function float16(bits: number): number {
  const s = bits & 0x8000 ? -1 : 1;
  const e = (bits >> 10) & 0x1f;
  const f = bits & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
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

/** Parse .npy bytes (every numeric and bool dtype, either endianness, C or Fortran order) into a C-ordered array. */
export function parseNpy(bytes: Uint8Array, where = 'array'): NdArray {
  if (bytes.length < 10 || MAGIC.some((m, i) => bytes[i] !== m))
    throw new NpyFormatError(`${where}: not a .npy file (missing the \\x93NUMPY magic)`);
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  const dataStart = headerStart + headerLen;
  if (dataStart > bytes.length) throw new NpyFormatError(`${where}: truncated .npy header`);
  const header = parseHeader(new TextDecoder(major >= 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, dataStart)), where);
  const m = /^([<>|=])?([a-zA-Z])(\d+)$/.exec(header.descr);
  const kind = m ? KINDS[`${m[2]}${m[3]}`] : undefined;
  if (!m || !kind)
    throw new NpyFormatError(`${where}: unsupported dtype "${header.descr}" (expected bool, int8–64, uint8–64 or float16/32/64)`);
  const little = m[1] !== '>';
  const count = shapeSize(header.shape);
  const need = count * kind.size;
  if (bytes.length - dataStart < need)
    throw new NpyFormatError(
      `${where}: data ends after ${bytes.length - dataStart} bytes, shape ${shapeText(header.shape)} × ${header.descr} needs ${need}`,
    );
  const dv = new DataView(bytes.buffer, bytes.byteOffset + dataStart, need);
  let data: NumericArray;
  const s = kind.size;
  const direct = little && HOST_LITTLE_ENDIAN ? DIRECT[kind.dtype] : undefined;
  if (direct) {
    // same byte order as the host: one copy, no per-element decoding
    data = new direct(bytes.slice(dataStart, dataStart + need).buffer);
    if (header.fortran) data = fortranToC(data, header.shape);
    return { dtype: kind.dtype, shape: header.shape, data };
  }
  switch (kind.dtype) {
    case 'bool':
    case 'uint8':
      data = bytes.slice(dataStart, dataStart + need);
      if (kind.dtype === 'bool') for (let i = 0; i < count; i++) data[i] = data[i] ? 1 : 0;
      break;
    case 'int8':
      data = new Int8Array(bytes.slice(dataStart, dataStart + need).buffer);
      break;
    case 'int16':
      data = new Int16Array(count);
      for (let i = 0; i < count; i++) data[i] = dv.getInt16(i * s, little);
      break;
    case 'uint16':
      data = new Uint16Array(count);
      for (let i = 0; i < count; i++) data[i] = dv.getUint16(i * s, little);
      break;
    case 'int32':
      data = new Int32Array(count);
      for (let i = 0; i < count; i++) data[i] = dv.getInt32(i * s, little);
      break;
    case 'uint32':
      data = new Uint32Array(count);
      for (let i = 0; i < count; i++) data[i] = dv.getUint32(i * s, little);
      break;
    case 'int64':
      data = new Float64Array(count);
      for (let i = 0; i < count; i++) data[i] = Number(dv.getBigInt64(i * s, little));
      break;
    case 'uint64':
      data = new Float64Array(count);
      for (let i = 0; i < count; i++) data[i] = Number(dv.getBigUint64(i * s, little));
      break;
    case 'float16':
      data = new Float32Array(count);
      for (let i = 0; i < count; i++) data[i] = float16(dv.getUint16(i * s, little));
      break;
    case 'float32':
      data = new Float32Array(count);
      for (let i = 0; i < count; i++) data[i] = dv.getFloat32(i * s, little);
      break;
    case 'float64':
      data = new Float64Array(count);
      for (let i = 0; i < count; i++) data[i] = dv.getFloat64(i * s, little);
      break;
  }
  if (header.fortran) data = fortranToC(data, header.shape);
  return { dtype: kind.dtype, shape: header.shape, data };
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
    return new Uint8Array(await fs.readFile(file));
  } catch (err) {
    throw new NpyFormatError(`${file}: ${readFailure(err)}`);
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
