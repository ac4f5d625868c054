/**
 * Writes the NMF reconstruction model as ONNX (protobuf encoded by hand, no dependencies), with
 * the same graph as the reference fixture models:
 *   X = reshape(input, [-1, d]); XHt = X·Hᵀ; W = relu(XHt)
 *   repeat `steps` times: W = W ∘ XHt / (W·(H·Hᵀ) + eps)      (multiplicative updates of W, H fixed)
 *   variable = reshape(W·H, [-1, rows, cols])
 */

/** Minimal protobuf writer: varints, length-delimited fields, nested messages. */
class Pb {
  private parts: Uint8Array[] = [];
  private size = 0;

  private push(b: Uint8Array): void {
    this.parts.push(b);
    this.size += b.length;
  }

  private varint(v: number | bigint): void {
    let x = BigInt.asUintN(64, BigInt(v));
    const out: number[] = [];
    while (x >= 0x80n) {
      out.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    out.push(Number(x));
    this.push(Uint8Array.from(out));
  }

  private key(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  int(field: number, v: number | bigint): this {
    this.key(field, 0);
    this.varint(v);
    return this;
  }

  bytes(field: number, b: Uint8Array): this {
    this.key(field, 2);
    this.varint(b.length);
    this.push(b);
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }

  message(field: number, m: Pb): this {
    return this.bytes(field, m.finish());
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

const FLOAT = 1;
const INT64 = 7;

function tensor(name: string, dims: number[], dataType: number, raw: Uint8Array): Pb {
  const t = new Pb();
  for (const d of dims) t.int(1, d);
  return t.int(2, dataType).string(8, name).bytes(9, raw);
}

function floatTensor(name: string, dims: number[], values: Float32Array): Pb {
  const le = new Uint8Array(values.length * 4);
  const dv = new DataView(le.buffer);
  values.forEach((v, i) => dv.setFloat32(i * 4, v, true));
  return tensor(name, dims, FLOAT, le);
}

function int64Tensor(name: string, values: number[]): Pb {
  const le = new Uint8Array(values.length * 8);
  const dv = new DataView(le.buffer);
  values.forEach((v, i) => dv.setBigInt64(i * 8, BigInt(v), true));
  return tensor(name, [values.length], INT64, le);
}

function node(op: string, inputs: string[], output: string): Pb {
  const n = new Pb();
  for (const i of inputs) n.string(1, i);
  return n.string(2, output).string(3, output).string(4, op);
}

/** ValueInfo for a float tensor [N, rows, cols] with a symbolic batch dimension. */
function valueInfo(name: string, rows: number, cols: number): Pb {
  const shape = new Pb().message(1, new Pb().string(2, 'N')).message(1, new Pb().int(1, rows)).message(1, new Pb().int(1, cols));
  const tensorType = new Pb().int(1, FLOAT).message(2, shape);
  return new Pb().string(1, name).message(2, new Pb().message(1, tensorType));
}

export interface NmfOnnxOptions {
  /** Components, k × (rows·cols), row-major. */
  H: Float32Array;
  k: number;
  rows: number;
  cols: number;
  steps?: number;
  eps?: number;
  graphName?: string;
}

export function nmfOnnxModel(o: NmfOnnxOptions): Uint8Array {
  const d = o.rows * o.cols;
  const k = o.k;
  if (o.H.length !== k * d) throw new Error(`H has ${o.H.length} values, expected ${k} × ${d}`);
  const steps = o.steps ?? 200;
  const Ht = new Float32Array(d * k);
  for (let a = 0; a < k; a++) for (let j = 0; j < d; j++) Ht[j * k + a] = o.H[a * d + j];
  const HHt = new Float32Array(k * k);
  for (let a = 0; a < k; a++) {
    for (let b = 0; b < k; b++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += o.H[a * d + j] * o.H[b * d + j];
      HHt[a * k + b] = s;
    }
  }
  const g = new Pb();
  g.message(1, node('Reshape', ['input', 'flat_shape'], 'X_flat'));
  g.message(1, node('MatMul', ['X_flat', 'H_T'], 'XH_T'));
  g.message(1, node('Relu', ['XH_T'], 'W0'));
  let w = 'W0';
  for (let i = 0; i < steps; i++) {
    g.message(1, node('MatMul', [w, 'HH_T'], `den_${i}`));
    g.message(1, node('Add', [`den_${i}`, 'eps'], `dene_${i}`));
    g.message(1, node('Div', ['XH_T', `dene_${i}`], `frac_${i}`));
    g.message(1, node('Mul', [w, `frac_${i}`], `W_${i}`));
    w = `W_${i}`;
  }
  g.message(1, node('MatMul', [w, 'H'], 'X_hat'));
  g.message(1, node('Reshape', ['X_hat', 'out_shape'], 'variable'));
  g.string(2, o.graphName ?? 'nmf2d');
  g.message(5, floatTensor('H', [k, d], o.H));
  g.message(5, floatTensor('H_T', [d, k], Ht));
  g.message(5, floatTensor('HH_T', [k, k], HHt));
  g.message(5, floatTensor('eps', [1], Float32Array.of(o.eps ?? 1e-8)));
  g.message(5, int64Tensor('flat_shape', [-1, d]));
  g.message(5, int64Tensor('out_shape', [-1, o.rows, o.cols]));
  g.message(11, valueInfo('input', o.rows, o.cols));
  g.message(12, valueInfo('variable', o.rows, o.cols));
  return new Pb()
    .int(1, 8) // ir_version
    .string(2, 'dism-studio')
    .message(7, g)
    .message(8, new Pb().string(1, '').int(2, 13))
    .finish();
}
