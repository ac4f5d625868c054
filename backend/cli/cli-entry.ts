import module from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { InferenceThreads } from '@/backend/pipeline/inference-thread';

/**
 * Node's compile cache for the CLI's modules: a run then starts without compiling them again (the
 * preview reads its preset ~50 ms sooner). In the user's own cache folder, not Node's default in
 * the shared /tmp, where on a multi-user machine (lxplus) another user could plant cache files.
 * Without a writable home the cache is simply off.
 */
function compileCacheDir(): string {
  const base =
    process.env.XDG_CACHE_HOME && path.isAbsolute(process.env.XDG_CACHE_HOME)
      ? process.env.XDG_CACHE_HOME
      : path.join(os.homedir(), '.cache');
  return path.join(base, 'dism-studio', 'node-compile-cache');
}
try {
  module.enableCompileCache?.(compileCacheDir());
} catch {
  // no cache: only slower
}

// The preview's NMF sessions take longest to be ready: their thread starts (and loads onnxruntime)
// before the rest of the CLI is loaded. It holds nothing until the command gives it a preset.
const [command, ...rest] = process.argv.slice(2);
if (command === 'preview' && !rest.includes('--help') && !rest.includes('-h')) InferenceThreads.prestart();

const { main } = await import('./main');
void main();
