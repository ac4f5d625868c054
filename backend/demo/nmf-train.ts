import { gramRows } from '../onnx/nmf-onnx';
import { Rng } from './rng';

/**
 * Non-negative matrix factorisation X ≈ W·H by multiplicative updates (Lee & Seung, Frobenius
 * loss), as scikit-learn's NMF(solver='mu'). X is n × d (row-major); returns H (k × d) with every
 * component scaled to mean 1 (W absorbs the scale), as the production models store them.
 */
export function trainNmf(
  X: Float32Array,
  n: number,
  d: number,
  k: number,
  opts: { iterations: number; seed: number },
): { H: Float32Array; relativeError: number } {
  const rng = new Rng(opts.seed);
  let mean = 0;
  for (let i = 0; i < X.length; i++) mean += X[i];
  mean /= X.length;
  const scale = Math.sqrt(mean / k);
  const W = new Float64Array(n * k).map(() => scale * (0.5 + rng.next()));
  const H = new Float64Array(k * d).map(() => scale * (0.5 + rng.next()));
  const eps = 1e-10;
  const WtX = new Float64Array(k * d);
  const WtW = new Float64Array(k * k);
  const XHt = new Float64Array(n * k);
  const HHt = new Float64Array(k * k);
  for (let it = 0; it < opts.iterations; it++) {
    // H ← H ∘ (WᵀX) / (WᵀW·H)
    WtX.fill(0);
    for (let i = 0; i < n; i++) {
      const xo = i * d;
      for (let a = 0; a < k; a++) {
        const w = W[i * k + a];
        if (w === 0) continue;
        const ho = a * d;
        for (let j = 0; j < d; j++) WtX[ho + j] += w * X[xo + j];
      }
    }
    gram(W, n, k, WtW);
    for (let a = 0; a < k; a++) {
      for (let j = 0; j < d; j++) {
        let den = 0;
        for (let b = 0; b < k; b++) den += WtW[a * k + b] * H[b * d + j];
        H[a * d + j] *= WtX[a * d + j] / (den + eps);
      }
    }
    // W ← W ∘ (XHᵀ) / (W·HHᵀ)
    for (let i = 0; i < n; i++) {
      const xo = i * d;
      for (let a = 0; a < k; a++) {
        const ho = a * d;
        let s = 0;
        for (let j = 0; j < d; j++) s += X[xo + j] * H[ho + j];
        XHt[i * k + a] = s;
      }
    }
    gramRows(H, k, d, HHt);
    for (let i = 0; i < n; i++) {
      for (let a = 0; a < k; a++) {
        let den = 0;
        for (let b = 0; b < k; b++) den += W[i * k + b] * HHt[b * k + a];
        W[i * k + a] *= XHt[i * k + a] / (den + eps);
      }
    }
  }
  let err = 0;
  let norm = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      let r = 0;
      for (let a = 0; a < k; a++) r += W[i * k + a] * H[a * d + j];
      const x = X[i * d + j];
      err += (x - r) ** 2;
      norm += x * x;
    }
  }
  const out = new Float32Array(k * d);
  for (let a = 0; a < k; a++) {
    let m = 0;
    for (let j = 0; j < d; j++) m += H[a * d + j];
    m /= d;
    for (let j = 0; j < d; j++) out[a * d + j] = m > 0 ? H[a * d + j] / m : 0;
  }
  return { H: out, relativeError: Math.sqrt(err / norm) };
}

/** WᵀW for W (n × k). */
function gram(W: Float64Array, n: number, k: number, out: Float64Array): void {
  out.fill(0);
  for (let i = 0; i < n; i++) for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) out[a * k + b] += W[i * k + a] * W[i * k + b];
}
