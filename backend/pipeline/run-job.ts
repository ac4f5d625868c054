import type { ModelPreset } from '../../shared/preset/model-preset';
import type { NumericArray } from '../../shared/pipeline/ndarray';
import type { ChunkStages } from '../../shared/pipeline/run-chunk';
import { loadDataInputs, type DataInputSpec } from './data-inputs';
import { compilePresetFiles, openSessions } from './preset-io';
import { inMemorySource, runPipeline } from './runner';

/** What a pipeline run needs; plain data so it can be sent to a worker thread. */
export interface RunParams {
  presetFile: string;
  preset: ModelPreset;
  data: DataInputSpec;
  chunkSize: number;
  /** This worker's share of the chunks when several workers run one preview. */
  part?: { index: number; count: number };
}

/** Messages from a run (worker → back end). Typed arrays are transferred, not copied. */
export type RunMessage =
  | { type: 'meta'; n: number; runs: Float64Array; lumis: Float64Array; warnings: string[]; sources: string[] }
  | ({ type: 'chunk'; raws: NumericArray[] } & ChunkStages)
  | { type: 'done' };

export function transferList(msg: RunMessage): ArrayBuffer[] {
  if (msg.type === 'meta') return [msg.runs.buffer as ArrayBuffer, msg.lumis.buffer as ArrayBuffer];
  if (msg.type !== 'chunk') return [];
  const d = msg.decisions;
  const arrays = [...msg.raws, ...msg.preprocessed, ...msg.reconstruction, ...msg.loss, ...msg.entries, ...msg.maxLoss, ...d.lossBinary, d.combined, d.final, d.flagsBeforeFilter, d.finalBins];
  return [...new Set(arrays.map((a) => a.buffer as ArrayBuffer))];
}

/**
 * Load model and data, then run the pipeline chunk by chunk, posting every chunk's stages. Runs in
 * the pipeline worker thread (or in-process when no worker bundle exists).
 */
export async function executeRun(p: RunParams, post: (msg: RunMessage) => void, signal?: AbortSignal): Promise<void> {
  const loaded = { file: p.presetFile, dir: p.presetFile.replace(/[\\/][^\\/]*$/, ''), preset: p.preset };
  const cp = await compilePresetFiles(loaded);
  const data = await loadDataInputs(p.preset, p.data);
  const sessions = await openSessions(loaded, cp);
  try {
    post({ type: 'meta', n: data.n, runs: Float64Array.from(data.runs), lumis: Float64Array.from(data.lumis), warnings: data.warnings, sources: data.sources });
    await runPipeline(cp, sessions, inMemorySource(cp, data), { oms: null, hlt: null }, {
      chunkSize: p.chunkSize,
      part: p.part,
      signal,
      onChunk: (s) =>
        post({
          type: 'chunk',
          start: s.start,
          n: s.n,
          // views into the whole input: copy so the transfer does not detach the input
          raws: cp.layers.map((l, i) => (data.raws[i].slice(s.start * l.geom.rows * l.geom.cols, (s.start + s.n) * l.geom.rows * l.geom.cols) as NumericArray)),
          preprocessed: s.preprocessed,
          reconstruction: s.reconstruction,
          loss: s.loss,
          entries: s.entries,
          maxLoss: s.maxLoss,
          decisions: s.decisions,
        }),
    });
  } finally {
    await Promise.all(sessions.map((s) => s.close()));
  }
  // only after the sessions are released: the receiver may end this thread on 'done'
  post({ type: 'done' });
}
