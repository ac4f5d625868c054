import { ProtoWriter } from './protobuf-writer';

/** Number of multiplicative updates the exported graph unrolls (as the reference fixture models). */
const DEFAULT_NMF_STEPS = 200;

/** H·Hᵀ (k × k) for H (k × d), row-major, each sum taken in float64; written into `out`. */
export function gramRows<T extends Float32Array | Float64Array>(H: ArrayLike<number>, k: number, d: number, out: T): T {
  for (let a = 0; a < k; a++) {
    for (let b = 0; b < k; b++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += H[a * d + j] * H[b * d + j];
      out[a * k + b] = s;
    }
  }
  return out;
}

const FLOAT = 1;
const INT64 = 7;
const OPSET = 13;
const IR_VERSION = 8;

export interface NmfOnnxSpec {
  /** H, the NMF components (sklearn `components_`), row-major nComponents × (rows·cols). */
  components: Float32Array | Float64Array;
  nComponents: number;
  /** The 2-D map shape the model sees (NMF2D `xshape`: the cropped map). */
  rows: number;
  cols: number;
  steps?: number;
  /** Guards the division in each update. */
  eps?: number;
  producer?: string;
}

/** A graph node; attributes are INT (a number) or INTS (a list). */
export type OnnxNode = { op: string; inputs: string[]; output: string; attrs?: Record<string, number | number[]> };

function tensor(w: ProtoWriter, name: string, dims: number[], type: number, raw: Uint8Array): void {
  for (const d of dims) w.int(1, d);
  w.int(2, type);
  w.string(8, name);
  w.bytes(9, raw);
}

export function floatTensor(name: string, dims: number[], values: Float32Array) {
  return (w: ProtoWriter) => tensor(w, name, dims, FLOAT, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
}

export function int64Tensor(name: string, values: number[]) {
  const raw = new BigInt64Array(values.map((v) => BigInt(v)));
  return (w: ProtoWriter) => tensor(w, name, [values.length], INT64, new Uint8Array(raw.buffer));
}

/** NodeProto fields: inputs, output, a name unique in the graph, the op, attributes (AttributeProto: name 1, i 3, ints 8, type 20). */
export function writeNode(g: ProtoWriter, n: OnnxNode, name: string): void {
  g.message(1, (w) => {
    for (const input of n.inputs) w.string(1, input);
    w.string(2, n.output);
    w.string(3, name);
    w.string(4, n.op);
    for (const [attr, v] of Object.entries(n.attrs ?? {}))
      w.message(5, (a) => {
        a.string(1, attr);
        if (Array.isArray(v)) {
          for (const x of v) a.int(8, x);
          a.int(20, 7); // INTS
        } else {
          a.int(3, v);
          a.int(20, 2); // INT
        }
      });
  });
}

/**
 * The NMF transform and reconstruction on a float [N, d] tensor `X`, with initializers H (k × d),
 * H_T (d × k) and HH_T (k × k) and `eps` ([1]) named by `names`: W₀ = ReLU(X·Hᵀ), then `steps`
 * multiplicative updates W ← W ⊙ (X·Hᵀ) / (W·H·Hᵀ + ε), then X̂ = W·H (named `output`).
 */
export function nmfReconstructionNodes(opts: {
  X: string;
  names: { H: string; H_T: string; HH_T: string; eps: string };
  steps: number;
  output: string;
  /** Prefix of the intermediate tensors (two NMF in one graph need different ones). */
  prefix?: string;
}): OnnxNode[] {
  const p = opts.prefix ?? '';
  const { H, H_T, HH_T, eps } = opts.names;
  const nodes: OnnxNode[] = [
    { op: 'MatMul', inputs: [opts.X, H_T], output: `${p}XH_T` },
    { op: 'Relu', inputs: [`${p}XH_T`], output: `${p}W0` },
  ];
  let W = `${p}W0`;
  for (let s = 0; s < opts.steps; s++) {
    nodes.push(
      { op: 'MatMul', inputs: [W, HH_T], output: `${p}den_${s}` },
      { op: 'Add', inputs: [`${p}den_${s}`, eps], output: `${p}dene_${s}` },
      { op: 'Div', inputs: [`${p}XH_T`, `${p}dene_${s}`], output: `${p}frac_${s}` },
      { op: 'Mul', inputs: [W, `${p}frac_${s}`], output: `${p}W_${s}` },
    );
    W = `${p}W_${s}`;
  }
  nodes.push({ op: 'MatMul', inputs: [W, H], output: opts.output });
  return nodes;
}

/** Hᵀ (d × k) and H·Hᵀ (k × k, sums in float64) of H (k × d), as float32. */
export function nmfConstants(
  components: ArrayLike<number>,
  k: number,
  d: number,
): { H: Float32Array; HT: Float32Array; HHT: Float32Array } {
  const H = Float32Array.from(components);
  const HT = new Float32Array(d * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < d; j++) HT[j * k + i] = H[i * d + j];
  return { H, HT, HHT: gramRows(H, k, d, new Float32Array(k * k)) };
}

/** float32 [N, rows, cols] with a symbolic batch dimension. */
function mapValueInfo(name: string, rows: number, cols: number) {
  return (w: ProtoWriter) => {
    w.string(1, name);
    w.message(2, (type) =>
      type.message(1, (t) => {
        t.int(1, FLOAT);
        t.message(2, (shape) => {
          shape.message(1, (d) => d.string(2, 'N'));
          shape.message(1, (d) => d.int(1, rows));
          shape.message(1, (d) => d.int(1, cols));
        });
      }),
    );
  };
}

/**
 * The NMF reconstruction as an ONNX graph, the same graph as the reference fixture models (and the
 * skl2onnx converter of the pixel team): W₀ = ReLU(X·Hᵀ), then `steps` multiplicative updates
 * W ← W ⊙ (X·Hᵀ) / (W·H·Hᵀ + ε) approximating sklearn's `transform`, then X̂ = W·H.
 * Input "input" and output "variable" are float32 [N, rows, cols].
 */
export function encodeNmfOnnx(spec: NmfOnnxSpec): Uint8Array {
  const { nComponents: k, rows, cols } = spec;
  const d = rows * cols;
  const steps = spec.steps ?? DEFAULT_NMF_STEPS;
  if (spec.components.length !== k * d)
    throw new Error(`NMF components have ${spec.components.length} values, expected ${k} × ${rows}·${cols} = ${k * d}`);
  if (!Number.isInteger(steps) || steps < 0) throw new Error(`steps must be a non-negative integer, got ${steps}`);
  // H·Hᵀ accumulated in float64, as numpy would for float32 inputs with pairwise sums.
  const { H, HT, HHT } = nmfConstants(spec.components, k, d);

  const nodes: OnnxNode[] = [
    { op: 'Reshape', inputs: ['input', 'flat_shape'], output: 'X_flat' },
    ...nmfReconstructionNodes({ X: 'X_flat', names: { H: 'H', H_T: 'H_T', HH_T: 'HH_T', eps: 'eps' }, steps, output: 'X_hat' }),
    { op: 'Reshape', inputs: ['X_hat', 'out_shape'], output: 'variable' },
  ];

  const model = new ProtoWriter();
  model.int(1, IR_VERSION);
  model.string(2, spec.producer ?? 'dism-studio');
  model.message(7, (g) => {
    nodes.forEach((n, i) => writeNode(g, n, `${n.op.toLowerCase()}_${i}`));
    g.string(2, 'nmf2d');
    g.message(5, floatTensor('H', [k, d], H));
    g.message(5, floatTensor('H_T', [d, k], HT));
    g.message(5, floatTensor('HH_T', [k, k], HHT));
    g.message(5, floatTensor('eps', [1], Float32Array.of(spec.eps ?? 1e-8)));
    g.message(5, int64Tensor('flat_shape', [-1, d]));
    g.message(5, int64Tensor('out_shape', [-1, rows, cols]));
    g.message(11, mapValueInfo('input', rows, cols));
    g.message(12, mapValueInfo('variable', rows, cols));
  });
  model.message(8, (o) => {
    o.string(1, '');
    o.int(2, OPSET);
  });
  return model.finish();
}
