import v8 from 'node:v8';
import vm from 'node:vm';

// The test process does not run with --expose-gc: turn it on for this isolate and take V8's gc().
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/**
 * Full garbage collections with a turn of the event loop between them (WeakRef targets read in the
 * current job are kept alive until it ends). After this, a WeakRef whose target only unreachable
 * objects refer to reads undefined: a test can show that nothing still holds on to something.
 */
export async function collectGarbage(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    gc();
  }
}
