// sets ORT_DISABLE_TELEMETRY (see there) before anything here can create a session
import './onnx-environment';
import * as ort from 'onnxruntime-node';
import { encodeNmfOnnx } from '../onnx/nmf-onnx';

/**
 * onnxruntime-node, set up for this app (no telemetry: ./onnx-environment). Every back-end module that
 * runs ONNX models imports it from here, so that setting holds before the first session is created.
 */
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
