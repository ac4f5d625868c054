import { promises as fs } from 'node:fs';
import type * as OrtTypes from 'onnxruntime-node';
import { ort } from './onnx-runtime';
import { inputError, readFailure } from './input-error';

/** How every NMF session is set up; chosen by measurement (`npm run bench onnx-settings`). */
export const NMF_SESSION_OPTIONS = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
  enableMemPattern: true,
} as const satisfies OrtTypes.InferenceSession.SessionOptions;

/**
 * One layer's NMF model on onnxruntime-node. Input/output names and shapes are read from the
 * session and checked against the cropped map shape the preset implies.
 */
export class NmfSession {
  private constructor(
    readonly file: string,
    readonly layer: string,
    private readonly session: OrtTypes.InferenceSession,
    readonly inputName: string,
    readonly outputName: string,
    readonly rows: number,
    readonly cols: number,
  ) {}

  static async open(file: string, layer: string, rows: number, cols: number, opts: { threads?: number } = {}): Promise<NmfSession> {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await fs.readFile(file));
    } catch (err) {
      throw inputError(`ONNX model of ${layer} (${file}): ${readFailure(err)}`);
    }
    let session: OrtTypes.InferenceSession;
    try {
      session = await ort.InferenceSession.create(bytes, {
        ...NMF_SESSION_OPTIONS,
        intraOpNumThreads: opts.threads ?? NMF_SESSION_OPTIONS.intraOpNumThreads,
      });
    } catch (err) {
      throw inputError(`ONNX model of ${layer} (${file}) cannot be loaded by onnxruntime: ${(err as Error).message.split('\n')[0]}`);
    }
    const fail = (msg: string) => {
      void session.release();
      return inputError(`ONNX model of ${layer} (${file}): ${msg}`);
    };
    if (session.inputNames.length !== 1 || session.outputNames.length !== 1) {
      throw fail(
        `expected one input and one output, found inputs [${session.inputNames.join(', ')}] and outputs [${session.outputNames.join(', ')}]`,
      );
    }
    const inMeta = session.inputMetadata[0];
    const outMeta = session.outputMetadata[0];
    for (const [what, meta] of [
      ['input', inMeta],
      ['output', outMeta],
    ] as const) {
      if (!meta.isTensor) throw fail(`${what} "${meta.name}" is not a tensor`);
      if (meta.type !== 'float32') throw fail(`${what} "${meta.name}" has type ${meta.type}, expected float32`);
      const shape = meta.shape;
      const ok = shape.length === 3 && typeof shape[0] !== 'number' && shape[1] === rows && shape[2] === cols;
      const okFixedBatch = shape.length === 3 && shape[1] === rows && shape[2] === cols;
      if (!ok && !okFixedBatch) {
        throw fail(
          `${what} "${meta.name}" has shape [${shape.map((d) => (typeof d === 'number' ? d : d || '?')).join(', ')}], expected [N, ${rows}, ${cols}] (the ${layer} map with the centre cross removed)`,
        );
      }
    }
    return new NmfSession(file, layer, session, inMeta.name, outMeta.name, rows, cols);
  }

  /**
   * Reconstruct n clipped maps (n × rows × cols). With `out` (n × rows × cols, also in a
   * SharedArrayBuffer) the reconstruction is copied there and onnxruntime's own output is freed at
   * once: onnxruntime-node returns every output in a new ArrayBuffer (also when given an output
   * tensor, which it fills as well), and left to the garbage collector each chunk's output took fresh
   * memory whose pages all faulted in: freed now, the next chunk's output reuses it. Measured on the
   * fixture's models (`npm run bench pipeline`): 960 LS inferred in 80 ms instead of 250 ms.
   */
  async run(input: Float32Array, n: number, out?: Float32Array): Promise<Float32Array> {
    const size = this.rows * this.cols;
    if (input.length !== n * size)
      throw new Error(`${this.layer}: input has ${input.length} values, expected ${n} × ${this.rows} × ${this.cols}`);
    const shape = [n, this.rows, this.cols];
    const result = await this.session.run({ [this.inputName]: new ort.Tensor('float32', input, shape) });
    const t = result[this.outputName];
    if (t.data.length !== n * size)
      throw inputError(`ONNX model of ${this.layer} (${this.file}) returned ${t.data.length} values for ${n} maps, expected ${n * size}`);
    const data = t.data as Float32Array;
    if (!out || out.length !== n * size) return data;
    out.set(data);
    (data.buffer as ArrayBuffer & { transfer?(length: number): ArrayBuffer }).transfer?.(0);
    return out;
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
