import module from 'node:module';
import { InferenceThreads } from '@/backend/pipeline/inference-thread';

module.enableCompileCache?.();

// The preview's NMF sessions take longest to be ready: their thread starts (and loads onnxruntime)
// before the rest of the CLI is loaded. It holds nothing until the command gives it a preset.
const [command, ...rest] = process.argv.slice(2);
if (command === 'preview' && !rest.includes('--help') && !rest.includes('-h')) InferenceThreads.prestart();

const { main } = await import('./main');
void main();
