/**
 * Typed arrays across the API (JSON or IPC): little-endian bytes as base64, so float maps keep NaN
 * and take ~1.4 bytes per byte instead of ~10 characters per number.
 */
export type EncodedDType = 'uint8' | 'int32' | 'float32' | 'float64';

export interface EncodedArray {
  dtype: EncodedDType;
  shape: number[];
  base64: string;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const LOOKUP = new Uint8Array(128);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

function toBase64(bytes: Uint8Array): string {
  const parts: string[] = [];
  let chunk = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i];
    const b = i + 1 < bytes.length ? bytes[i + 1] : 0;
    const c = i + 2 < bytes.length ? bytes[i + 2] : 0;
    chunk +=
      ALPHABET[a >> 2] +
      ALPHABET[((a & 3) << 4) | (b >> 4)] +
      (i + 1 < bytes.length ? ALPHABET[((b & 15) << 2) | (c >> 6)] : '=') +
      (i + 2 < bytes.length ? ALPHABET[c & 63] : '=');
    if (chunk.length > 8192) {
      parts.push(chunk);
      chunk = '';
    }
  }
  parts.push(chunk);
  return parts.join('');
}

function fromBase64(s: string): Uint8Array {
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((s.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < s.length; i += 4) {
    const n =
      (LOOKUP[s.charCodeAt(i)] << 18) |
      (LOOKUP[s.charCodeAt(i + 1)] << 12) |
      (LOOKUP[s.charCodeAt(i + 2)] << 6) |
      LOOKUP[s.charCodeAt(i + 3)];
    if (o < out.length) out[o++] = (n >> 16) & 255;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out;
}

const isLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function encodeArray(data: Uint8Array | Int32Array | Float32Array | Float64Array, shape: number[]): EncodedArray {
  const dtype: EncodedDType =
    data instanceof Uint8Array ? 'uint8' : data instanceof Int32Array ? 'int32' : data instanceof Float32Array ? 'float32' : 'float64';
  if (!isLittleEndian) throw new Error('big-endian hosts are not supported');
  return { dtype, shape, base64: toBase64(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)) };
}

export function decodeArray(e: EncodedArray): Uint8Array | Int32Array | Float32Array | Float64Array {
  const bytes = fromBase64(e.base64);
  switch (e.dtype) {
    case 'uint8':
      return bytes;
    case 'int32':
      return new Int32Array(bytes.buffer, 0, bytes.length / 4);
    case 'float32':
      return new Float32Array(bytes.buffer, 0, bytes.length / 4);
    case 'float64':
      return new Float64Array(bytes.buffer, 0, bytes.length / 8);
  }
}
