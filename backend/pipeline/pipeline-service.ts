import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type {
  InjectionRegion,
  LayerInfo,
  LumisectionStages,
  PipelineChunk,
  PipelineDataInput,
  RunSummary,
  SampleDataSource,
} from '@/shared/api/contract/pipeline';
import { ApiError, deserializeError, type SerializedError } from '@/shared/api/errors';
import type { LumiConditions } from '@/shared/pipeline/filter';
import { firstAffectedStage, recompileDecisions, type CompiledPipeline, type PipelineStage } from '@/shared/pipeline/model';
import type { NumericArray } from '@/shared/pipeline/ndarray';
import { ChunkWorkspace, finishChunk, summarize, summarizeChunk, type LumisectionSummary } from '@/shared/pipeline/run-chunk';
import { allocDecisionBuffers, decide, StageScratch } from '@/shared/pipeline/stages';
import { PRESET_FILE_NAME, type ModelPreset } from '@/shared/preset/model-preset';
import { pixelBarrelPreset } from '@/shared/preset/pixel-barrel';
import type { JobHandle, JobManager } from '../jobs/job-manager';
import { workerUrl } from '../workers/worker-url';
import type { DataInputSpec } from './data-inputs';
import { inputError } from './input-error';
import { initOnnxRuntimeHere } from './onnx-runtime';
import { compilePresetFiles, loadPresetFile, presetModelFiles, savePresetFile, type LoadedPreset } from './preset-io';
import type { InferenceModel } from './inference-thread';
import { DEFAULT_RETENTION, RunRetention, type DropReason, type RetentionPolicy } from './run-retention';
import { SlabCopies } from './slab-copies';
import { ChunkRecompute, type RecomputedChunk } from './chunk-recompute';
import { checkProjectTemplate } from './template-inputs';
import { executeRun, type RunControl, type RunMessage, type RunParams } from './run-job';
import { DEFAULT_CHUNK_SIZE, loadConditions } from './runner';
import { projectSampleData } from './project-data';
import { findProjectPresets } from './project-presets';
import { stageMapsOutput } from './stage-maps';
import type { LumisectionStageMaps } from '@/shared/plot/panels';
import type { RunAverageStages } from '@/shared/api/contract/inspect';
import { encodeArray } from '@/shared/pipeline/encoded-array';

export { summarize };

/** How long after a run the next spare pipeline worker is started. */
const SPARE_AFTER_RUN_MS = 3000;
/**
 * How long cancelled workers get to finish their chunk and release onnxruntime before being
 * terminated; a spare worker no run took gets as long to release the sessions it opened ahead.
 */
const STOP_GRACE_MS = 30_000;

interface StoredChunk {
  start: number;
  n: number;
  /**
   * The chunk's loss maps (per layer, LS-major); the other stage maps are recomputed from the input
   * when asked for (ChunkRecompute). null when the maps budget was exhausted: only the results of
   * these LS are kept.
   */
  loss: Float32Array[] | null;
  entries: Float64Array[];
  maxLoss: Float32Array[];
  flagsBeforeFilter: Uint8Array;
  finalBins: Int32Array;
}

interface Session {
  /** The run's job id too. */
  id: string;
  loaded: LoadedPreset;
  preset: ModelPreset;
  cp: CompiledPipeline;
  spec: DataInputSpec;
  runs: Float64Array;
  lumis: Float64Array;
  cond: LumiConditions;
  chunks: StoredChunk[];
  /** By LS position; holes until the chunk is processed (parallel workers finish chunks out of order). */
  results: Array<LumisectionSummary | undefined>;
  completed: number;
  warnings: string[];
  sources: string[];
  total: number;
  done: boolean;
  /** Bytes of stage maps kept (the retention policy's account). */
  mapsBytes: number;
  /** Why LS have no stage maps and what the user can do (set when the first LS goes without); no more maps are kept then. */
  mapsMissing: { why: string; todo: string } | null;
  /**
   * The run's typed arrays live in large slabs (see SlabCopies for why): the stage maps in the shared
   * slabs the worker filled, the per-LS entries, losses, flags and the run / LS numbers in these.
   */
  resultSlabs: SlabCopies;
  /** Recomputes the stage maps of inspected LS from the input (opened when first needed). */
  recompute: ChunkRecompute;
}

export interface StartRunInput {
  projectDir?: string;
  presetFile?: string;
  data?: PipelineDataInput;
  dataSource?: SampleDataSource;
  chunkSize?: number;
}

export interface StartedRun {
  jobId: string;
  sessionId: string;
  presetFile: string;
  preset: ModelPreset;
  layers: LayerInfo[];
  target: { rows: number; cols: number };
  sources: string[];
  warnings: string[];
  total: number;
}

function layerInfo(cp: CompiledPipeline): LayerInfo[] {
  return cp.layers.map((l, i) => ({
    name: l.name,
    rows: l.geom.rows,
    cols: l.geom.cols,
    croppedRows: l.geom.outRows,
    croppedCols: l.geom.outCols,
    cross: { rows: cp.preset.layers[i].cross.rows, columns: cp.preset.layers[i].cross.columns },
  }));
}

/**
 * Why a project without preset.json cannot run, and the way on. When the model files the "pixel
 * barrel" preset names are all there, only the preset is missing (it can be written from that
 * preset); otherwise writing it would only move the error to the first missing file, so the user
 * is told which files are missing and where they come from (a joblib import writes them and a preset).
 */
async function missingPresetError(projectDir: string, presetFile: string): Promise<ApiError> {
  const root = path.resolve(projectDir);
  const layers = pixelBarrelPreset().layers;
  const files = layers.flatMap((l) => [l.onnx, l.localNorm, l.lossMask]);
  const missing: string[] = [];
  for (const f of files) {
    const there = await fs.access(path.join(root, f)).then(
      () => true,
      () => false,
    );
    if (!there) missing.push(f);
  }
  const imported = await findProjectPresets(root);
  if (!missing.length || imported.length)
    return new ApiError(
      'NOT_FOUND',
      `The project has no model preset: ${presetFile} does not exist. ${
        imported.length ? 'Choose one of the imported presets' : 'Create one from the "pixel barrel" preset'
      } or choose a preset file.`,
      { missing: 'preset', canCreateDefault: !missing.length },
      'NotFoundError',
    );
  // All missing (the usual case: a folder with only template.yaml): the first layer's files and "the same for" the others.
  const which =
    missing.length === files.length
      ? `${[layers[0].onnx, layers[0].localNorm, layers[0].lossMask].join(', ')} and the same for ${layers
          .slice(1)
          .map((l) => l.name)
          .join(' and ')} are missing`
      : `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing`;
  return new ApiError(
    'NOT_FOUND',
    `This project has no model files yet: ${which}, and there is no ` +
      `${PRESET_FILE_NAME} naming others. Import the trained PixelNMF (.joblib) in the Model step: it writes the model files and ` +
      `a preset for the preview. Or copy the model files into the project's model folder and run the preview again.`,
    { missing: 'model-files', files: missing },
    'NotFoundError',
  );
}

/** Where a run's preset is saved: `file` relative to the run's preset folder, or the run's preset file itself. */
function presetTarget(s: Session, file?: string): string {
  return path.resolve(s.loaded.dir, file ?? s.loaded.file);
}

function bytesOf(arrays: NumericArray[]): number {
  return arrays.reduce((s, a) => s + a.byteLength, 0);
}

/**
 * Runs the NMF preview as jobs (in the pipeline worker thread) and keeps each run's per-LS maps so
 * the UI can inspect any LS, re-decide after a preset change without inference, and try what-ifs.
 */
export class PipelineService {
  private readonly retention: RunRetention<Session>;

  constructor(
    private readonly jobs: JobManager,
    private readonly opts: {
      retention?: Partial<RetentionPolicy>;
      now?: () => number;
      useWorker?: boolean;
      workers?: number;
    } = {},
  ) {
    this.retention = new RunRetention<Session>(
      { ...DEFAULT_RETENTION, ...opts.retention },
      { dropMaps: (s) => this.dropMaps(s), drop: (s, reason) => this.freeSession(s, reason) },
      opts.now,
    );
  }

  /** A pipeline worker started ahead of the next run, with its modules and its inference thread's onnxruntime loaded. */
  private spare: Worker | null = null;
  /** prestart() was called: a spare worker is started again after each run. */
  private prestarting = false;
  private disposed = false;

  /**
   * Start a pipeline worker for the next run now (the app's back end does so when it starts, and again
   * after each run, with that run's models). Loading the worker's modules and onnxruntime in its
   * inference thread takes ~0.5 s of one core, creating the three barrel layers' sessions another
   * ~0.6 s: with a spare worker the run's sessions are created as soon as it is asked for, or are
   * ready when the run has the models it was given (same files, unchanged). Idle, it uses
   * no CPU; it does not keep the process alive.
   */
  prestart(models?: InferenceModel[]): void {
    this.prestarting = true;
    if (this.spare || this.disposed || this.opts.useWorker === false) return;
    const url = workerUrl('pipeline.worker');
    if (!existsSync(fileURLToPath(url))) return;
    // onnxruntime's lifelong state must not land in a worker's memory (see initOnnxRuntimeHere)
    void initOnnxRuntimeHere().then(
      () => {
        if (this.spare || this.disposed) return;
        const worker = new Worker(url, { workerData: null });
        worker.unref();
        const gone = () => {
          if (this.spare === worker) this.spare = null;
        };
        worker.on('error', gone);
        worker.on('exit', gone);
        if (models) worker.postMessage({ type: 'prepare', models });
        this.spare = worker;
      },
      () => undefined,
    );
  }

  /**
   * prestart() after a run, a little after `after` (the inspection's warm-up), with that run's models: a run again with the same model
   * files finds its sessions created. (A method of its own: a timer made in runJob would keep that
   * run's whole scope, its session too, until it fires.)
   */
  private prestartLater(models: InferenceModel[], after: Promise<unknown>): void {
    void after.then(() => setTimeout(() => this.prestart(models), SPARE_AFTER_RUN_MS).unref());
  }

  private takeSpare(): Worker | null {
    const w = this.spare;
    this.spare = null;
    w?.ref();
    return w;
  }

  async start(input: StartRunInput): Promise<StartedRun> {
    const presetFile = path.resolve(input.presetFile ?? path.join(input.projectDir!, PRESET_FILE_NAME));
    if (!input.presetFile) {
      const exists = await fs.access(presetFile).then(
        () => true,
        () => false,
      );
      if (!exists) throw await missingPresetError(input.projectDir!, presetFile);
    }
    const loaded = await loadPresetFile(presetFile);
    if (input.projectDir) await checkProjectTemplate(path.resolve(input.projectDir), loaded.preset);
    const cp = await compilePresetFiles(loaded);
    const baseDir = input.projectDir ? path.resolve(input.projectDir) : loaded.dir;
    const spec: DataInputSpec = input.data
      ? { ...input.data, baseDir }
      : await projectSampleData(baseDir, loaded.preset.layers, input.dataSource);
    const params: RunParams = {
      presetFile: loaded.file,
      preset: loaded.preset,
      data: spec,
      chunkSize: input.chunkSize ?? DEFAULT_CHUNK_SIZE,
    };

    let readyResolve!: (s: Session) => void;
    let readyReject!: (e: unknown) => void;
    const ready = new Promise<Session>((res, rej) => ((readyResolve = res), (readyReject = rej)));
    let stop: () => void = () => {};
    const snapshot = this.jobs.start({
      kind: 'pipeline.run',
      title: `NMF preview: ${loaded.preset.name}`,
      scope: input.projectDir ? path.resolve(input.projectDir) : loaded.file,
      run: async (job) => {
        try {
          return await this.runJob(job, loaded, cp, spec, params, readyResolve, (fn) => (stop = fn));
        } catch (err) {
          readyReject(err);
          throw err;
        }
      },
      onCancel: () => stop(),
    });
    const session = await ready;
    return {
      jobId: snapshot.id,
      sessionId: session.id,
      presetFile: loaded.file,
      preset: loaded.preset,
      layers: layerInfo(cp),
      target: { rows: cp.targetRows, cols: cp.targetCols },
      sources: session.sources,
      warnings: session.warnings,
      total: session.total,
    };
  }

  private async runJob(
    job: JobHandle<'pipeline.run'>,
    loaded: LoadedPreset,
    cp: CompiledPipeline,
    spec: DataInputSpec,
    params: RunParams,
    onReady: (s: Session) => void,
    setStop: (fn: () => void) => void,
  ): Promise<{ summary: RunSummary }> {
    let session: Session | null = null;
    let stopMaps: () => void = () => {};
    job.progress(null, 'Loading model and data…');
    const handle = async (msg: RunMessage): Promise<void> => {
      if (msg.type === 'meta' && session) {
        if (msg.n !== (session as Session).total)
          throw new Error(`pipeline workers disagree on the number of lumisections (${msg.n} vs ${(session as Session).total})`);
      } else if (msg.type === 'meta') {
        const warnings = [...msg.warnings];
        const cond = await loadConditions(loaded.preset, spec, msg, warnings);
        // ~40 bytes per LS: small slabs, in the back end's own memory rather than the worker's
        const resultSlabs = new SlabCopies(false, 2 ** 20);
        const runs = resultSlabs.copy(msg.runs);
        const lumis = resultSlabs.copy(msg.lumis);
        session = {
          id: job.id,
          loaded,
          preset: loaded.preset,
          cp,
          spec,
          runs,
          lumis,
          cond,
          chunks: [],
          results: new Array(msg.n),
          completed: 0,
          warnings,
          sources: msg.sources,
          total: msg.n,
          done: false,
          mapsBytes: 0,
          mapsMissing: null,
          resultSlabs,
          recompute: new ChunkRecompute(loaded, cp, spec, msg.n),
        };
        this.retention.add(session);
        for (const w of warnings) job.log(w, 'stderr');
        job.progress(0, `0 / ${msg.n} lumisections`);
        onReady(session);
      } else if (msg.type === 'chunk' && session && this.retention.keeps(session)) {
        const s: Session = session;
        const m = msg.maps;
        const mapBytes = m ? bytesOf(m.loss) : 0;
        // once a chunk goes without maps, later ones do too, so the kept maps stay a prefix of the chunks
        const keep = m !== null && s.mapsMissing === null && this.retention.reserveMaps(s, mapBytes);
        if (!keep && s.mapsMissing === null) {
          const mb = Math.round(this.retention.policy.mapsBudget / 2 ** 20);
          s.mapsMissing = {
            why: `the stage maps of all preview runs together are limited to ${mb} MB`,
            todo: 'Preview fewer lumisections',
          };
          s.warnings.push(
            `stage maps are kept for the first ${s.chunks.reduce((a, c) => a + (c.loss ? c.n : 0), 0)} lumisections only (${mb} MB for all preview runs together); the others have results but no stage maps — preview fewer lumisections to inspect them`,
          );
          job.log(s.warnings[s.warnings.length - 1], 'stderr');
        }
        // the workers stop copying maps that would not be kept (chunks already on their way still carry them)
        if (!keep) stopMaps();
        const result = <T extends NumericArray>(a: T) => s.resultSlabs.copy(a);
        const chunk: StoredChunk = {
          start: msg.start,
          n: msg.n,
          // the loss maps are the worker's shared slabs as they are
          loss: keep && m ? m.loss : null,
          entries: msg.entries.map(result),
          maxLoss: msg.maxLoss.map(result),
          flagsBeforeFilter: result(msg.flagsBeforeFilter),
          finalBins: result(msg.finalBins),
        };
        s.chunks.push(chunk);
        const items = summarizeChunk(
          s.cp,
          {
            start: chunk.start,
            n: chunk.n,
            entries: chunk.entries,
            maxLoss: chunk.maxLoss,
            decisions: { flagsBeforeFilter: chunk.flagsBeforeFilter, finalBins: chunk.finalBins },
          },
          s,
          s.cond,
        );
        for (const it of items) s.results[it.index] = it;
        s.completed += items.length;
        const payload: PipelineChunk = { kind: 'lumisections', start: msg.start, items };
        job.chunk(payload);
        job.progress(s.completed / s.total, `${s.completed} / ${s.total} lumisections`);
      }
    };
    try {
      await this.execute(
        params,
        this.workerCount(),
        handle,
        job.signal,
        setStop,
        (fn) => (stopMaps = fn),
        (text) => job.log(text),
      );
    } finally {
      // a failed or cancelled run is kept as it is (its results so far) like a finished one
      const s = session as Session | null;
      if (s) {
        s.chunks.sort((a, b) => a.start - b.start);
        this.retention.finished(s);
        // the input and the sessions an inspection needs are opened now, not on the user's first click
        const warming = this.retention.keeps(s) && s.chunks.some((c) => c.loss) ? s.recompute.warm() : Promise.resolve();
        // the next spare once they are: both at once would double the wait of the first inspection
        if (this.prestarting) this.prestartLater(presetModelFiles(loaded), warming);
      } else if (this.prestarting) this.prestartLater(presetModelFiles(loaded), Promise.resolve());
    }
    if (!session) throw new Error('the pipeline ended without loading data');
    const s: Session = session;
    return { summary: summarize(s.results, s.total) };
  }

  /**
   * One pipeline worker, which starts its own inference threads (InferenceThreads: cores − 1, at most
   * one per layer), as the CLI's preview does. Two pipeline workers, each creating every session and
   * inferring in its own thread, took longer on two cores: six sessions created side by side, and
   * twice the threads of the cores (`npm run bench pipeline`, PIPELINE_BENCH_SERVICE_ONLY=1). Tests
   * still run several (`workers`), which split the chunks between them.
   */
  private workerCount(): number {
    return this.opts.workers ?? 1;
  }

  /** Run in worker threads (messages handled one at a time), or in-process when no worker bundle exists. */
  private async execute(
    params: RunParams,
    workers: number,
    handle: (m: RunMessage) => Promise<void>,
    signal: AbortSignal,
    setStop: (fn: () => void) => void,
    setStopMaps: (fn: () => void) => void,
    log: (text: string) => void,
  ): Promise<void> {
    let queue = Promise.resolve();
    let failed: unknown = null;
    const enqueue = (m: RunMessage) => {
      queue = queue.then(() => (failed ? undefined : handle(m))).catch((err) => void (failed ??= err));
    };
    const url = workerUrl('pipeline.worker');
    const hasWorker =
      this.opts.useWorker !== false &&
      (await fs.access(fileURLToPath(url)).then(
        () => true,
        () => false,
      ));
    if (!hasWorker) {
      if (this.opts.useWorker !== false)
        log(`pipeline worker bundle ${fileURLToPath(url)} not found (run npm run build); running in the back-end process`);
      const controller = new AbortController();
      setStop(() => controller.abort(new Error('Cancelled')));
      const control: RunControl = { sendMaps: true };
      setStopMaps(() => (control.sendMaps = false));
      const onAbort = () => controller.abort(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        await executeRun(params, enqueue, controller.signal, control);
      } finally {
        // the listener sees this run's message handler: it must not outlive the run
        signal.removeEventListener('abort', onAbort);
      }
      await queue;
      if (failed) throw failed;
      return;
    }
    // onnxruntime's lifelong state must not land in a worker's memory (see initOnnxRuntimeHere)
    await initOnnxRuntimeHere();
    signal.throwIfAborted();
    const threads = Array.from({ length: workers }, (_, index) => {
      const p: RunParams = { ...params, part: { index, count: workers } };
      const spare = workers === 1 ? this.takeSpare() : null;
      if (!spare) return new Worker(url, { workerData: p });
      spare.postMessage({ type: 'run', params: p });
      return spare;
    });
    // Ask the workers to stop at their next chunk; terminate only threads that do not end by themselves.
    const stopAll = () => {
      for (const w of threads) w.postMessage({ type: 'cancel' });
      setTimeout(() => threads.forEach((w) => void w.terminate()), STOP_GRACE_MS).unref();
    };
    setStop(stopAll);
    let mapsStopped = false;
    setStopMaps(() => {
      if (mapsStopped) return;
      mapsStopped = true;
      for (const w of threads) w.postMessage({ type: 'no-maps' });
    });
    const finished = threads.map(
      (worker) =>
        new Promise<void>((resolve, reject) => {
          let done = false;
          worker.on('message', (m: RunMessage | { type: 'error'; error: SerializedError }) => {
            if (m.type === 'error') reject(deserializeError(m.error));
            else if (m.type === 'done') done = true;
            else enqueue(m);
          });
          worker.on('error', reject);
          worker.on('exit', (code) =>
            done
              ? resolve()
              : reject(signal.aborted ? new Error('Cancelled') : new Error(`pipeline worker exited with code ${code} before finishing`)),
          );
        }),
    );
    // one failing worker stops the others
    finished.forEach((p) => p.catch(() => stopAll()));
    const outcomes = await Promise.allSettled(finished);
    const rejected = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (rejected) throw rejected.reason;
    await queue;
    if (failed) throw failed;
  }

  /** Retention hook: another run needs the room its stage maps take (their results stay). */
  private dropMaps(s: Session): void {
    // their slabs are freed with the last view on them
    for (const c of s.chunks) c.loss = null;
    s.mapsMissing = {
      why: `they were dropped to make room for a newer preview run (the stage maps of all preview runs together are limited to ${Math.round(this.retention.policy.mapsBudget / 2 ** 20)} MB)`,
      todo: 'Run the preview again',
    };
    s.warnings.push(
      `The stage maps of this run were dropped to make room for a newer preview run; its results are kept. Run the preview again to inspect lumisections.`,
    );
  }

  /** Retention hook: the run is no longer kept. Its job is cancelled if still running, its ONNX sessions (what-ifs) closed. */
  private async freeSession(s: Session, reason: DropReason): Promise<void> {
    for (const c of s.chunks) c.loss = null;
    s.chunks = [];
    s.results = [];
    // The inspection's input and thread close in the background (its sessions may still be being
    // created); waiting here would keep the whole run reachable until then. The back end's shutdown waits.
    const closing = s.recompute.close();
    if (reason === 'shutdown') await closing;
    else closing.catch(() => undefined);
    if (!s.done) await this.jobs.cancel(s.id).catch(() => undefined);
  }

  private session(id: string): Session {
    const s = this.retention.use(id);
    if (!s) {
      const p = this.retention.policy;
      throw new ApiError(
        'NOT_FOUND',
        `This preview run (${id}) is no longer kept: a run is released when you start another one or leave the project, when more than ${p.maxRuns} finished runs are kept, or after ${Math.round(p.idleMs / 60_000)} minutes unused. Run the preview again.`,
        undefined,
        'NotFoundError',
      );
    }
    return s;
  }

  /** Drop a run now: its results and stage maps, and its job if still running. False when it was not kept. */
  async release(id: string): Promise<{ released: boolean }> {
    return { released: (await this.retention.drop(id, 'released')) !== undefined };
  }

  /** What the service keeps, for tests and benchmarks. */
  kept(): { runs: Array<{ id: string; done: boolean; lumisections: number; mapsBytes: number; resultBytes: number }>; mapsBytes: number } {
    return {
      runs: this.retention.list().map(({ run }) => ({
        id: run.id,
        done: run.done,
        lumisections: run.completed,
        mapsBytes: run.mapsBytes,
        resultBytes: run.resultSlabs.bytes,
      })),
      mapsBytes: this.retention.mapsBytes(),
    };
  }

  results(id: string, offset = 0, limit = 100_000) {
    const s = this.session(id);
    const done = s.results.filter((r): r is LumisectionSummary => r !== undefined);
    return {
      total: s.total,
      summary: summarize(s.results, s.total),
      items: done.slice(offset, offset + limit),
      warnings: [...s.warnings],
      preset: s.preset,
      done: s.done,
    };
  }

  private chunkOf(s: Session, index: number): { chunk: StoredChunk; k: number } {
    if (index >= s.total)
      throw new ApiError(
        'OUT_OF_RANGE',
        `Lumisection position ${index} is beyond the ${s.total} lumisections of this run`,
        undefined,
        'RangeError',
      );
    const chunk = s.chunks.find((c) => index >= c.start && index < c.start + c.n);
    if (!chunk) throw new ApiError('NOT_READY', `Lumisection position ${index} has not been processed yet`, undefined, 'NotReadyError');
    return { chunk, k: index - chunk.start };
  }

  private mapsNotKept(s: Session, index: number): ApiError {
    return new ApiError(
      'MAPS_NOT_KEPT',
      `The stage maps of position ${index} were not kept: ${s.mapsMissing?.why}. ${s.mapsMissing?.todo} to inspect it.`,
      undefined,
      'MapsNotKeptError',
    );
  }

  /** The maps up to the inference of LS `index` (recomputed from the input), and its chunk. */
  private async lsMaps(s: Session, index: number) {
    const { chunk, k } = this.chunkOf(s, index);
    if (!chunk.loss) throw this.mapsNotKept(s, index);
    const c = await s.recompute.chunk(chunk.start, chunk.n, chunk.loss);
    return {
      raws: s.cp.layers.map(
        (l, i) => c.raws[i].subarray(k * l.geom.rows * l.geom.cols, (k + 1) * l.geom.rows * l.geom.cols) as NumericArray,
      ),
      preprocessed: s.cp.layers.map((l, i) =>
        c.preprocessed[i].slice(k * l.geom.outRows * l.geom.outCols, (k + 1) * l.geom.outRows * l.geom.outCols),
      ),
      reconstruction: s.cp.layers.map((l, i) =>
        c.reconstruction[i].slice(k * l.geom.outRows * l.geom.outCols, (k + 1) * l.geom.outRows * l.geom.outCols),
      ),
      chunk,
      k,
    };
  }

  async lumisection(id: string, index: number): Promise<LumisectionStages> {
    const s = this.session(id);
    const { raws, stages } = await this.lsStages(s, index);
    return stageMapsOutput(s.cp, index, raws, stages, s.results[index]!, false);
  }

  /** Every stage of one LS (loss onwards computed with the run's current preset). */
  private async lsStages(s: Session, index: number) {
    const m = await this.lsMaps(s, index);
    const stages = finishChunk(s.cp, {
      start: index,
      n: 1,
      preprocessed: m.preprocessed,
      reconstruction: m.reconstruction,
      entries: m.chunk.entries.map((e) => e.slice(m.k, m.k + 1)),
    });
    return { raws: m.raws, stages };
  }

  /**
   * One LS's result and, when they were kept, its stage maps as typed arrays (for the PDF report,
   * which draws them in the back end). `maps` is null when the retention policy dropped them.
   */
  async lumisectionMaps(id: string, index: number): Promise<{ result: LumisectionSummary; maps: LumisectionStageMaps | null }> {
    const s = this.session(id);
    const { chunk } = this.chunkOf(s, index);
    const result = s.results[index]!;
    if (!chunk.loss) return { result, maps: null };
    const { raws, stages } = await this.lsStages(s, index);
    return {
      result,
      maps: {
        layers: s.cp.layers.map((l, i) => ({
          name: l.name,
          raw: raws[i],
          preprocessed: stages.preprocessed[i],
          reconstruction: stages.reconstruction[i],
          loss: stages.loss[i],
          lossBinary: stages.decisions.lossBinary[i],
        })),
        combined: stages.decisions.combined,
        lossMask: s.cp.maskCombined,
        final: stages.decisions.final,
      },
    };
  }

  /** What a report of a run names and draws: its preset (and whether it differs from the file), data sources and results. */
  runOverview(id: string) {
    const s = this.session(id);
    return {
      preset: s.preset,
      presetFile: s.loaded.file,
      /** The project folder (or the preset's folder when the run was started from a preset file). */
      baseDir: s.spec.baseDir ?? s.loaded.dir,
      presetEdited: JSON.stringify(s.preset) !== JSON.stringify(s.loaded.preset),
      sources: [...s.sources],
      warnings: [...s.warnings],
      total: s.total,
      done: s.done,
      results: s.results.filter((r): r is LumisectionSummary => r !== undefined),
    };
  }

  /**
   * Every stage map averaged over the lumisections of `run` whose maps are kept: counts, inputs,
   * reconstructions and losses become means, binary maps the fraction of lumisections with the bin
   * set. NaN bins are left out of their bin's mean.
   */
  async runAverage(id: string, run: number): Promise<RunAverageStages> {
    const s = this.session(id);
    const cp = s.cp;
    const t = cp.targetRows * cp.targetCols;
    const acc = (size: number) => ({ sum: new Float64Array(size), n: new Uint32Array(size) });
    const layers = cp.layers.map((l) => ({
      raw: acc(l.geom.rows * l.geom.cols),
      preprocessed: acc(l.geom.outRows * l.geom.outCols),
      reconstruction: acc(l.geom.outRows * l.geom.outCols),
      loss: acc(l.geom.outRows * l.geom.outCols),
      lossBinary: acc(l.geom.outRows * l.geom.outCols),
    }));
    const combined = acc(t);
    const final = acc(t);
    const add = (a: { sum: Float64Array; n: Uint32Array }, src: ArrayLike<number>, off: number) => {
      for (let q = 0; q < a.sum.length; q++) {
        const v = src[off + q];
        if (Number.isFinite(v)) {
          a.sum[q] += v;
          a.n[q]++;
        }
      }
    };
    let count = 0;
    // the chunks holding LS of this run whose maps are kept, recomputed one after the other
    const chunks: Array<{ start: number; n: number; loss: Float32Array[] }> = [];
    for (const c of s.chunks) {
      if (!c.loss) continue;
      let hit = false;
      for (let k = 0; k < c.n && !hit; k++) hit = s.runs[c.start + k] === run;
      if (hit) chunks.push({ start: c.start, n: c.n, loss: c.loss });
    }
    const ws = new ChunkWorkspace(cp, Math.max(0, ...chunks.map((c) => c.n)));
    const scratch = new StageScratch(cp);
    await s.recompute.each(chunks, (r: RecomputedChunk) => {
      const stages = finishChunk(
        cp,
        { start: r.start, n: r.n, preprocessed: r.preprocessed, reconstruction: r.reconstruction, entries: r.entries },
        scratch,
        ws,
      );
      for (let k = 0; k < r.n; k++) {
        if (s.runs[r.start + k] !== run) continue;
        count++;
        cp.layers.forEach((l, i) => {
          const raw = l.geom.rows * l.geom.cols;
          const crop = l.geom.outRows * l.geom.outCols;
          add(layers[i].raw, r.raws[i], k * raw);
          add(layers[i].preprocessed, r.preprocessed[i], k * crop);
          add(layers[i].reconstruction, r.reconstruction[i], k * crop);
          add(layers[i].loss, stages.loss[i], k * crop);
          add(layers[i].lossBinary, stages.decisions.lossBinary[i], k * crop);
        });
        add(combined, stages.decisions.combined, k * t);
        add(final, stages.decisions.final, k * t);
      }
    });
    if (!count) {
      const known = s.results.some((r) => r?.run === run);
      throw new ApiError(
        known ? 'MAPS_NOT_KEPT' : 'NOT_FOUND',
        known
          ? `The stage maps of run ${run} were not kept: ${s.mapsMissing?.why}. ${s.mapsMissing?.todo} to compare with its average.`
          : `Run ${run} is not in this preview run's data.`,
        undefined,
        known ? 'MapsNotKeptError' : 'NotFoundError',
      );
    }
    const mean = (a: { sum: Float64Array; n: Uint32Array }, shape: number[]) => {
      const out = new Float64Array(a.sum.length);
      for (let q = 0; q < out.length; q++) out[q] = a.n[q] ? a.sum[q] / a.n[q] : NaN;
      return encodeArray(out, shape);
    };
    const target = [cp.targetRows, cp.targetCols];
    return {
      run,
      count,
      layers: cp.layers.map((l, i) => {
        const cropped = [l.geom.outRows, l.geom.outCols];
        return {
          name: l.name,
          raw: mean(layers[i].raw, [l.geom.rows, l.geom.cols]),
          preprocessed: mean(layers[i].preprocessed, cropped),
          reconstruction: mean(layers[i].reconstruction, cropped),
          loss: mean(layers[i].loss, cropped),
          lossBinary: mean(layers[i].lossBinary, cropped),
        };
      }),
      combined: mean(combined, target),
      lossMask: encodeArray(Float64Array.from(cp.maskCombined), target),
      final: mean(final, target),
    };
  }

  /** Re-decide every LS from the cached reconstructions with a changed preset. */
  async reflag(
    id: string,
    preset: ModelPreset,
  ): Promise<{ stage: PipelineStage | null; ms: number; changed: number; summary: RunSummary; items: LumisectionSummary[] }> {
    const s = this.session(id);
    const t0 = performance.now();
    const stage = firstAffectedStage(s.preset, preset);
    if (stage === 'inference')
      throw new ApiError(
        'RERUN_REQUIRED',
        'This change affects the model input (layers, model files, centre cross or input clipping); run the preview again to apply it.',
        undefined,
        'RerunRequiredError',
      );
    if (!s.done) throw new ApiError('NOT_READY', 'The preview is still running; re-flag when it has finished.', undefined, 'NotReadyError');
    if (s.completed < s.total)
      throw new ApiError(
        'NOT_READY',
        `The preview stopped after ${s.completed} of ${s.total} lumisections (cancelled or failed); run it again to re-flag.`,
        undefined,
        'NotReadyError',
      );
    const cp = recompileDecisions(s.cp, preset);
    if (stage !== null && stage !== 'filter') {
      const missing = s.chunks.find((c) => !c.loss);
      if (missing)
        throw new ApiError(
          'MAPS_NOT_KEPT',
          `Re-flagging needs the cached maps of every lumisection, but positions from ${missing.start} on were not kept: ${s.mapsMissing?.why}. ${s.mapsMissing?.todo}.`,
          undefined,
          'MapsNotKeptError',
        );
      const scratch = new StageScratch(cp);
      // Decided again from the kept loss maps (the binary, combined and final maps are not kept: a
      // change of the combination or the flag patterns is decided from the clustering on too).
      const decisions = allocDecisionBuffers(cp, Math.max(...s.chunks.map((c) => c.n)));
      for (const c of s.chunks) {
        decide(cp, c.loss, c.n, decisions, scratch, 'clustering');
        c.flagsBeforeFilter.set(decisions.flagsBeforeFilter.subarray(0, c.n));
        c.finalBins.set(decisions.finalBins.subarray(0, c.n));
      }
    }
    let cond = s.cond;
    if (
      stage === 'filter' &&
      JSON.stringify({ ...s.preset.filters, minEntries: null }) !== JSON.stringify({ ...preset.filters, minEntries: null })
    ) {
      const warnings: string[] = [];
      cond = await loadConditions(preset, s.spec, s, warnings);
    }
    const items: LumisectionSummary[] = [];
    for (const c of [...s.chunks].sort((a, b) => a.start - b.start))
      items.push(
        ...summarizeChunk(
          cp,
          {
            start: c.start,
            n: c.n,
            entries: c.entries,
            maxLoss: c.maxLoss,
            decisions: { flagsBeforeFilter: c.flagsBeforeFilter, finalBins: c.finalBins },
          },
          s,
          cond,
        ),
      );
    let changed = 0;
    items.forEach((r, i) => {
      if (r.flagged !== s.results[i]?.flagged || r.flaggedBeforeFilter !== s.results[i]?.flaggedBeforeFilter) changed++;
    });
    s.results = items;
    s.preset = preset;
    s.cp = cp;
    s.cond = cond;
    return { stage, ms: performance.now() - t0, changed, summary: summarize(items, s.total), items };
  }

  /** One LS with its raw maps changed in memory (the user's files are never touched). */
  async whatIf(id: string, index: number, regions: InjectionRegion[], preset?: ModelPreset): Promise<LumisectionStages> {
    const s = this.session(id);
    if (preset && firstAffectedStage(s.preset, preset) === 'inference')
      throw new ApiError(
        'RERUN_REQUIRED',
        'The what-if preset changes the model input; run the preview again with it first.',
        undefined,
        'RerunRequiredError',
      );
    const cp = preset ? recompileDecisions(s.cp, preset) : s.cp;
    const m = await this.lsMaps(s, index);
    const raws = m.raws.map((r) => Float64Array.from(r));
    for (const g of regions) {
      const li = cp.layers.findIndex((l) => l.name === g.layer);
      if (li < 0)
        throw inputError(
          `what-if region names layer "${g.layer}", which is not in the preset (${cp.layers.map((l) => l.name).join(', ')})`,
        );
      const { rows, cols } = cp.layers[li].geom;
      if (g.row1 > rows || g.col1 > cols || g.row0 >= g.row1 || g.col0 >= g.col1) {
        throw inputError(
          `what-if region rows ${g.row0}–${g.row1}, columns ${g.col0}–${g.col1} does not fit the ${rows} × ${cols} ${g.layer} map`,
        );
      }
      for (let r = g.row0; r < g.row1; r++)
        for (let c = g.col0; c < g.col1; c++) raws[li][r * cols + c] = Math.round(raws[li][r * cols + c] * g.factor);
    }
    const stages = await s.recompute.run(cp, raws, index, 1);
    const result = summarizeChunk(cp, stages, s, s.cond)[0];
    return stageMapsOutput(cp, index, raws, stages, result, true);
  }

  async savePreset(id: string, preset: ModelPreset, file?: string): Promise<{ file: string; preset: ModelPreset }> {
    const s = this.session(id);
    const target = presetTarget(s, file);
    return { file: target, preset: await savePresetFile(target, preset) };
  }

  /** The file savePreset(id, …, file) would write, for the API's write check; undefined for a run no longer kept. */
  presetTarget(id: string, file?: string): string | undefined {
    const kept = this.retention.list().find(({ run }) => run.id === id);
    return kept && presetTarget(kept.run, file);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const spare = this.takeSpare();
    if (spare) await endSpare(spare);
    await this.retention.dropAll('shutdown');
  }
}

/**
 * End a spare pipeline worker no run took. It releases the sessions its inference threads opened
 * ahead and exits by itself: terminating it while they hold sessions (or are still creating them)
 * can abort the whole process a moment later. Terminated only if it has not ended after a grace time.
 */
async function endSpare(worker: Worker): Promise<void> {
  const exited = new Promise<void>((resolve) => {
    worker.once('exit', () => resolve());
    worker.once('error', () => resolve());
  });
  worker.postMessage({ type: 'exit' });
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), STOP_GRACE_MS)));
  const outcome = await Promise.race([exited, late]);
  clearTimeout(timer);
  if (outcome === 'late') await worker.terminate();
}
