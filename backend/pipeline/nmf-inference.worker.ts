import { parentPort, workerData } from 'node:worker_threads';
import { serializeError } from '@/shared/api/errors';
import { NmfSession } from './onnx-session';
import type { InferenceModel, InferenceReply, InferenceRequest } from './inference-thread';

/**
 * NMF inference thread (see InferenceThreads): opens the layers' sessions, then reconstructs chunks
 * whose model inputs and reconstructions live in SharedArrayBuffers the caller fills and reads.
 * onnxruntime-node takes no SharedArrayBuffer, so each chunk's input is copied into this thread's own
 * buffer, and its output into the shared one (memcpys, small next to the inference).
 */
const port = parentPort;
if (!port) throw new Error('nmf-inference.worker must run as a worker thread');
const post = (m: InferenceReply) => port.postMessage(m);

async function main(models: InferenceModel[]): Promise<void> {
  const sessions: NmfSession[] = [];
  try {
    for (const m of models) sessions.push(await NmfSession.open(m.file, m.layer, m.rows, m.cols));
  } catch (err) {
    await Promise.all(sessions.map((s) => s.close()));
    post({ type: 'failed', error: serializeError(err) });
    return;
  }
  const inputs: Float32Array[] = sessions.map(() => new Float32Array(0));
  post({ type: 'ready' });
  /** One chunk after the other: the caller queues several, and they share this thread's buffers. */
  const handle = async (m: InferenceRequest): Promise<void> => {
    if (m.type === 'close') {
      await Promise.all(sessions.map((s) => s.close()));
      post({ type: 'closed' });
      port!.close();
      return;
    }
    if (m.type !== 'infer') return;
    try {
      for (let i = 0; i < sessions.length; i++) {
        // onnxruntime-node takes no SharedArrayBuffer as input: copied into this thread's buffer
        const len = m.inputs[i].length;
        if (inputs[i].length < len) inputs[i] = new Float32Array(len);
        const input = inputs[i].subarray(0, len);
        input.set(m.inputs[i]);
        await sessions[i].run(input, m.n, m.outputs[i]);
      }
      post({ type: 'inferred', id: m.id });
    } catch (err) {
      post({ type: 'failed', id: m.id, error: serializeError(err) });
    }
  };
  let queue = Promise.resolve();
  port!.on('message', (m: InferenceRequest) => {
    queue = queue.then(() => handle(m));
  });
}

// The models come with the thread or in a first message (the thread was started, and onnxruntime
// loaded, while the caller was still reading the preset).
const initial = (workerData as { models: InferenceModel[] | null }).models;
if (initial) void main(initial);
else
  port.once('message', (m: InferenceRequest) => {
    if (m.type === 'open') void main(m.models);
    else if (m.type === 'close') {
      // closed before it was given any model: nothing to release
      post({ type: 'closed' });
      port.close();
    }
  });
