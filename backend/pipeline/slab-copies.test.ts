import { describe, expect, it } from 'vitest';
import { SlabCopies } from './slab-copies';

describe('SlabCopies', () => {
  it('packs copies 8-byte aligned into a slab up to its last byte, then starts a new one; only larger arrays get their own buffer', () => {
    const slabs = new SlabCopies(false, 64);
    const a = slabs.copy(Uint8Array.from([1, 2, 3]));
    const b = slabs.copy(Float64Array.from([0.5, -1]));
    const c = slabs.copy(new Float32Array(10).fill(7)); // 24 + 40 bytes: exactly fills the slab
    expect([a.byteOffset, b.byteOffset, c.byteOffset, a.buffer === b.buffer && b.buffer === c.buffer, a.buffer.byteLength]).toEqual([
      0,
      8,
      24,
      true,
      64,
    ]);
    const d = slabs.copy(Uint8Array.from([4])); // one byte more: a new slab
    expect([d.buffer === a.buffer, d.byteOffset]).toEqual([false, 0]);
    const e = slabs.copy(new Uint8Array(65).fill(5)); // one byte larger than a slab: its own buffer
    const f = slabs.copy(new Uint8Array(64).fill(6)); // a slab's size: a (new) slab
    expect([e.buffer.byteLength, f.buffer.byteLength, f.buffer === d.buffer]).toEqual([65, 64, false]);
    expect([[...a], [...b], [...c].every((x) => x === 7), [...d], [...e].every((x) => x === 5), [...f].every((x) => x === 6)]).toEqual([
      [1, 2, 3],
      [0.5, -1],
      true,
      [4],
      true,
      true,
    ]);
    expect(slabs.bytes).toBe(3 + 16 + 40 + 1 + 65 + 64);
  });

  it('copies, not views: changing the source leaves the copy as it was; shared slabs are SharedArrayBuffers', () => {
    const src = Float32Array.from([1, 2]);
    const copy = new SlabCopies(true).copy(src);
    src[0] = 42;
    expect([...copy]).toEqual([1, 2]);
    expect(copy.buffer).toBeInstanceOf(SharedArrayBuffer);
  });
});
