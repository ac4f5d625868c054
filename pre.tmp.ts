import path from 'node:path';
import { loadDataInputs } from '@/backend/pipeline/data-inputs';
import { compilePresetFiles } from '@/backend/pipeline/preset-io';
import { pixelBarrelPreset } from '@/shared/preset/pixel-barrel';
import { preprocessLayer } from '@/shared/pipeline/stages';
import type { CompiledLayer } from '@/shared/pipeline/model';
const FIXTURE = path.resolve('test/fixtures/pixelnmf-reference');
const LAYERS = ['BPix2', 'BPix3', 'BPix4'];
function pre2(layer: CompiledLayer, raw: Int32Array, n: number, out: { preprocessed: Float32Array; modelInput: Float32Array; entries: Float64Array }, clip: { max: number; zeroValue: number }, scratch: Float64Array): void {
  const g = layer.geom; const rawSize = g.rows * g.cols; const size = g.outRows * g.outCols;
  const keptIdx = g.keptIdx; const crossIdx = g.crossIdx; const nCross = crossIdx.length; const invNorm = layer.invNorm;
  const preprocessed = out.preprocessed; const modelInput = out.modelInput; const ent = out.entries;
  const max = clip.max; const zeroValue = clip.zeroValue;
  for (let ls = 0; ls < n; ls++) {
    const rOff = ls * rawSize;
    let entries = 0;
    for (let k = 0; k < nCross; k++) entries += raw[rOff + crossIdx[k]];
    let sum = 0; let count = 0;
    for (let k = 0; k < size; k++) {
      const r = raw[rOff + keptIdx[k]];
      entries += r;
      const x = r * invNorm[k];
      if (x > 0) { sum += x; count++; scratch[k] = x; } else scratch[k] = 0;
    }
    ent[ls] = entries;
    const pOff = ls * size;
    if (count === 0) { preprocessed.fill(NaN, pOff, pOff + size); modelInput.fill(0, pOff, pOff + size); continue; }
    const inv = count / sum;
    for (let k = 0; k < size; k++) {
      const v = scratch[k] * inv;
      preprocessed[pOff + k] = v;
      modelInput[pOff + k] = v > max ? max : v === 0 ? zeroValue : v;
    }
  }
}
function pre3(layer: CompiledLayer, raw: Int32Array, n: number, out: { preprocessed: Float32Array; modelInput: Float32Array; entries: Float64Array }, clip: { max: number; zeroValue: number }, scratch: Float64Array): void {
  const g = layer.geom; const rows = g.rows; const cols = g.cols; const rawSize = rows * cols; const size = g.outRows * g.outCols;
  const rowIdx = g.rowIdx; const outRows = g.outRows;
  const c0 = g.colIdx[0]; // assume kept columns = [0, a) ∪ [b, cols)
  let a = 0; while (a < g.outCols && g.colIdx[a] === a) a++;
  const b = a < g.outCols ? g.colIdx[a] : cols;
  const invNorm = layer.invNorm;
  const preprocessed = out.preprocessed; const modelInput = out.modelInput; const ent = out.entries;
  const max = clip.max; const zeroValue = clip.zeroValue;
  for (let ls = 0; ls < n; ls++) {
    const rOff = ls * rawSize;
    let total = 0;
    for (let k = rOff, e = rOff + rawSize; k < e; k++) total += raw[k];
    let sum = 0; let count = 0; let o = 0;
    for (let r = 0; r < outRows; r++) {
      const base = rOff + rowIdx[r] * cols;
      for (let c = 0; c < a; c++, o++) { const x = raw[base + c] * invNorm[o]; const v = x > 0 ? x : 0; scratch[o] = v; sum += v; count += x > 0 ? 1 : 0; }
      for (let c = b; c < cols; c++, o++) { const x = raw[base + c] * invNorm[o]; const v = x > 0 ? x : 0; scratch[o] = v; sum += v; count += x > 0 ? 1 : 0; }
    }
    ent[ls] = total;
    const pOff = ls * size;
    if (count === 0) { preprocessed.fill(NaN, pOff, pOff + size); modelInput.fill(0, pOff, pOff + size); continue; }
    const inv = count / sum;
    for (let k = 0; k < size; k++) {
      const v = scratch[k] * inv;
      preprocessed[pOff + k] = v;
      modelInput[pOff + k] = v > max ? max : v === 0 ? zeroValue : v;
    }
  }
}
async function main() {
  const loaded = { file: path.join(FIXTURE, 'preset.json'), dir: FIXTURE, preset: pixelBarrelPreset(LAYERS) };
  const cp = await compilePresetFiles(loaded);
  const data = await loadDataInputs(loaded.preset, { layers: Object.fromEntries(LAYERS.map((l) => [l, `/tmp/s12/d960/raw_${l}.npy`])) });
  const C = 32; const scratch = new Float64Array(20000);
  const bufs = cp.layers.map((l) => { const s = l.geom.outRows*l.geom.outCols; return { preprocessed: new Float32Array(C*s), modelInput: new Float32Array(C*s), entries: new Float64Array(C) }; });
  const chk = cp.layers.map((l) => { const s = l.geom.outRows*l.geom.outCols; return { preprocessed: new Float32Array(C*s), modelInput: new Float32Array(C*s), entries: new Float64Array(C) }; });
  cp.layers.forEach((l, i) => { const sz = l.geom.rows*l.geom.cols; preprocessLayer(l, data.raws[i].subarray(0, C*sz) as any, C, bufs[i], { max: 5, zeroValue: 1 }, scratch); pre3(l, data.raws[i].subarray(0, C*sz) as any, C, chk[i], { max: 5, zeroValue: 1 }, scratch);
    for (const k of ['preprocessed','modelInput','entries'] as const) for (let j = 0; j < bufs[i][k].length; j++) if (!Object.is(bufs[i][k][j], chk[i][k][j])) { console.log('DIFF', k, j, bufs[i][k][j], chk[i][k][j]); break; } });
  for (let rep = 0; rep < 6; rep++) {
    for (const [name, f] of [['old', preprocessLayer], ['new', pre2], ['rows', pre3]] as const) {
      const a = performance.now(); const u = process.cpuUsage();
      for (let start = 0; start < data.n; start += C) {
        const n = Math.min(C, data.n - start);
        cp.layers.forEach((l, i) => { const sz = l.geom.rows*l.geom.cols; (f as any)(l, data.raws[i].subarray(start*sz, (start+n)*sz), n, bufs[i], { max: cp.clipMax, zeroValue: cp.clipZeroValue }, scratch); });
      }
      const cu = process.cpuUsage(u);
      console.log(name, (performance.now() - a).toFixed(1), 'ms wall', ((cu.user+cu.system)/1000).toFixed(1), 'ms cpu');
    }
  }
}
main();
