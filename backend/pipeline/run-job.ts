import type { CompiledPipeline } from '@/shared/pipeline/model';
import type { ModelPreset } from '@/shared/preset/model-preset';
import { openDataInputs, streamedSource, type DataInputSpec, type OpenedData } from './data-inputs';
import { InferenceThreads } from './inference-thread';
import { compilePresetFiles } from './preset-io';
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

/**
 * What the back end keeps of a chunk's stage maps: the loss maps (LS-major per layer, ~78 kB per LS
 * for the three barrel layers). Re-flagging decides again from them without inference; every other
 * stage map of an LS is recomputed from the run's input when it is inspected, and checked against
 * them (ChunkRecompute). Keeping all of them (~300 kB per LS) cost more than the whole
 * pipeline: every kept byte is fresh memory whose pages fault in when first written.
 */
export interface ChunkMaps {
  loss: Float32Array[];
}

/**
 * Messages from a run (worker → back end). The loss maps are in SharedArrayBuffer slabs the back end
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

/** The most memory made for the loss maps before the run starts; the rest is made as the chunks come (~1700 LS of the three barrel layers). */
const PREFAULT_LIMIT = 128 * 2 ** 20;

function lossBytesPerLs(cp: CompiledPipeline): number {
  return cp.layers.reduce((a, l) => a + l.geom.outRows * l.geom.outCols * Float32Array.BYTES_PER_ELEMENT, 0);
}

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
  // As the CLI's preview: the sessions are created in the inference thread while this thread compiles
  // the preset and opens (and checks) the data, and each chunk is inferred there while this thread
  // prepares later ones and finishes earlier ones.
  const inference = await InferenceThreads.start(loaded);
  let data: OpenedData | null = null;
  try {
    const cp = await compilePresetFiles(loaded);
    // .npy stacks are read chunk by chunk (checked in one streamed pass first): this thread's memory
    // stays at a few chunks, so little is left in its allocator's arena when the run ends
    data = await openDataInputs(p.preset, p.data);
    // The loss maps are copied into shared slabs: the back end keeps those; this thread's chunk
    // buffers are reused for the next chunk (no new memory per chunk).
    const maps = new SlabCopies(true);
    post({
      type: 'meta',
      n: data.n,
      runs: Float64Array.from(data.runs),
      lumis: Float64Array.from(data.lumis),
      warnings: data.warnings,
      sources: data.sources,
    });
    // the loss maps' memory, made while the sessions are being created (see SlabCopies.prefault)
    if (control.sendMaps && inference.ready) await maps.prefault(Math.min(data.n * lossBytesPerLs(cp), PREFAULT_LIMIT), inference.ready);
    await runPipeline(
      cp,
      inference,
      streamedSource(cp, data),
      { oms: null, hlt: null },
      {
        chunkSize: p.chunkSize,
        part: p.part,
        signal,
        reuseBuffers: true,
        onChunk: (s) => {
          const d = s.decisions;
          post({
            type: 'chunk',
            start: s.start,
            n: s.n,
            entries: s.entries.map((a) => a.slice()),
            maxLoss: s.maxLoss.map((a) => a.slice()),
            flagsBeforeFilter: d.flagsBeforeFilter.slice(),
            finalBins: d.finalBins.slice(),
            maps: control.sendMaps ? { loss: s.loss.map((a) => maps.copy(a)) } : null,
          });
        },
      },
    );
  } finally {
    data?.close();
    await inference.close();
  }
  // only after the sessions are released: the receiver may end this thread on 'done'
  post({ type: 'done' });
}
