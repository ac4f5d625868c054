import { floatTensor, int64Tensor, nmfConstants, nmfReconstructionNodes, writeNode, type OnnxNode } from './nmf-onnx';
import { ProtoWriter } from './protobuf-writer';

const FLOAT = 1;
const INT32 = 6;
const OPSET = 13;
const IR_VERSION = 8;

/** One map input of the autoencoder: its name (the InputSignature Name) and NMF components. */
export interface AutoencoderLayer {
  name: string;
  rows: number;
  cols: number;
  /** H, row-major k × (rows·cols), trained on maps divided by their mean (see normaliseMap). */
  components: Float32Array;
}

export interface AutoencoderSpec {
  layers: AutoencoderLayer[];
  nComponents: number;
  /** Multiplicative updates of the encoder (the NMF transform). */
  steps: number;
  eps?: number;
  /** Name of the combined score output (the template's MetricKey). */
  scoreName: string;
  producer?: string;
}

export const AUTOENCODER_EPS = 1e-6;

/** Output name of one layer's score. */
export function layerScoreName(layer: string): string {
  return `score_${layer}`;
}

/**
 * An NMF autoencoder over whole pixel maps, as Triton serves it to DIALS: one INT32 input
 * [N, rows, cols] per layer (the counts DIALS sends), each map divided by its mean (so pileup and
 * statistics cancel), encoded by the NMF transform (ReLU(X·Hᵀ), then multiplicative updates),
 * decoded by W·H, and scored by the mean squared difference per lumisection. Outputs (float32 [N]):
 * one `score_<layer>` per layer, and `scoreName`, their maximum (the anomaly score DIALS compares
 * with AnomalyThreshold). `autoencoderScores` computes the same in TypeScript.
 */
export function encodeAutoencoderOnnx(spec: AutoencoderSpec): Uint8Array {
  const k = spec.nComponents;
  const eps = spec.eps ?? AUTOENCODER_EPS;
  const nodes: OnnxNode[] = [];
  const inits: Array<(w: ProtoWriter) => void> = [floatTensor('eps', [1], Float32Array.of(eps))];
  for (const l of spec.layers) {
    const d = l.rows * l.cols;
    if (l.components.length !== k * d) throw new Error(`${l.name}: ${l.components.length} component values, expected ${k} × ${d}`);
    const p = `${l.name}_`;
    const { H, HT, HHT } = nmfConstants(l.components, k, d);
    inits.push(
      floatTensor(`${p}H`, [k, d], H),
      floatTensor(`${p}H_T`, [d, k], HT),
      floatTensor(`${p}HH_T`, [k, k], HHT),
      int64Tensor(`${p}flat_shape`, [-1, d]),
    );
    nodes.push(
      { op: 'Cast', inputs: [l.name], output: `${p}float`, attrs: { to: FLOAT } },
      { op: 'Reshape', inputs: [`${p}float`, `${p}flat_shape`], output: `${p}flat` },
      { op: 'ReduceMean', inputs: [`${p}flat`], output: `${p}mean`, attrs: { axes: [1], keepdims: 1 } },
      { op: 'Add', inputs: [`${p}mean`, 'eps'], output: `${p}mean_eps` },
      { op: 'Div', inputs: [`${p}flat`, `${p}mean_eps`], output: `${p}X` },
      ...nmfReconstructionNodes({
        X: `${p}X`,
        names: { H: `${p}H`, H_T: `${p}H_T`, HH_T: `${p}HH_T`, eps: 'eps' },
        steps: spec.steps,
        output: `${p}X_hat`,
        prefix: p,
      }),
      { op: 'Sub', inputs: [`${p}X`, `${p}X_hat`], output: `${p}diff` },
      { op: 'Mul', inputs: [`${p}diff`, `${p}diff`], output: `${p}sq` },
      { op: 'ReduceMean', inputs: [`${p}sq`], output: layerScoreName(l.name), attrs: { axes: [1], keepdims: 0 } },
    );
  }
  nodes.push({ op: 'Max', inputs: spec.layers.map((l) => layerScoreName(l.name)), output: spec.scoreName });

  const valueInfo = (name: string, type: number, dims: Array<number | string>) => (w: ProtoWriter) => {
    w.string(1, name);
    w.message(2, (t) =>
      t.message(1, (tt) => {
        tt.int(1, type);
        tt.message(2, (shape) => {
          for (const d of dims) shape.message(1, (x) => (typeof d === 'number' ? x.int(1, d) : x.string(2, d)));
        });
      }),
    );
  };
  const model = new ProtoWriter();
  model.int(1, IR_VERSION);
  model.string(2, spec.producer ?? 'dism-studio');
  model.message(7, (g) => {
    nodes.forEach((n, i) => writeNode(g, n, `${n.op.toLowerCase()}_${i}`));
    g.string(2, 'nmf_autoencoder');
    for (const init of inits) g.message(5, init);
    for (const l of spec.layers) g.message(11, valueInfo(l.name, INT32, ['N', l.rows, l.cols]));
    g.message(12, valueInfo(spec.scoreName, FLOAT, ['N']));
    for (const l of spec.layers) g.message(12, valueInfo(layerScoreName(l.name), FLOAT, ['N']));
  });
  model.message(8, (o) => {
    o.string(1, '');
    o.int(2, OPSET);
  });
  return model.finish();
}

/** One map divided by its mean (+ eps), as the autoencoder's first step does; written into `out`. */
export function normaliseMap(raw: ArrayLike<number>, from: number, d: number, out: Float32Array, outFrom = 0, eps = AUTOENCODER_EPS): void {
  let sum = 0;
  for (let j = 0; j < d; j++) sum += raw[from + j];
  const mean = Math.fround(sum / d) + eps;
  for (let j = 0; j < d; j++) out[outFrom + j] = Math.fround(raw[from + j] / mean);
}

/**
 * The autoencoder's score of each of `n` maps of one layer (the graph's `score_<layer>`), in
 * float64: what the generator uses to set the demo's AnomalyThreshold, and what tests compare with
 * onnxruntime's float32 result.
 */
export function autoencoderScores(
  raw: ArrayLike<number>,
  n: number,
  layer: Pick<AutoencoderLayer, 'rows' | 'cols' | 'components'>,
  k: number,
  steps: number,
  eps = AUTOENCODER_EPS,
): Float64Array {
  const d = layer.rows * layer.cols;
  const H = layer.components;
  const HHt = new Float64Array(k * k);
  for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) for (let j = 0; j < d; j++) HHt[a * k + b] += H[a * d + j] * H[b * d + j];
  const x = new Float32Array(d);
  const xh = new Float64Array(k);
  const w = new Float64Array(k);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    normaliseMap(raw, i * d, d, x, 0, eps);
    for (let a = 0; a < k; a++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += x[j] * H[a * d + j];
      xh[a] = s;
      w[a] = Math.max(0, s);
    }
    for (let s = 0; s < steps; s++) {
      const next = new Float64Array(k);
      for (let a = 0; a < k; a++) {
        let den = 0;
        for (let b = 0; b < k; b++) den += w[b] * HHt[b * k + a];
        next[a] = w[a] * (xh[a] / (den + eps));
      }
      w.set(next);
    }
    let sq = 0;
    for (let j = 0; j < d; j++) {
      let r = 0;
      for (let a = 0; a < k; a++) r += w[a] * H[a * d + j];
      sq += (x[j] - r) ** 2;
    }
    out[i] = sq / d;
  }
  return out;
}
