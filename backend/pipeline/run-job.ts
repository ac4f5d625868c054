import type { ModelPreset } from '@/shared/preset/model-preset';
import type { NumericArray } from '@/shared/pipeline/ndarray';
import type { ChunkStages } from '@/shared/pipeline/run-chunk';
import { loadDataInputs, type DataInputSpec } from './data-inputs';
import { compilePresetFiles, openSessions } from './preset-io';
import { inMemorySource, runPipeline } from './runner';
import { SlabCopies } from './slab-copies';

/** What a pipeline run needs; plain data so it can be sent to a worker thread. */
export interface RunParams {
  presetFile: string;
  preset: ModelPreset;
  data: DataInputSpec;
  chunkSize: number;
  /** This worker's share of the chunks when several workers run one preview. */
  part?: { index: number; count: number };
}

/**
 * Messages from a run (worker → back end). The stage maps are in SharedArrayBuffer slabs the back end
 * keeps as they are (see SlabCopies); the small arrays are transferred.
 */
export type RunMessage =
  | { type: 'meta'; n: number; runs: Float64Array; lumis: Float64Array; warnings: string[]; sources: string[] }
  | ({ type: 'chunk'; raws: NumericArray[] } & ChunkStages)
  | { type: 'done' };

export function transferList(msg: RunMessage): ArrayBuffer[] {
  if (msg.type === 'meta') return [msg.runs.buffer as ArrayBuffer, msg.lumis.buffer as ArrayBuffer];
  if (msg.type !== 'chunk') return [];
  const d = msg.decisions;
  const arrays = [
    ...msg.raws,
    ...msg.preprocessed,
    ...msg.reconstruction,
    ...msg.loss,
    ...msg.entries,
    ...msg.maxLoss,
    ...d.lossBinary,
    d.combined,
    d.final,
    d.flagsBeforeFilter,
    d.finalBins,
  ];
  // shared slabs are shared by posting them; only plain buffers can (and need to) be transferred
  return [...new Set(arrays.map((a) => a.buffer).filter((b): b is ArrayBuffer => b instanceof ArrayBuffer))];
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
  // The stage maps are copied into shared slabs: the back end keeps those, and this thread's own
  // per-chunk buffers are garbage here right away, so its allocator reuses them for the next chunk.
  const maps = new SlabCopies(true);
  const share = <T extends NumericArray>(a: T) => maps.copy(a);
  try {
    post({
      type: 'meta',
      n: data.n,
      runs: Float64Array.from(data.runs),
      lumis: Float64Array.from(data.lumis),
      warnings: data.warnings,
      sources: data.sources,
    });
    await runPipeline(
      cp,
      sessions,
      inMemorySource(cp, data),
      { oms: null, hlt: null },
      {
        chunkSize: p.chunkSize,
        part: p.part,
        signal,
        onChunk: (s) => {
          const d = s.decisions;
          post({
            type: 'chunk',
            start: s.start,
            n: s.n,
            raws: cp.layers.map((l, i) =>
              share(
                data.raws[i].subarray(s.start * l.geom.rows * l.geom.cols, (s.start + s.n) * l.geom.rows * l.geom.cols) as NumericArray,
              ),
            ),
            preprocessed: s.preprocessed.map(share),
            reconstruction: s.reconstruction.map(share),
            loss: s.loss.map(share),
            entries: s.entries,
            maxLoss: s.maxLoss,
            decisions: {
              lossBinary: d.lossBinary.map(share),
              combined: share(d.combined),
              final: share(d.final),
              flagsBeforeFilter: d.flagsBeforeFilter,
              finalBins: d.finalBins,
            },
          });
        },
      },
    );
  } finally {
    await Promise.all(sessions.map((s) => s.close()));
  }
  // only after the sessions are released: the receiver may end this thread on 'done'
  post({ type: 'done' });
}
