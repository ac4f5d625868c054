import { parentPort, workerData } from 'node:worker_threads';
import { serializeError } from '../../shared/api/errors';
import { executeRun, transferList, type RunParams } from './run-job';

/** Pipeline worker thread: runs the NMF preview off the back end's event loop; killed to cancel. */
const port = parentPort;
if (!port) throw new Error('pipeline.worker must run as a worker thread');
executeRun(workerData as RunParams, (msg) => port.postMessage(msg, transferList(msg))).catch((err) => {
  port.postMessage({ type: 'error', error: serializeError(err) });
});
