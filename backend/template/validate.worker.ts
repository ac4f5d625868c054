import { parentPort } from 'node:worker_threads';
import { serializeError } from '@/shared/api/errors';
import { validateTemplateFile } from './validate-file';
import type { ValidationReply, ValidationRequest } from './template-validator';

/**
 * Template validation thread: parsing and checking a large or hostile template is CPU work that
 * would otherwise stop the back end answering anyone else. One request at a time, in order.
 */
const port = parentPort;
if (!port) throw new Error('validate.worker must run as a worker thread');
const send = (m: ValidationReply) => port.postMessage(m);
let queue = Promise.resolve();
port.on('message', (req: ValidationRequest) => {
  queue = queue.then(async () => {
    try {
      const result = await validateTemplateFile(req.projectDir, req.path, req.text, () => send({ id: req.id, type: 'filesystem-phase' }));
      send({ id: req.id, type: 'done', result });
    } catch (err) {
      send({ id: req.id, type: 'error', error: serializeError(err) });
    }
  });
});
