import type { ModelPreset } from '@/shared/preset/model-preset';
import type { NumericArray } from '@/shared/pipeline/ndarray';
import { openDataInputs, streamedSource, type DataInputSpec } from './data-inputs';
import { compilePresetFiles, openSessions } from './preset-io';
import { runPipeline } from './runner';
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

/** Every stage map of a chunk (LS-major per layer), as the back end keeps them for inspection and re-flagging. */
export interface ChunkMaps {
  raws: NumericArray[];
  preprocessed: Float32Array[];
  reconstruction: Float32Array[];
  loss: Float32Array[];
  lossBinary: Uint8Array[];
  combined: Uint8Array;
  final: Uint8Array;
}

/**
 * Messages from a run (worker → back end). The stage maps are in SharedArrayBuffer slabs the back end
 * keeps as they are (see SlabCopies), or null once the back end said it keeps no more maps of this
 * run; the small per-LS arrays are transferred.
 */
export type RunMessage =
  | { type: 'meta'; n: number; runs: Float64Array; lumis: Float64Array; warnings: string[]; sources: string[] }
  | {
      type: 'chunk';
      start: number;
      n: number;
      entries: Float64Array[];
      maxLoss: Float32Array[];
      flagsBeforeFilter: Uint8Array;
      finalBins: Int32Array;
      maps: ChunkMaps | null;
    }
  | { type: 'done' };

/** What the back end tells a run (back end → worker). */
export interface RunControl {
  /** Set to false when the back end keeps no more stage maps of this run: chunks are then posted without them. */
  sendMaps: boolean;
}

export function transferList(msg: RunMessage): ArrayBuffer[] {
  if (msg.type === 'meta') return [msg.runs.buffer as ArrayBuffer, msg.lumis.buffer as ArrayBuffer];
  if (msg.type !== 'chunk') return [];
  // the maps are in shared slabs (shared by posting them); the small arrays are the worker's own copies
  const arrays = [...msg.entries, ...msg.maxLoss, msg.flagsBeforeFilter, msg.finalBins];
  return [...new Set(arrays.map((a) => a.buffer).filter((b): b is ArrayBuffer => b instanceof ArrayBuffer))];
}

/**
 * Load model and data, then run the pipeline chunk by chunk, posting every chunk's stages. Runs in
 * the pipeline worker thread (or in-process when no worker bundle exists).
 */
export async function executeRun(
  p: RunParams,
  post: (msg: RunMessage) => void,
  signal?: AbortSignal,
  control: RunControl = { sendMaps: true },
): Promise<void> {
  const loaded = { file: p.presetFile, dir: p.presetFile.replace(/[\\/][^\\/]*$/, ''), preset: p.preset };
  const cp = await compilePresetFiles(loaded);
  // .npy stacks are read chunk by chunk (checked in one streamed pass first): this thread's memory
  // stays at a few chunks, so little is left in its allocator's arena when the run ends
  const data = await openDataInputs(p.preset, p.data);
  let sessions: Awaited<ReturnType<typeof openSessions>> = [];
  try {
    sessions = await openSessions(loaded, cp);
    // The stage maps are copied into shared slabs: the back end keeps those; this thread's chunk
    // buffers are reused for the next chunk (no new memory per chunk).
    const maps = new SlabCopies(true);
    const share = <T extends NumericArray>(a: T) => maps.copy(a);
    post({
      type: 'meta',
      n: data.n,
      runs: Float64Array.from(data.runs),
      lumis: Float64Array.from(data.lumis),
      warnings: data.warnings,
      sources: data.sources,
    });
    const source = streamedSource(cp, data);
    // a chunk's raw maps stay valid in their read slot until its stages have been posted
    const raws = new Map<number, NumericArray[]>();
    await runPipeline(
      cp,
      sessions,
      {
        ...source,
        read: (start, n, slot) => {
          const r = source.read(start, n, slot);
          raws.set(start, r);
          return r;
        },
      },
      { oms: null, hlt: null },
      {
        chunkSize: p.chunkSize,
        part: p.part,
        signal,
        reuseBuffers: true,
        onChunk: (s) => {
          const d = s.decisions;
          const chunkRaws = raws.get(s.start)!;
          raws.delete(s.start);
          post({
            type: 'chunk',
            start: s.start,
            n: s.n,
            entries: s.entries.map((a) => a.slice()),
            maxLoss: s.maxLoss.map((a) => a.slice()),
            flagsBeforeFilter: d.flagsBeforeFilter.slice(),
            finalBins: d.finalBins.slice(),
            maps: control.sendMaps
              ? {
                  raws: chunkRaws.map(share),
                  preprocessed: s.preprocessed.map(share),
                  reconstruction: s.reconstruction.map(share),
                  loss: s.loss.map(share),
                  lossBinary: d.lossBinary.map(share),
                  combined: share(d.combined),
                  final: share(d.final),
                }
              : null,
          });
        },
      },
    );
  } finally {
    data.close();
    await Promise.all(sessions.map((s) => s.close()));
  }
  // only after the sessions are released: the receiver may end this thread on 'done'
  post({ type: 'done' });
}
