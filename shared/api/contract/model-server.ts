import { z } from 'zod';
import { method } from './define';
import { jobChunkOf, jobSnapshotOf } from './jobs';

/** Result of the offline `.dism-artifacts/build/` build ("local build — DIALS checks not run"). */
export const LocalBuildResult = z.object({
  templateFile: z.string(),
  projectDir: z.string(),
  buildDir: z.string(),
  builtTemplate: z.string(),
  resources: z.array(
    z.object({
      key: z.string(),
      type: z.string(),
      framework: z.enum(['MLServer', 'Tritonserver']),
      name: z.string(),
      dir: z.string(),
      files: z.array(z.string()),
    }),
  ),
  warnings: z.array(z.string()),
  local: z.literal(true),
  /** What an official `dismcli build` would add that this offline build does not do. */
  officialBuildAdds: z.array(z.string()),
  builtAt: z.string(),
});
export type LocalBuildResult = z.infer<typeof LocalBuildResult>;

/**
 * A problem the model server reported about the model (a load failure, a refused request), traced
 * back to the template field it comes from: the server's own words and what they mean.
 */
export const ModelProblem = z.object({
  /** Template field, e.g. `Resources.Demo.Properties.InputSignature[0].Dims`, when one field is the cause. */
  path: z.string().optional(),
  /** That field's 1-based line in template.yaml. */
  line: z.number().int().optional(),
  /** The server's message, verbatim. */
  server: z.string(),
  /** What it means for the template, and what to do. */
  explanation: z.string(),
});
export type ModelProblem = z.infer<typeof ModelProblem>;

/** What `.dism-artifacts/build` next to a template holds now. */
export const BuildState = z.object({
  /** none: no build; local: DISM Studio's local build; official: `dismcli build`; unknown: a build neither recorded. */
  kind: z.enum(['none', 'local', 'official', 'unknown']),
  buildDir: z.string(),
  /** The local build, as modelServer.buildLocal answered it. */
  local: LocalBuildResult.optional(),
  /** The official build: when it finished and against which DIALS. */
  official: z.object({ finishedAt: z.string(), dialsUrl: z.string(), template: z.string() }).optional(),
});
export type BuildState = z.infer<typeof BuildState>;

export const ServerState = z.enum(['preparing', 'pulling', 'starting', 'waiting', 'ready', 'stopping', 'stopped', 'exited', 'failed']);
export type ServerState = z.infer<typeof ServerState>;

/** One start-api run of a model server container; kept in the back end (survives navigation). */
export const ServerRun = z.object({
  /** Same id as the job that runs it (its logs are the job's logs). */
  id: z.string(),
  projectDir: z.string(),
  templateFile: z.string(),
  resourceKey: z.string(),
  modelName: z.string(),
  framework: z.enum(['MLServer', 'Tritonserver']),
  image: z.string(),
  imageSource: z.enum(['option', 'template', 'default']),
  state: ServerState,
  message: z.string(),
  /** 0..1 of the current phase (pull, readiness wait), null when unknown. */
  progress: z.number().nullable().optional(),
  requestedPort: z.number().int(),
  hostPort: z.number().int().optional(),
  /** Set when the requested port was taken and the next free one is used. */
  portNote: z.string().optional(),
  url: z.string().optional(),
  containerId: z.string().optional(),
  exitCode: z.number().int().optional(),
  /** Last container log lines when it exited or never became ready. */
  lastLines: z.array(z.object({ stream: z.enum(['stdout', 'stderr']), text: z.string() })).optional(),
  pull: z
    .object({
      fraction: z.number().nullable(),
      status: z.string(),
      layers: z.array(z.object({ id: z.string(), status: z.string(), current: z.number().optional(), total: z.number().optional() })),
    })
    .optional(),
  startedAt: z.string(),
  readyAt: z.string().optional(),
  /** Time from "Start" to ready, ms. */
  readyMs: z.number().optional(),
  endedAt: z.string().optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  /** Why the server could not load the model (Triton's load failures), each traced to its template field. */
  problems: z.array(ModelProblem).optional(),
  /** Folder in the project where this run's logs (and test inferences) are saved. */
  runDir: z.string().optional(),
});
export type ServerRun = z.infer<typeof ServerRun>;

/** The `model-server` job (its id is the run's id): each change of the run is a chunk; it ends with the run as it stopped. */
export const ModelServerChunk = z.object({ type: z.literal('model-server'), run: ServerRun });
export type ModelServerChunk = z.infer<typeof ModelServerChunk>;
export const ModelServerJob = jobSnapshotOf('model-server', ServerRun);
export const ModelServerJobChunk = jobChunkOf('model-server', ModelServerChunk);

export const LocalImage = z.object({ ref: z.string(), id: z.string(), sizeBytes: z.number(), created: z.string() });
export type LocalImage = z.infer<typeof LocalImage>;

const MetadataColumn = z.union([z.array(z.number()), z.array(z.boolean()), z.array(z.string())]);

/** Where the test-inference data comes from: files on the back-end host, as the CLI takes them. */
export const InferenceData = z
  .object({
    /** InputSignature name → .npy / .npz / DIALS parquet / DIALS JSON file. */
    files: z.record(z.string(), z.string()),
    /** Columnar OMS JSON ({attr: [values]} with run_number and lumisection_number). */
    oms: z.string().optional(),
    /** Per-run HLT-rate JSON. */
    hlt: z.string().optional(),
    /** Run / LS numbers for .npy inputs (DIALS files carry their own). */
    runs: z.string().optional(),
    lumis: z.string().optional(),
    /** Extra metadata columns by input name (`<Meta>__<Attr>` → values), overriding OMS files. */
    metadata: z.record(z.string(), MetadataColumn).optional(),
  })
  .strict();
export type InferenceData = z.infer<typeof InferenceData>;

export const LumisectionOutput = z.object({
  index: z.number().int(),
  run: z.number().optional(),
  ls: z.number().optional(),
  /**
   * Output name → this LS's value (a scalar, or a nested array for multi-dimensional outputs). A
   * non-finite float is the text "NaN", "Infinity" or "-Infinity" (JSON has no such numbers).
   */
  outputs: z.record(z.string(), z.unknown()),
  /** What DIALS decides for this LS from the outputs: the FlaggingKey output, or the MetricKey output above AnomalyThreshold. */
  flagged: z.boolean().optional(),
});
export type LumisectionOutput = z.infer<typeof LumisectionOutput>;

export const FlagDisagreement = z.object({
  index: z.number().int(),
  run: z.number().optional(),
  ls: z.number().optional(),
  server: z.boolean(),
  preview: z.boolean(),
});
export type FlagDisagreement = z.infer<typeof FlagDisagreement>;

export const InferenceResult = z.object({
  url: z.string(),
  model: z.string(),
  lumisections: z.array(LumisectionOutput),
  outputNames: z.array(z.string()),
  /** The request as sent (without data): input name, datatype, shape per batch. */
  inputs: z.array(z.object({ name: z.string(), datatype: z.string(), shape: z.array(z.number()) })),
  batches: z.number().int(),
  elapsedMs: z.number(),
  flaggingKey: z.string().optional(),
  /** How DIALS turns the outputs into a flag (the template's rule), and how many LS it flags. */
  decision: z
    .object({
      rule: z.enum(['FlaggingKey', 'AnomalyThreshold']),
      /** The output it reads (FlaggingKey or MetricKey). */
      output: z.string(),
      threshold: z.number().optional(),
      flagged: z.number().int(),
    })
    .optional(),
  comparison: z
    .object({ compared: z.number().int(), agree: z.number().int(), disagreements: z.array(FlagDisagreement), note: z.string().optional() })
    .optional(),
  savedTo: z.string().optional(),
  /** The data files that were sent. */
  data: InferenceData.optional(),
  warnings: z.array(z.string()).optional(),
});
export type InferenceResult = z.infer<typeof InferenceResult>;

export const PresetSyncState = z.object({
  applicable: z.boolean(),
  reason: z.string().optional(),
  presetFile: z.string().optional(),
  modelFile: z.string().optional(),
  inSync: z.boolean().optional(),
  differences: z.array(z.string()).optional(),
  updated: z.boolean().optional(),
});
export type PresetSyncState = z.infer<typeof PresetSyncState>;

const TemplateRef = { templateFile: z.string().min(1), resourceKey: z.string().min(1).optional() };

export const modelServerMethods = {
  'modelServer.buildLocal': method(
    z.object({ templateFile: z.string().min(1) }).strict(),
    LocalBuildResult,
    'Offline build of .dism-artifacts/build/ as dismcli build lays it out',
  ),
  'modelServer.buildState': method(
    z.object({ templateFile: z.string().min(1) }).strict(),
    BuildState,
    'What .dism-artifacts/build next to the template holds now: the local build, an official dismcli build, or none',
  ),
  'modelServer.start': method(
    z
      .object({
        ...TemplateRef,
        /** Image to run instead of Properties.Image / the framework default (e.g. a local mirror). */
        image: z.string().min(1).optional(),
        port: z.number().int().min(1).max(65535).optional(),
        readyTimeoutS: z.number().positive().max(3600).optional(),
        /** Build first (default: only when there is no build yet). */
        build: z.enum(['always', 'if-missing', 'never']).optional(),
        /** chmod a+rX the build folder when UID 1000 cannot read it. */
        fixPermissions: z.boolean().optional(),
      })
      .strict(),
    ServerRun,
    'start-api: run the model server container and wait until it is ready (returns at once; follow the job)',
  ),
  'modelServer.stop': method(z.object({ id: z.string().min(1) }).strict(), ServerRun, 'Stop and remove a model server container'),
  'modelServer.runs': method(
    z.object({ projectDir: z.string().optional() }).strict(),
    z.array(ServerRun),
    'Model server runs known to the back end (newest first)',
  ),
  'modelServer.get': method(z.object({ id: z.string().min(1) }).strict(), ServerRun, 'One model server run'),
  'modelServer.localImages': method(
    z.object({ like: z.string().optional() }).strict(),
    z.array(LocalImage),
    'Local images (optionally those named like the given image, e.g. every …/mlserver:*)',
  ),
  'modelServer.tagImage': method(
    z.object({ source: z.string().min(1), target: z.string().min(1) }).strict(),
    z.object({ target: z.string() }),
    'Tag a local image with the name the template expects',
  ),
  'modelServer.presetSync': method(
    z.object({ ...TemplateRef, apply: z.boolean().optional() }).strict(),
    PresetSyncState,
    "Whether the preset embedded in the model server's model.npz matches preset.json; apply: rewrite it from preset.json (old file kept as model.npz.dism-studio.bak)",
  ),
  'modelServer.infer': method(
    z
      .object({
        ...TemplateRef,
        /** A running server from modelServer.start, or an explicit URL. */
        runId: z.string().optional(),
        url: z.string().url().optional(),
        /** Absent: the project's sample data, as the Preview finds it (data/raw_<layer>.npy, run/LS numbers, OMS and HLT JSON). */
        data: InferenceData.optional(),
        /** Preview flags per LS (same order as the data) to compare with the FlaggingKey output. */
        previewFlags: z.array(z.boolean()).optional(),
        maxValuesPerRequest: z.number().int().positive().optional(),
      })
      .strict(),
    InferenceResult,
    'Send the DIALS-style Open Inference Protocol request and return per-LS outputs',
  ),
};
