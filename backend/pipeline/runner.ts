import path from 'node:path';
import type { ModelPreset } from '@/shared/preset/model-preset';
import type { LumiConditions } from '@/shared/pipeline/filter';
import type { CompiledPipeline } from '@/shared/pipeline/model';
import type { NumericArray } from '@/shared/pipeline/ndarray';
import { runChunk, summarizeChunk, type ChunkStages, type LumisectionSummary } from '@/shared/pipeline/run-chunk';
import { StageScratch } from '@/shared/pipeline/stages';
import type { DataInputSpec, LoadedData } from './data-inputs';
import { alignHlt, alignOms, loadHltRates, loadOmsColumnar } from './oms';
import type { NmfSession } from './onnx-session';

export const DEFAULT_CHUNK_SIZE = 256;

/** OMS and HLT conditions for the loaded lumisections (null parts when no file was given). */
export async function loadConditions(
  preset: ModelPreset,
  spec: Pick<DataInputSpec, 'oms' | 'hlt' | 'baseDir'>,
  data: { runs: ArrayLike<number>; lumis: ArrayLike<number> },
  warnings: string[],
): Promise<LumiConditions> {
  const base = spec.baseDir ?? process.cwd();
  const f = preset.filters;
  let oms: LumiConditions['oms'] = null;
  let hlt: LumiConditions['hlt'] = null;
  if (spec.oms) {
    const table = await loadOmsColumnar(path.resolve(base, spec.oms));
    oms = alignOms(table, data.runs, data.lumis, [...f.omsBooleans, ...(f.minPileup !== null ? ['pileup'] : [])], warnings);
  } else if (f.omsBooleans.length || f.minPileup !== null) {
    warnings.push('no OMS metadata given: the OMS flag and pileup cuts are skipped');
  }
  if (spec.hlt && f.hlt) {
    const table = await loadHltRates(path.resolve(base, spec.hlt), f.hlt.triggerGlob, warnings);
    hlt = alignHlt(table, data.runs, data.lumis, warnings);
  } else if (f.hlt) {
    warnings.push(`no HLT rates given: the ${f.hlt.triggerGlob} rate cut is skipped`);
  }
  return { oms, hlt };
}

export interface RunOptions {
  chunkSize?: number;
  signal?: AbortSignal;
  /** Called once per chunk, in order, with every stage and the per-LS summaries. */
  onChunk(stages: ChunkStages, summaries: LumisectionSummary[]): void | Promise<void>;
  /** Process only chunks k with k % count === index (parallel workers share a run). */
  part?: { index: number; count: number };
}

/** Slice LS [start, start+n) of a layer's stack without copying. */
function sliceMaps(raw: NumericArray, size: number, start: number, n: number): NumericArray {
  return raw.subarray(start * size, (start + n) * size) as NumericArray;
}

/** Raw maps by chunk: in memory, or produced on demand (large inputs, benchmarks). */
export interface MapSource {
  n: number;
  runs: ArrayLike<number>;
  lumis: ArrayLike<number>;
  /** Per layer, the maps of LS [start, start + n). */
  read(start: number, n: number): NumericArray[] | Promise<NumericArray[]>;
}

export function inMemorySource(cp: CompiledPipeline, data: LoadedData): MapSource {
  return {
    n: data.n,
    runs: data.runs,
    lumis: data.lumis,
    read: (start, n) => cp.layers.map((l, i) => sliceMaps(data.raws[i], l.geom.rows * l.geom.cols, start, n)),
  };
}

/** The whole pipeline over the data, chunk by chunk (bounded memory). */
export async function runPipeline(
  cp: CompiledPipeline,
  sessions: NmfSession[],
  source: MapSource,
  cond: LumiConditions,
  opts: RunOptions,
): Promise<void> {
  const chunk = Math.max(1, opts.chunkSize ?? DEFAULT_CHUNK_SIZE);
  const scratch = new StageScratch(cp);
  const reconstruct = (i: number, input: Float32Array, n: number) => sessions[i].run(input, n);
  const part = opts.part ?? { index: 0, count: 1 };
  for (let start = 0, k = 0; start < source.n; start += chunk, k++) {
    if (k % part.count !== part.index) continue;
    opts.signal?.throwIfAborted();
    const n = Math.min(chunk, source.n - start);
    const stages = await runChunk(cp, await source.read(start, n), start, n, reconstruct, scratch);
    await opts.onChunk(stages, summarizeChunk(cp, stages, source, cond));
  }
}
