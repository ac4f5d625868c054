import { deflateSync } from 'node:zlib';

/**
 * A minimal PNG writer for the report's map images: 8-bit RGB, no alpha (pdfkit then embeds the
 * compressed data as it is), every source pixel drawn as a `scale` × `scale` block so the bins stay
 * sharp however a PDF viewer scales the image.
 */

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bufs: Uint8Array[]): number {
  let c = 0xffffffff;
  for (const b of bufs) for (let i = 0; i < b.length; i++) c = CRC_TABLE[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32([head.subarray(4), data]), 0);
  return Buffer.concat([head, data, crc]);
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** PNG of `width` × `height` RGB pixels (top row first), each enlarged to scale × scale. */
export function encodeRgbPng(width: number, height: number, rgb: Uint8Array, scale = 1): Buffer {
  const w = width * scale;
  const h = height * scale;
  const stride = w * 3 + 1;
  const raw = new Uint8Array(stride * h);
  for (let y = 0; y < h; y++) {
    const o = y * stride;
    if (y % scale) {
      // The same pixels as the row above: filter "Up" with all-zero differences.
      raw[o] = 2;
      continue;
    }
    raw[o] = 0;
    const src = (y / scale) * width * 3;
    let p = o + 1;
    for (let x = 0; x < width; x++) {
      const r = rgb[src + x * 3];
      const g = rgb[src + x * 3 + 1];
      const b = rgb[src + x * 3 + 2];
      for (let k = 0; k < scale; k++, p += 3) {
        raw[p] = r;
        raw[p + 1] = g;
        raw[p + 2] = b;
      }
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  return Buffer.concat([SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 6 })), chunk('IEND', new Uint8Array(0))]);
}
