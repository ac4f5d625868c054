import { parentPort, workerData } from 'node:worker_threads';
import { serializeError } from '@/shared/api/errors';
import { executeRun, transferList, type RunControl, type RunParams } from './run-job';

/**
 * Pipeline worker thread: runs the NMF preview off the back end's event loop. {type: 'no-maps'}: post
 * chunks without their stage maps from now on. Cancelled by a {type: 'cancel'} message (stops at the next chunk, releases the ONNX sessions, then exits):
 * terminating a thread while onnxruntime is inside a run can abort the whole process.
 */
const port = parentPort;
if (!port) throw new Error('pipeline.worker must run as a worker thread');
const controller = new AbortController();
const control: RunControl = { sendMaps: true };
port.on('message', (m: { type?: string }) => {
  if (m?.type === 'cancel') controller.abort(new Error('Cancelled'));
  // the back end keeps no more stage maps of this run: stop copying them
  if (m?.type === 'no-maps') control.sendMaps = false;
});
// the listener must not keep the thread alive once the run is over
port.unref();
executeRun(workerData as RunParams, (msg) => port.postMessage(msg, transferList(msg)), controller.signal, control).catch((err) => {
  port.postMessage({ type: 'error', error: serializeError(err) });
});
