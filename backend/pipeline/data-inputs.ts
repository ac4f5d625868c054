import path from 'node:path';
import type { PresetLayer } from '@/shared/preset/model-preset';
import type { CompiledPipeline } from '@/shared/pipeline/model';
import type { NdArray, NumericArray } from '@/shared/pipeline/ndarray';
import { shapeText } from '@/shared/pipeline/ndarray';
import { lumiIdsProblem, rawCountsProblem } from '@/shared/pipeline/input-checks';
import { inputError } from './input-error';
import { NpyFormatError, NpyStackReader, readNpyFile, readNpzFile } from './npy';
import { lumiKey } from './oms';

/** What loading reads of a layer: a preset's layers, or a template's InputSignature (test inference). */
type DataLayer = Pick<PresetLayer, 'name' | 'monitoringElement' | 'shape'>;

/** Where the raw maps of the run come from. Paths are absolute or relative to `baseDir`. */
export interface DataInputSpec {
  /** Layer name → .npy, .npz, .parquet or .json file. */
  layers: Record<string, string>;
  /** For .npy/.npz inputs: run and LS numbers (.npy, length N). */
  runs?: string;
  lumis?: string;
  oms?: string;
  hlt?: string;
  baseDir?: string;
}

/** Raw maps of every layer, aligned by (run, LS) in the order of the first layer. */
export interface LoadedData {
  n: number;
  runs: Float64Array;
  lumis: Float64Array;
  /** Per preset layer: n × rows × cols. */
  raws: NumericArray[];
  sources: string[];
  warnings: string[];
}

interface LayerData {
  source: string;
  n: number;
  /** The maps in memory, or (streamed inputs) null and `reader`. */
  data: NumericArray | null;
  reader?: NpyStackReader;
  runs?: Float64Array;
  lumis?: Float64Array;
}

async function wrapNpy<T>(p: Promise<T> | (() => T)): Promise<T> {
  try {
    return await (typeof p === 'function' ? p() : p);
  } catch (err) {
    if (err instanceof NpyFormatError) throw inputError(err.message);
    throw err;
  }
}

/** Maps per block when a streamed input's values are checked (a few MB of buffer). */
const CHECK_BLOCK = 128;

function checkStack(arr: NdArray, layer: DataLayer, where: string): void {
  const [ny, nx] = layer.shape;
  if (arr.shape.length !== 3 || arr.shape[1] !== ny || arr.shape[2] !== nx) {
    throw inputError(`${where}: ${layer.name} maps have shape ${shapeText(arr.shape)}, expected (N, ${ny}, ${nx})`);
  }
}

/** Every layer's counts and ids, whatever the file type: the rules live in shared/pipeline/input-checks. */
async function checkLayerValues(l: LayerData, layer: DataLayer, valuesWhileReading: boolean): Promise<void> {
  const ids = l.runs && l.lumis ? { runs: l.runs, lumis: l.lumis } : undefined;
  const fail = (counts: string | null) => {
    if (counts) throw inputError(rawCountsMessage(l.source, layer, counts));
  };
  if (l.data) fail(rawCountsProblem(l.data, layer.shape[0], layer.shape[1], ids));
  else if (l.reader && !valuesWhileReading) {
    // a streamed input is read once here, block by block, so bad values stop the run before it starts
    const reader = l.reader;
    const bytes = new Uint8Array(reader.blockBytes(Math.min(CHECK_BLOCK, l.n)));
    for (let start = 0; start < l.n; start += CHECK_BLOCK) {
      const count = Math.min(CHECK_BLOCK, l.n - start);
      const maps = await wrapNpy(() => reader.read(start, count, bytes));
      fail(rawCountsProblem(maps, layer.shape[0], layer.shape[1], ids, start));
    }
  }
  if (ids) checkIds(l.source, ids.runs, ids.lumis);
}

function rawCountsMessage(source: string, layer: DataLayer, problem: string): string {
  return `${source}: ${layer.name} raw counts ${problem}`;
}

function checkIds(source: string, runs: ArrayLike<number>, lumis: ArrayLike<number>): void {
  const bad = lumiIdsProblem(runs, 'run number') ?? lumiIdsProblem(lumis, 'LS number');
  if (bad) throw inputError(`${source}: ${bad}`);
}

async function loadLayer(file: string, layer: DataLayer, stream: boolean): Promise<LayerData> {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.npy' && stream) {
    const reader = await wrapNpy(() => NpyStackReader.open(file));
    if (reader) {
      const [ny, nx] = layer.shape;
      const shape = reader.layout.shape;
      if (shape.length !== 3 || shape[1] !== ny || shape[2] !== nx) {
        reader.close();
        throw inputError(`${file}: ${layer.name} maps have shape ${shapeText(shape)}, expected (N, ${ny}, ${nx})`);
      }
      return { source: file, n: reader.n, data: null, reader };
    }
  }
  if (ext === '.npy') {
    const arr = await wrapNpy(readNpyFile(file));
    checkStack(arr, layer, file);
    return { source: file, n: arr.shape[0], data: arr.data };
  }
  if (ext === '.npz') {
    const all = await wrapNpy(readNpzFile(file));
    const keys = Object.keys(all);
    const key = keys.includes(layer.name)
      ? layer.name
      : keys.includes(`raw_${layer.name}`)
        ? `raw_${layer.name}`
        : keys.length === 1
          ? keys[0]
          : null;
    if (!key) throw inputError(`${file}: no array "${layer.name}" in the archive (has ${keys.join(', ') || 'none'})`);
    checkStack(all[key], layer, `${file}[${key}]`);
    const runs = all.run_number ?? all.runs;
    const lumis = all.ls_number ?? all.lumis ?? all.lumisection_number;
    return {
      source: `${file}[${key}]`,
      n: all[key].shape[0],
      data: all[key].data,
      ...(runs && lumis ? { runs: Float64Array.from(runs.data), lumis: Float64Array.from(lumis.data) } : {}),
    };
  }
  if (ext === '.parquet' || ext === '.json') {
    // the DIALS readers are loaded only for their files (hyparquet's decompressors take a while to load)
    const m =
      ext === '.parquet'
        ? await (await import('./dials-parquet')).loadDialsParquet(file, layer.monitoringElement)
        : await (await import('./dials-json')).loadDialsJson(file, layer.monitoringElement);
    if (m.me !== null && m.me !== layer.monitoringElement) {
      throw inputError(`${file}: holds monitoring element "${m.me}", but layer ${layer.name} is "${layer.monitoringElement}"`);
    }
    if (m.rows !== layer.shape[0] || m.cols !== layer.shape[1]) {
      throw inputError(
        `${file}: ${layer.name} maps are ${m.rows} × ${m.cols} (y_bin × x_bin), expected ${layer.shape[0]} × ${layer.shape[1]}`,
      );
    }
    return { source: file, n: m.n, data: m.maps, runs: m.runs, lumis: m.lumis };
  }
  throw inputError(
    `${file}: unsupported data file type "${ext || '(none)'}" for layer ${layer.name}; use .npy, .npz, .parquet or DIALS .json`,
  );
}

async function loadIds(file: string, what: string, n: number): Promise<Float64Array> {
  const arr = await wrapNpy(readNpyFile(file));
  if (arr.shape.length !== 1 || arr.shape[0] !== n)
    throw inputError(`${file}: ${what} has shape ${shapeText(arr.shape)}, expected (${n},) — one per lumisection`);
  const values = Float64Array.from(arr.data);
  const bad = lumiIdsProblem(values, what === 'run numbers' ? 'run number' : 'LS number');
  if (bad) throw inputError(`${file}: ${bad}`);
  return values;
}

/** Every file a data spec names (absolute), for the check that no output replaces an input. */
export function dataInputFiles(spec: DataInputSpec): string[] {
  const base = spec.baseDir ?? process.cwd();
  return [...Object.values(spec.layers), spec.runs, spec.lumis, spec.oms, spec.hlt]
    .filter((p): p is string => Boolean(p))
    .map((p) => path.resolve(base, p));
}

/** Load and align the raw maps of every preset layer. */
export async function loadDataInputs(preset: { layers: readonly DataLayer[] }, spec: DataInputSpec): Promise<LoadedData> {
  const opened = await openLayers(preset, spec, false);
  return { ...opened, raws: opened.layers.map((l) => l.data!) };
}

/** Inputs opened for a run: .npy stacks are read chunk by chunk (see streamedSource), the others are in memory. */
export interface OpenedData extends Omit<LoadedData, 'raws'> {
  /** `checkValues`: a streamed stack whose values are checked as its chunks are read (valuesWhileReading). */
  layers: Array<{ data: NumericArray | null; reader?: NpyStackReader; checkValues?: { source: string; layer: DataLayer } }>;
  close(): void;
}

/**
 * Like loadDataInputs, but C-ordered .npy stacks stay on disk and are read a chunk at a time when
 * the run needs them (memory stays at a few chunks however many LS the files hold). Every value is
 * still checked before this returns (one streamed pass), so bad input stops the run before it starts.
 * With `valuesWhileReading` the values of streamed stacks are checked instead as streamedSource reads
 * each chunk (same message; the files are read once, not twice): for callers that keep every result
 * until the run has ended and write nothing before (the CLI's preview), not for runs whose chunks are
 * shown as they come.
 */
export async function openDataInputs(
  preset: { layers: readonly DataLayer[] },
  spec: DataInputSpec,
  opts: { valuesWhileReading?: boolean } = {},
): Promise<OpenedData> {
  return openLayers(preset, spec, true, Boolean(opts.valuesWhileReading));
}

/** The maps of opened inputs by chunk: streamed stacks are read into one buffer per slot (the run's slots take turns). */
export function streamedSource(cp: Pick<CompiledPipeline, 'layers'>, data: OpenedData): MapSourceLike {
  const buffers: Array<Array<{ bytes: Uint8Array; into?: NumericArray }>> = [];
  return {
    n: data.n,
    runs: data.runs,
    lumis: data.lumis,
    read(start, n, slot) {
      return cp.layers.map((l, i) => {
        const size = l.geom.rows * l.geom.cols;
        const layer = data.layers[i];
        if (layer.data) return layer.data.subarray(start * size, (start + n) * size) as NumericArray;
        const reader = layer.reader!;
        const slotBuffers = (buffers[slot] ??= []);
        let b = slotBuffers[i];
        if (!b || b.bytes.length < reader.blockBytes(n)) b = slotBuffers[i] = { bytes: new Uint8Array(reader.blockBytes(n)) };
        try {
          const maps = reader.read(start, n, b.bytes, b.into);
          // a converted block's array is kept for the next block of this slot
          if (maps.buffer !== b.bytes.buffer) b.into = maps;
          const check = layer.checkValues;
          if (check) {
            const problem = rawCountsProblem(maps, check.layer.shape[0], check.layer.shape[1], undefined, start);
            if (problem) throw inputError(rawCountsMessage(check.source, check.layer, problem));
          }
          return maps;
        } catch (err) {
          if (err instanceof NpyFormatError) throw inputError(err.message);
          throw err;
        }
      });
    },
  };
}

/** What runner.ts's MapSource is (declared here too, so this module does not import the runner). */
interface MapSourceLike {
  n: number;
  runs: ArrayLike<number>;
  lumis: ArrayLike<number>;
  read(start: number, n: number, slot: number): NumericArray[];
}

async function openLayers(
  preset: { layers: readonly DataLayer[] },
  spec: DataInputSpec,
  stream: boolean,
  valuesWhileReading = false,
): Promise<OpenedData> {
  const loaded: LayerData[] = [];
  const close = () => loaded.forEach((l) => l.reader?.close());
  try {
    return await assemble(preset, spec, stream, valuesWhileReading, loaded, close);
  } catch (err) {
    close();
    throw err;
  }
}

async function assemble(
  preset: { layers: readonly DataLayer[] },
  spec: DataInputSpec,
  stream: boolean,
  valuesWhileReading: boolean,
  loaded: LayerData[],
  close: () => void,
): Promise<OpenedData> {
  const base = spec.baseDir ?? process.cwd();
  const abs = (p: string) => path.resolve(base, p);
  const unknown = Object.keys(spec.layers).filter((k) => !preset.layers.some((l) => l.name === k));
  if (unknown.length)
    throw inputError(
      `data given for ${unknown.join(', ')}, which the preset does not have (layers: ${preset.layers.map((l) => l.name).join(', ')})`,
    );
  const missing = preset.layers.filter((l) => !spec.layers[l.name]);
  if (missing.length)
    throw inputError(`no data for layer(s) ${missing.map((l) => l.name).join(', ')}; give one file per layer (NAME=FILE)`);
  for (const layer of preset.layers) {
    const l = await loadLayer(abs(spec.layers[layer.name]), layer, stream);
    loaded.push(l);
    await checkLayerValues(l, layer, valuesWhileReading);
  }
  const warnings: string[] = [];
  const first = loaded[0];
  let runs = first.runs;
  let lumis = first.lumis;
  if (spec.runs || spec.lumis) {
    if (!spec.runs || !spec.lumis) throw inputError('give both --runs and --lumis (.npy files with one run / LS number per map)');
    runs = await loadIds(abs(spec.runs), 'run numbers', first.n);
    lumis = await loadIds(abs(spec.lumis), 'LS numbers', first.n);
  }
  if (!runs || !lumis) {
    for (const l of loaded) {
      if (l.n !== first.n)
        throw inputError(`${l.source} has ${l.n} maps but ${first.source} has ${first.n}; every layer needs the same lumisections`);
    }
    warnings.push('no run/LS numbers given (use --runs/--lumis with .npy data); lumisections are numbered 0…N−1 in run 0');
    runs = new Float64Array(first.n);
    lumis = Float64Array.from({ length: first.n }, (_, i) => i);
  }
  const layers: OpenedData['layers'] = [];
  loaded.forEach((l, i) => {
    const layer = preset.layers[i];
    const size = layer.shape[0] * layer.shape[1];
    if (!l.runs || !l.lumis || l === first) {
      if (l.n !== first.n)
        throw inputError(`${l.source} has ${l.n} maps but ${first.source} has ${first.n}; every layer needs the same lumisections`);
      layers.push({
        data: l.data,
        reader: l.reader,
        ...(l.reader && valuesWhileReading ? { checkValues: { source: l.source, layer } } : {}),
      });
      return;
    }
    // only in-memory inputs carry their own (run, LS)
    const data = l.data!;
    // Inputs that carry their own (run, LS) are reordered to the first layer's order.
    const pos = new Map<string, number>();
    for (let k = 0; k < l.n; k++) pos.set(lumiKey(l.runs[k], l.lumis[k]), k);
    const out = new Float64Array(first.n * size);
    const absent: string[] = [];
    for (let k = 0; k < first.n; k++) {
      const p = pos.get(lumiKey(runs![k], lumis![k]));
      if (p === undefined) absent.push(`${runs![k]}:${lumis![k]}`);
      else out.set(data.subarray(p * size, (p + 1) * size), k * size);
    }
    if (absent.length)
      throw inputError(
        `${l.source}: no ${layer.name} map for ${absent.length} lumisection(s) that ${first.source} has (run:LS ${absent.slice(0, 8).join(', ')}${absent.length > 8 ? ', …' : ''})`,
      );
    if (l.n !== first.n) warnings.push(`${l.source}: ${l.n - first.n} lumisection(s) not in ${first.source} are ignored`);
    layers.push({ data: out });
  });
  return { n: first.n, runs, lumis, layers, sources: loaded.map((l) => l.source), warnings, close };
}
