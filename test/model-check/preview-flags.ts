import path from 'node:path';
import { loadDataInputs } from '@/backend/pipeline/data-inputs';
import { compilePresetFiles, loadPresetFile, openSessions } from '@/backend/pipeline/preset-io';
import { inMemorySource, loadConditions, runPipeline } from '@/backend/pipeline/runner';

/** The demo sample's data files (the pixel case is made from a demo project). */
export const PREVIEW_DATA = {
  files: { BPix2: 'data/raw_BPix2.npy', BPix3: 'data/raw_BPix3.npy', BPix4: 'data/raw_BPix4.npy' },
  runs: 'data/run_number.npy',
  lumis: 'data/ls_number.npy',
  oms: 'data/omsdata_Run2025X-demo.json',
  hlt: 'data/hltrate_Run2025X-demo.json',
};

/** The in-app preview (TypeScript pipeline on onnxruntime-node) on the project's sample: flag per lumisection. */
export async function previewFlags(dir: string): Promise<boolean[]> {
  const loaded = await loadPresetFile(path.join(dir, 'preset.json'));
  const cp = await compilePresetFiles(loaded);
  const sessions = await openSessions(loaded, cp);
  const d = PREVIEW_DATA;
  const spec = { layers: d.files, runs: d.runs, lumis: d.lumis, oms: d.oms, hlt: d.hlt, baseDir: dir };
  const data = await loadDataInputs(loaded.preset, spec);
  const cond = await loadConditions(loaded.preset, spec, data, []);
  const flags: boolean[] = [];
  try {
    await runPipeline(cp, sessions, inMemorySource(cp, data), cond, {
      onChunk: (_s, summaries) => void summaries.forEach((s) => (flags[s.index] = s.flagged)),
    });
  } finally {
    await Promise.all(sessions.map((s) => s.close()));
  }
  return flags;
}
