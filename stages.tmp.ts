import path from 'node:path';
import { loadDataInputs } from '@/backend/pipeline/data-inputs';
import { compilePresetFiles } from '@/backend/pipeline/preset-io';
import { loadConditions } from '@/backend/pipeline/runner';
import { pixelBarrelPreset } from '@/shared/preset/pixel-barrel';
import { preprocessLayer, computeLossAndMaxima, decide, allocDecisionBuffers, StageScratch } from '@/shared/pipeline/stages';
import { summarizeChunk } from '@/shared/pipeline/run-chunk';
const FIXTURE = path.resolve('test/fixtures/pixelnmf-reference');
const LAYERS = ['BPix2', 'BPix3', 'BPix4'];
async function main() {
  const loaded = { file: path.join(FIXTURE, 'preset.json'), dir: FIXTURE, preset: pixelBarrelPreset(LAYERS) };
  const cp = await compilePresetFiles(loaded);
  const spec = { layers: Object.fromEntries(LAYERS.map((l) => [l, `/tmp/s12/d960/raw_${l}.npy`])), runs: '/tmp/s12/d960/run_number.npy', lumis: '/tmp/s12/d960/ls_number.npy', oms: path.join(FIXTURE,'data/omsdata_Run2025F-v1.json'), hlt: path.join(FIXTURE,'data/hltrate_Run2025F-v1.json') };
  const data = await loadDataInputs(loaded.preset, spec);
  const cond = await loadConditions(loaded.preset, spec, data, []);
  const C = 32; const scratch = new StageScratch(cp);
  const bufs = cp.layers.map((l) => { const s = l.geom.outRows*l.geom.outCols; return { preprocessed: new Float32Array(C*s), modelInput: new Float32Array(C*s), entries: new Float64Array(C), loss: new Float32Array(C*s), max: new Float32Array(C) }; });
  const dec = allocDecisionBuffers(cp, C);
  const t = { pre: 0, loss: 0, decide: 0, sum: 0 };
  for (let rep = 0; rep < 4; rep++) {
    for (const k in t) (t as any)[k] = 0;
    for (let start = 0; start < data.n; start += C) {
      const n = Math.min(C, data.n - start);
      let a = performance.now();
      cp.layers.forEach((l, i) => { const sz = l.geom.rows*l.geom.cols; preprocessLayer(l, data.raws[i].subarray(start*sz, (start+n)*sz) as any, n, bufs[i], { max: cp.clipMax, zeroValue: cp.clipZeroValue }, scratch.map64); });
      let b = performance.now(); t.pre += b - a; a = b;
      // reconstruction stand-in: the model input
      cp.layers.forEach((l, i) => computeLossAndMaxima(bufs[i].preprocessed.subarray(0, n*l.geom.outRows*l.geom.outCols), bufs[i].modelInput, bufs[i].loss, n, bufs[i].max));
      b = performance.now(); t.loss += b - a; a = b;
      decide(cp, bufs.map((x) => x.loss), n, dec, scratch);
      b = performance.now(); t.decide += b - a; a = b;
      summarizeChunk(cp, { start, n, entries: bufs.map((x) => x.entries), maxLoss: bufs.map((x) => x.max), decisions: dec }, data, cond);
      b = performance.now(); t.sum += b - a; a = b;
    }
    console.log(Object.entries(t).map(([k, v]) => `${k} ${(v).toFixed(1)} ms`).join(', '));
  }
}
main();
