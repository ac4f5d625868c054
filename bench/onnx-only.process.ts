/**
 * The floor the preview is measured against (bench/pipeline.bench.ts, "whole process" mode): a Node
 * process that only creates the three NMF sessions and runs them on N lumisections in chunks. Its
 * inputs are the 24 fixture LS's model inputs (already preprocessed and clipped, float32 .npy written
 * by the bench), tiled to N the same way the preview's data is; copying a tile into the chunk buffer
 * is the only work besides inference.
 *
 *   node onnx-only.process.mjs N CHUNK INPUT_DIR MODEL_DIR LAYER… [--threads T] [--opt LEVEL] [--mem-pattern on|off]
 *                              [--free-outputs]
 *
 * --free-outputs: each output's ArrayBuffer is freed right after the run, as the app does
 * (backend/pipeline/onnx-session.ts); without it, as onnxruntime-node's plain use leaves it, to the
 * garbage collector.
 *
 * Prints one JSON line: {"sessionsMs", "inferenceMs"}.
 */
import { readFileSync } from 'node:fs';
import module from 'node:module';
import path from 'node:path';

// as the CLI does (backend/cli/cli-entry.ts): both processes start with the same help
module.enableCompileCache?.();

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string, fallback: string) => {
    const i = args.indexOf(name);
    if (i < 0) return fallback;
    const v = args[i + 1];
    args.splice(i, 2);
    return v;
  };
  const threads = Number(opt('--threads', '1'));
  const level = opt('--opt', 'all') as 'disabled' | 'basic' | 'extended' | 'all';
  const memPattern = opt('--mem-pattern', 'on') === 'on';
  const freeAt = args.indexOf('--free-outputs');
  if (freeAt >= 0) args.splice(freeAt, 1);
  const freeOutputs = freeAt >= 0;
  const [nText, chunkText, inputDir, modelDir, ...layers] = args;
  const n = Number(nText);
  const chunk = Number(chunkText);
  // Like the app (backend/pipeline/onnx-runtime.ts): no telemetry, set before onnxruntime loads.
  process.env.ORT_DISABLE_TELEMETRY = '1';
  const ort = await import('onnxruntime-node');
  const t0 = performance.now();
  const sessions = await Promise.all(
    layers.map((l) =>
      ort.InferenceSession.create(readFileSync(path.join(modelDir, `nmf_${l}.onnx`)), {
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        graphOptimizationLevel: level,
        enableMemPattern: memPattern,
      }),
    ),
  );
  const t1 = performance.now();
  const inputs = layers.map((l) => {
    const bytes = readFileSync(path.join(inputDir, `input_${l}.npy`));
    const headerLen = bytes.readUInt16LE(8);
    const header = bytes.subarray(10, 10 + headerLen).toString('latin1');
    const shape = /\((\d+), (\d+), (\d+)\)/.exec(header)!.slice(1).map(Number);
    const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset + 10 + headerLen, bytes.byteOffset + bytes.length));
    return { data, m: shape[0], rows: shape[1], cols: shape[2] };
  });
  const buffers = inputs.map((x) => new Float32Array(chunk * x.rows * x.cols));
  let checksum = 0;
  for (let start = 0; start < n; start += chunk) {
    const k = Math.min(chunk, n - start);
    for (let i = 0; i < layers.length; i++) {
      const x = inputs[i];
      const size = x.rows * x.cols;
      const buf = buffers[i];
      for (let j = 0; j < k; j++) {
        const src = (start + j) % x.m;
        buf.set(x.data.subarray(src * size, (src + 1) * size), j * size);
      }
      const s = sessions[i];
      const out = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', buf.subarray(0, k * size), [k, x.rows, x.cols]) });
      const data = out[s.outputNames[0]].data as Float32Array;
      checksum += data[0];
      if (freeOutputs) (data.buffer as ArrayBuffer & { transfer?(length: number): ArrayBuffer }).transfer?.(0);
    }
  }
  const t2 = performance.now();
  await Promise.all(sessions.map((s) => s.release()));
  process.stdout.write(`${JSON.stringify({ sessionsMs: t1 - t0, inferenceMs: t2 - t1, checksum })}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
