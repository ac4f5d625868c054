import type { EventEmitter } from 'node:events';

/**
 * The error path of a stream, wired from the moment it exists. A stream that fails before anyone
 * listens (a build context whose folder vanished, an output file that cannot be created) would
 * otherwise throw an uncaught 'error' event — which ends the whole process, the browser host
 * included — and leave its consumer waiting forever.
 *
 * `trackFailure(stream)` records its first error at once; `failureOf(stream)` is a promise that
 * rejects with that error (also when it happened earlier) and never resolves otherwise, for
 * racing the work that feeds or reads the stream.
 */
const failures = new WeakMap<object, Promise<never>>();

export function failureOf(stream: EventEmitter): Promise<never> {
  let p = failures.get(stream);
  if (!p) {
    p = new Promise<never>((_, reject) => stream.once('error', reject));
    p.catch(() => undefined); // handled: a recorded failure is not an unhandled rejection
    failures.set(stream, p);
  }
  return p;
}

export function trackFailure<T extends EventEmitter>(stream: T): T {
  void failureOf(stream);
  return stream;
}
