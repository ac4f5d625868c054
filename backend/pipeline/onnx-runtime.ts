import { isMainThread } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { encodeNmfOnnx } from '../onnx/nmf-onnx';

/**
 * onnxruntime-node, set up for this app. Every back-end module that runs ONNX models imports it from
 * here, so the two settings below hold before the first session is created.
 *
 * No telemetry: onnxruntime (1.2x on Linux) records events about every session it creates — the
 * model's graph and producer names, device usage, timings — in
 * ~/.cache/Microsoft/DeveloperTools/.onnxruntime/onnxruntime.db and uploads them to Microsoft's
 * collector. Nothing about a CMS model may leave the machine. onnxruntime reads the switch from the
 * process environment when it initialises (at the first session); a worker thread's process.env is a
 * copy native code never sees, so it is set by the main thread, before any worker starts.
 */
if (isMainThread) process.env.ORT_DISABLE_TELEMETRY = '1';

export { ort };

let initialised: Promise<void> | null = null;

/**
 * Initialise onnxruntime in the calling thread (the back end's main thread, before the first
 * pipeline worker starts). onnxruntime's process-wide state (its environment and kernel registry,
 * tens of thousands of small allocations that live until the process exits) lands in the C
 * allocator's arena of the thread that initialises it. In a pipeline worker it would pin that
 * worker's arena, so the memory of every later run freed there could not go back to the system.
 */
export function initOnnxRuntimeHere(): Promise<void> {
  initialised ??= (async () => {
    const tiny = encodeNmfOnnx({ components: new Float32Array([1]), nComponents: 1, rows: 1, cols: 1, steps: 1 });
    const session = await ort.InferenceSession.create(tiny);
    await session.release();
  })();
  return initialised;
}
