import { isMainThread } from 'node:worker_threads';

/**
 * No telemetry: onnxruntime (1.2x on Linux) records events about every session it creates — the
 * model's graph and producer names, device usage, timings — in
 * ~/.cache/Microsoft/DeveloperTools/.onnxruntime/onnxruntime.db and uploads them to Microsoft's
 * collector. Nothing about a CMS model may leave the machine. onnxruntime reads the switch from the
 * process environment when it initialises (at the first session); a worker thread's process.env is a
 * copy native code never sees, so it is set by the main thread, before any worker starts.
 *
 * A module of its own (without onnxruntime) so a thread that only starts the inference thread
 * (the CLI's preview) sets it without loading onnxruntime itself.
 */
if (isMainThread) process.env.ORT_DISABLE_TELEMETRY = '1';

/**
 * Freed memory kept for reuse: onnxruntime-node returns every output in a new ArrayBuffer (also when
 * an output tensor is given: it fills both), a chunk's reconstruction, 0.3–1 MB per layer. glibc
 * starts out giving freed blocks over 128 kB back to the system; in a worker thread's arena it
 * returned them after nearly every chunk, and the next output faulted all its pages in again: about
 * 10 page faults per LS, which made the inference 2–3 × slower in the inference thread than the same
 * sessions in a main thread (`npm run bench pipeline`, whole-process mode). glibc raises its
 * thresholds (process-wide, once) when a block it had mapped on its own is freed: to that block's
 * size for mapping, twice that for giving memory back. Freeing one 16 MB block now does that (its
 * pages are never touched); afterwards the blocks of a chunk's outputs are reused. Other C libraries
 * (macOS) ignore it, as does glibc with its thresholds set by the user (MALLOC_MMAP_THRESHOLD_).
 */
if (isMainThread) {
  const block = new ArrayBuffer(16 * 2 ** 20) as ArrayBuffer & { transfer?(length: number): ArrayBuffer };
  // transfer(0) frees the block now (dropping it would wait for a garbage collection)
  block.transfer?.(0);
}
