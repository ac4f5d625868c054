import { parentPort, workerData } from 'node:worker_threads';
import { serializeError } from '@/shared/api/errors';
import { InferenceThreads, type InferenceModel } from './inference-thread';
import { executeRun, transferList, type RunControl, type RunParams } from './run-job';

/**
 * Pipeline worker thread: runs the NMF preview off the back end's event loop. Its run comes with the
 * thread (workerData) or, for a thread started ahead of the run (PipelineService's spare worker, see
 * there), in a {type: 'run', params} message; such a thread starts its inference thread at once, so
 * its modules and onnxruntime are loaded before the run is asked for, and {type: 'prepare', models}
 * has it create the sessions of the models the next run will probably have. {type: 'no-maps'}: post chunks
 * without their stage maps from now on. Cancelled by a {type: 'cancel'} message (stops at the next
 * chunk, releases the ONNX sessions, then exits): terminating a thread while onnxruntime is inside a
 * run can abort the whole process. A spare no run took ends on {type: 'exit'}, after its inference
 * threads have released their sessions (it says {type: 'released'}), for the same reason.
 */
const port = parentPort;
if (!port) throw new Error('pipeline.worker must run as a worker thread');
const controller = new AbortController();
const control: RunControl = { sendMaps: true };
let started = false;
const run = (params: RunParams) => {
  started = true;
  // the listener must not keep the thread alive once the run is over
  port.unref();
  executeRun(params, (msg) => port.postMessage(msg, transferList(msg)), controller.signal, control).catch((err) => {
    port.postMessage({ type: 'error', error: serializeError(err) });
  });
};
port.on('message', (m: { type?: string; params?: RunParams; models?: InferenceModel[] }) => {
  if (m?.type === 'run' && !started && m.params) run(m.params);
  // the models the next run will probably have (the last run's): their sessions are created now
  if (m?.type === 'prepare' && !started && m.models) void InferenceThreads.prepare(m.models);
  if (m?.type === 'cancel') controller.abort(new Error('Cancelled'));
  // a spare no run took: release what prepare() opened, then end (see PipelineService.endSpare)
  if (m?.type === 'exit' && !started)
    void InferenceThreads.closeEarly().finally(() => {
      port.postMessage({ type: 'released' });
      port.close();
    });
  // the back end keeps no more stage maps of this run: stop copying them
  if (m?.type === 'no-maps') control.sendMaps = false;
});
if (workerData) run(workerData as RunParams);
else InferenceThreads.prestart();
