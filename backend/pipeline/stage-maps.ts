import type { LumisectionStages } from '@/shared/api/contract/pipeline';
import { encodeArray } from '@/shared/pipeline/encoded-array';
import type { CompiledPipeline } from '@/shared/pipeline/model';
import type { NumericArray } from '@/shared/pipeline/ndarray';
import type { ChunkStages, LumisectionSummary } from '@/shared/pipeline/run-chunk';
import { flagMatches } from '@/shared/pipeline/stages';

function asEncodable(a: NumericArray): Uint8Array | Int32Array | Float32Array | Float64Array {
  return a instanceof Uint8Array || a instanceof Int32Array || a instanceof Float32Array || a instanceof Float64Array
    ? a
    : Float64Array.from(a);
}

/** Every stage map of one LS (stages of a 1-LS chunk) as the API sends them. */
export function stageMapsOutput(
  cp: CompiledPipeline,
  index: number,
  raws: NumericArray[],
  stages: ChunkStages,
  result: LumisectionSummary,
  injected: boolean,
): LumisectionStages {
  const t = [cp.targetRows, cp.targetCols];
  return {
    index,
    run: result.run,
    ls: result.ls,
    result,
    layers: cp.layers.map((l, i) => {
      const shape = [l.geom.outRows, l.geom.outCols];
      return {
        name: l.name,
        raw: encodeArray(asEncodable(raws[i]), [l.geom.rows, l.geom.cols]),
        preprocessed: encodeArray(stages.preprocessed[i], shape),
        reconstruction: encodeArray(stages.reconstruction[i], shape),
        loss: encodeArray(stages.loss[i], shape),
        lossBinary: encodeArray(stages.decisions.lossBinary[i], shape),
      };
    }),
    combined: encodeArray(stages.decisions.combined, t),
    lossMask: encodeArray(cp.maskCombined, t),
    final: encodeArray(stages.decisions.final, t),
    flagMatches: flagMatches(cp, stages.decisions.final, 0),
    injected,
  };
}
