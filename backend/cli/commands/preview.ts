import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { CliCommand } from '../command';
import type { DataInputSpec, OpenedData } from '@/backend/pipeline/data-inputs';
import { parseCommandArgs, parseDataFiles, UsageError } from '../command';
import type { NpyStreamWriter } from '@/backend/pipeline/npy';
import type { LumisectionSummary } from '@/shared/pipeline/run-chunk';
import type { CompiledPipeline } from '@/shared/pipeline/model';
import type { ChunkStages } from '@/shared/pipeline/run-chunk';

const USAGE = `dism-studio preview [--project DIR | --preset FILE] [--data NAME=FILE …] [--runs FILE --lumis FILE]
                           [--oms FILE] [--hlt FILE] [--json OUT] [--dump-stages DIR] [--chunk-size N] [--overwrite]

  Runs the PixelNMF pipeline of the model preset on sample maps and prints, per lumisection, the flag
  before and after the lumisection filter and why a lumisection was filtered.
  --project DIR      project folder with preset.json (and data/ when --data is not given)
  --preset FILE      a model preset file instead of a project
  --data NAME=FILE   maps of one layer: .npy, .npz, DIALS .parquet or DIALS API .json (repeat per layer)
  --runs/--lumis     .npy run and LS numbers for .npy/.npz maps
  --oms FILE         columnar OMS lumisection JSON; --hlt FILE: per-run HLT rate JSON
  --json OUT         write {"lumisections": [...], "summary": {...}} to OUT ("-" for standard output)
  --dump-stages DIR  write every stage as .npy with the reference fixture's file names
  --overwrite        replace existing output files (an input of the run is never replaced)`;

/** Names of the .npy files --dump-stages writes (the reference fixture's), so they can be checked before the run. */
function stageFileNames(cp: CompiledPipeline): string[] {
  return [
    ...cp.layers.flatMap((l) => [`preprocessed_${l.name}`, `reconstruction_${l.name}`, `loss_${l.name}`, `loss_binary_${l.name}`]),
    'combined_loss_unmasked',
    'combined_binary',
    'flags_before_filter',
    'filter_mask',
    'flags',
    'loss_mask_combined',
  ].map((n) => `${n}.npy`);
}

/** Streams each stage of every chunk into .npy files named as in the reference fixture. */
class StageDumper {
  private readonly writers = new Map<string, NpyStreamWriter>();
  constructor(
    private readonly dir: string,
    private readonly cp: CompiledPipeline,
    private readonly n: number,
    private readonly Writer: typeof NpyStreamWriter,
  ) {}

  private writer(name: string, dtype: NpyStreamWriter['dtype'], shape: number[]): NpyStreamWriter {
    // Only names checked before the run (stageFileNames) may be written.
    if (!stageFileNames(this.cp).includes(`${name}.npy`)) throw new Error(`internal: stage file ${name}.npy is not in stageFileNames`);
    let w = this.writers.get(name);
    if (!w) this.writers.set(name, (w = new this.Writer(path.join(this.dir, `${name}.npy`), dtype, shape)));
    return w;
  }

  async chunk(s: ChunkStages, summaries: LumisectionSummary[]): Promise<void> {
    const n = this.n;
    for (const [i, l] of this.cp.layers.entries()) {
      const shape = [n, l.geom.outRows, l.geom.outCols];
      await this.writer(`preprocessed_${l.name}`, 'float32', shape).append(s.preprocessed[i]);
      await this.writer(`reconstruction_${l.name}`, 'float32', shape).append(s.reconstruction[i]);
      await this.writer(`loss_${l.name}`, 'float32', shape).append(s.loss[i]);
      await this.writer(`loss_binary_${l.name}`, 'bool', shape).append(s.decisions.lossBinary[i]);
    }
    const t = [n, this.cp.targetRows, this.cp.targetCols];
    await this.writer('combined_loss_unmasked', 'float32', t).append(s.decisions.combined);
    await this.writer('combined_binary', 'int8', t).append(s.decisions.final);
    await this.writer('flags_before_filter', 'bool', [n]).append(s.decisions.flagsBeforeFilter);
    await this.writer('filter_mask', 'bool', [n]).append(summaries.map((x) => Number(x.passedFilter)));
    await this.writer('flags', 'bool', [n]).append(summaries.map((x) => Number(x.flagged)));
  }

  async close(): Promise<void> {
    const mask = this.writer('loss_mask_combined', 'float32', [1, this.cp.targetRows, this.cp.targetCols]);
    await mask.append(this.cp.maskCombined);
    for (const w of this.writers.values()) await w.close();
  }

  /** The run failed: remove the partial files, leave what was in the folder before. */
  async abort(): Promise<void> {
    for (const w of this.writers.values()) await w.abort();
  }
}

function table(rows: LumisectionSummary[]): string[] {
  const lines = [`${'run'.padEnd(8)} ${'LS'.padStart(5)}  ${'before'.padEnd(6)}  ${'after'.padEnd(5)}  ${'filter'.padEnd(6)}  reasons`];
  for (const r of rows) {
    lines.push(
      `${String(r.run).padEnd(8)} ${String(r.ls).padStart(5)}  ${(r.flaggedBeforeFilter ? 'FLAG' : '-').padEnd(6)}  ${(r.flagged ? 'FLAG' : '-').padEnd(5)}  ${(r.passedFilter ? 'pass' : 'fail').padEnd(6)}  ${r.reasons.map((x) => x.message).join('; ')}`,
    );
  }
  return lines;
}

export const previewCommand: CliCommand = {
  name: 'preview',
  summary: 'Run the NMF preview (PixelNMF pipeline) on sample maps and print the flags per lumisection',
  usage: USAGE,
  async run(argv, io) {
    const { values } = parseCommandArgs(
      argv,
      {
        project: { type: 'string' },
        preset: { type: 'string' },
        data: { type: 'string', multiple: true },
        runs: { type: 'string' },
        lumis: { type: 'string' },
        oms: { type: 'string' },
        hlt: { type: 'string' },
        json: { type: 'string' },
        'dump-stages': { type: 'string' },
        'chunk-size': { type: 'string' },
        overwrite: { type: 'boolean' },
      },
      false,
    );
    if (values.project && values.preset) throw new UsageError('give --project or --preset, not both');
    if (!values.project && !values.preset) throw new UsageError('give --project DIR or --preset FILE');
    const chunkSize = values['chunk-size'] ? Number(values['chunk-size']) : undefined;
    if (chunkSize !== undefined && !(Number.isInteger(chunkSize) && chunkSize > 0))
      throw new UsageError(`--chunk-size must be a positive integer, got "${values['chunk-size']}"`);
    const projectDir = values.project ? path.resolve(io.cwd, values.project) : null;
    // The preset first, then the inference threads (started by the CLI's entry, before this module was
    // loaded): their sessions take longest to be ready, so they are created while this thread loads the
    // rest of its modules, compiles the preset, checks the outputs and reads, checks and preprocesses
    // the first chunks. onnxruntime is loaded only there.
    const { InferenceThreads } = await import('@/backend/pipeline/inference-thread');
    const presetModules = Promise.all([import('@/backend/pipeline/preset-io'), import('@/shared/preset/model-preset')]);
    const loading = presetModules.then(([{ loadPresetFile }, { PRESET_FILE_NAME }]) =>
      loadPresetFile(projectDir ? path.join(projectDir, PRESET_FILE_NAME) : path.resolve(io.cwd, values.preset!)),
    );
    // the threads get their models as soon as the preset is read; closed on every way out
    const inference = await InferenceThreads.start(loading);
    const loaded = await loading;
    const [{ compilePresetFiles, presetFiles }] = await presetModules;
    let warnings: string[];
    let dumpDir: string | null;
    let jsonFile: string | null;
    const results: LumisectionSummary[] = [];
    let data: OpenedData | null = null;
    try {
      const { dataInputFiles, openDataInputs, streamedSource } = await import('@/backend/pipeline/data-inputs');
      const { NpyStreamWriter } = await import('@/backend/pipeline/npy');
      const { loadConditions, runPipeline } = await import('@/backend/pipeline/runner');
      const { checkOutputs } = await import('@/backend/fs/output-target');
      // (the template and project-data modules are loaded only for a project)
      const templateFile = projectDir
        ? await (await import('@/backend/pipeline/template-inputs')).checkProjectTemplate(projectDir, loaded.preset)
        : null;
      const layers = parseDataFiles(values.data);
      let spec: DataInputSpec;
      if (Object.keys(layers).length)
        spec = { layers, runs: values.runs, lumis: values.lumis, oms: values.oms, hlt: values.hlt, baseDir: io.cwd };
      else if (projectDir) {
        const { projectSampleData } = await import('@/backend/pipeline/project-data');
        const d = await projectSampleData(projectDir, loaded.preset.layers);
        spec = {
          ...d,
          ...(values.oms ? { oms: path.resolve(io.cwd, values.oms) } : {}),
          ...(values.hlt ? { hlt: path.resolve(io.cwd, values.hlt) } : {}),
        };
      } else throw new UsageError('give the maps with --data NAME=FILE (one per layer of the preset)');
      const cp = await compilePresetFiles(loaded);
      jsonFile = values.json && values.json !== '-' ? path.resolve(io.cwd, values.json) : null;
      dumpDir = values['dump-stages'] ? path.resolve(io.cwd, values['dump-stages']) : null;
      // Every output is checked against every input before anything runs or is written.
      await checkOutputs({
        outputs: [...(jsonFile ? [jsonFile] : []), ...(dumpDir ? stageFileNames(cp).map((n) => path.join(dumpDir!, n)) : [])],
        inputs: [...presetFiles(loaded), ...dataInputFiles(spec), ...(templateFile ? [templateFile] : [])],
        overwrite: Boolean(values.overwrite),
      });
      // the .npy stacks are read once: their values are checked chunk by chunk as the run reads them
      // (a bad value still stops the run before anything is written: every output is written at the end)
      data = await openDataInputs(loaded.preset, spec, { valuesWhileReading: true });
      warnings = [...data.warnings];
      const cond = await loadConditions(loaded.preset, spec, data, warnings);
      for (const w of warnings) io.err(`warning: ${w}`);
      // the first folder mkdir creates (undefined when the folder existed): removed again if the run fails
      const createdDir = dumpDir ? await fs.mkdir(dumpDir, { recursive: true }) : undefined;
      const dumper = dumpDir ? new StageDumper(dumpDir, cp, data.n, NpyStreamWriter) : null;
      try {
        await runPipeline(cp, inference, streamedSource(cp, data), cond, {
          chunkSize,
          signal: io.signal,
          // every stage is written (or dropped) before the next chunk reuses the buffers
          reuseBuffers: true,
          onChunk: async (s, summaries) => {
            for (const r of summaries) results.push(r);
            await dumper?.chunk(s, summaries);
          },
        });
        await dumper?.close();
      } catch (err) {
        await dumper?.abort();
        // folders this run created, now empty again (rmdir leaves a folder that is not)
        if (dumpDir && createdDir)
          for (let d = dumpDir; ; d = path.dirname(d)) {
            await fs.rmdir(d).catch(() => undefined);
            if (d === createdDir || d === path.dirname(d)) break;
          }
        throw err;
      }
    } finally {
      data?.close();
      await inference.close();
    }
    const { summarize } = await import('@/shared/pipeline/run-chunk');
    const { writeFileAtomic } = await import('@/backend/fs/atomic-write');
    const summary = { ...summarize(results, data.n), preset: loaded.file, sources: data.sources, warnings };
    const json = {
      lumisections: results.map((r) => ({
        run: r.run,
        ls: r.ls,
        flaggedBeforeFilter: r.flaggedBeforeFilter,
        flagged: r.flagged,
        passedFilter: r.passedFilter,
        reasons: r.reasons.map((x) => x.message),
        reasonCodes: r.reasons.map((x) => x.code),
        score: r.score,
      })),
      summary,
    };
    if (values.json === '-') io.out(JSON.stringify(json, null, 2));
    else {
      if (jsonFile) await writeFileAtomic(jsonFile, `${JSON.stringify(json, null, 2)}\n`);
      for (const line of table(results)) io.out(line);
      io.out(
        `\n${data.n} lumisections: ${summary.flaggedBeforeFilter} flagged before the filter, ${summary.flagged} flagged after, ${summary.passedFilter} passed the filter`,
      );
      if (dumpDir) io.out(`stages written to ${dumpDir}`);
    }
    return 0;
  },
};
