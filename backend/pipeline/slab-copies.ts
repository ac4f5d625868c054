type PackedArray =
  Float64Array | Float32Array | Int32Array | Uint32Array | Int16Array | Uint16Array | Int8Array | Uint8Array | Uint8ClampedArray;

/** Larger than glibc's highest mmap threshold (32 MB): every slab is its own mapping. */
const MAP_SLAB_BYTES = 64 * 2 ** 20;

/**
 * Copies of typed arrays packed into a few large ArrayBuffers, for what a preview run keeps.
 *
 * Why: a run's arrays arrive from the pipeline worker as hundreds of 0.1–10 MB buffers allocated by
 * that thread. Kept as they are, glibc's allocator (per-thread arenas, an mmap threshold that rises
 * as buffers are freed) keeps their pages after the run is released: RSS grew by ~1 GB per 10 000-LS
 * run and never went down. A slab is mapped and unmapped as a whole by every C allocator, so the
 * memory goes back to the system when the run's slabs are garbage-collected; the worker's own
 * buffers are freed right after the copy and reused by its next chunk.
 */
export class SlabCopies {
  private slab: ArrayBuffer | SharedArrayBuffer | null = null;
  private used = 0;
  /** Bytes of the arrays copied so far. */
  bytes = 0;

  /**
   * `shared`: slabs are SharedArrayBuffers, so a worker can hand its copies to the back end without a
   * transfer. `slabBytes`: smaller slabs suit small arrays that add up to little (V8 counts a whole
   * slab as external memory).
   */
  constructor(
    private readonly shared = false,
    private readonly slabBytes = MAP_SLAB_BYTES,
  ) {}

  /** Slabs made (and written to) ahead of the copies, by prefault(). */
  private readonly ready: Array<ArrayBuffer | SharedArrayBuffer> = [];

  private buffer(bytes: number): ArrayBuffer | SharedArrayBuffer {
    if (bytes === this.slabBytes && this.ready.length) return this.ready.shift()!;
    return this.shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
  }

  /**
   * Make the slabs for the next `bytes` of copies now and write to each of their pages, so the copies
   * find the memory in place; stops early when `until` settles. A page of fresh memory faults in when
   * first written, and on some VMs that costs 13 µs per 4 kB page (~3 ms per MB): the pipeline worker
   * does this while its inference thread creates the sessions, when it would otherwise wait.
   */
  async prefault(bytes: number, until: Promise<unknown>): Promise<void> {
    const page = 4096;
    const step = 4 * 2 ** 20;
    let stop = false;
    void until.then(
      () => (stop = true),
      () => (stop = true),
    );
    for (let left = bytes; left > 0 && !stop; left -= this.slabBytes) {
      const slab = this.shared ? new SharedArrayBuffer(this.slabBytes) : new ArrayBuffer(this.slabBytes);
      this.ready.push(slab);
      const view = new Uint8Array(slab, 0, Math.min(left, this.slabBytes));
      for (let at = 0; at < view.length && !stop; at += step) {
        for (let i = at, end = Math.min(view.length, at + step); i < end; i += page) view[i] = 0;
        // `until` is seen between steps
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
  }

  copy<T extends PackedArray>(a: T): T {
    const Ctor = a.constructor as new (buffer: ArrayBuffer | SharedArrayBuffer, byteOffset: number, length: number) => T;
    const bytes = a.byteLength;
    this.bytes += bytes;
    let out: T;
    if (bytes > this.slabBytes) {
      // larger than a slab: a buffer of its own
      out = new Ctor(this.buffer(bytes), 0, a.length);
    } else {
      // 8-byte aligned; the unused tail of a slab is never written, so it takes no memory
      const offset = Math.ceil(this.used / 8) * 8;
      if (!this.slab || offset + bytes > this.slabBytes) {
        this.slab = this.buffer(this.slabBytes);
        this.used = 0;
        out = new Ctor(this.slab, 0, a.length);
      } else out = new Ctor(this.slab, offset, a.length);
      this.used = out.byteOffset + bytes;
    }
    out.set(a);
    return out;
  }
}
