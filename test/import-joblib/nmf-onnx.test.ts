import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeNmfOnnx } from '@/backend/onnx/nmf-onnx';
import { NmfSession } from '@/backend/pipeline/onnx-session';
import { readNpyFile } from '@/backend/pipeline/npy';

const REF = path.join(__dirname, '../fixtures/pixelnmf-reference');

describe('NMF ONNX writer', () => {
  it('reproduces the reference fixture model from its components', async () => {
    const H = await readNpyFile(path.join(REF, 'model/components_BPix2.npy'));
    const [k, d] = H.shape;
    expect(d).toBe(56 * 64);
    const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'dism-onnx-'));
    const file = path.join(tmp, 'nmf.onnx');
    await fs.writeFile(file, encodeNmfOnnx({ components: H.data as Float32Array, nComponents: k, rows: 56, cols: 64 }));
    const ours = await NmfSession.open(file, 'BPix2', 56, 64);
    const theirs = await NmfSession.open(path.join(REF, 'model/nmf_BPix2.onnx'), 'BPix2', 56, 64);
    // Clipped preprocessed maps are what the model sees; the reference preprocessed stage is close enough.
    const pre = await readNpyFile(path.join(REF, 'reference/onnx/preprocessed_BPix2.npy'));
    const n = 6;
    const x = Float32Array.from(pre.data.subarray(0, n * d), (v) => (Number.isNaN(v) ? 0 : v > 5 ? 5 : v === 0 ? 1 : v));
    const a = await ours.run(x, n);
    const b = await theirs.run(x, n);
    let maxDiff = 0;
    let maxAbs = 0;
    for (let i = 0; i < a.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
      maxAbs = Math.max(maxAbs, Math.abs(b[i]));
    }
    expect(maxAbs).toBeGreaterThan(0.5);
    expect(maxDiff).toBeLessThan(1e-4 * maxAbs);
    await ours.close();
    await theirs.close();
    await fs.rm(tmp, { recursive: true });
  });

  it('refuses components that do not fit the shape', () => {
    expect(() => encodeNmfOnnx({ components: new Float32Array(10), nComponents: 2, rows: 2, cols: 3 })).toThrow(/expected 2 × 2·3 = 12/);
  });
});
