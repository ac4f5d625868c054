import { z } from 'zod';
import { method } from './define';
import { jobChunkOf, jobSnapshotOf } from './jobs';

/**
 * DIALS, read-only: sign in as the DIALS Python client does (device flow), fetch sample maps, OMS
 * and HLT data of a dataset's runs into the project (`data/dials/`), and DIALS's own production
 * flags to compare the preview with. The DIALS instance is the project's choice that the Export
 * step also uses (`dismcli.dials.get` / `dismcli.dials.set`).
 */

const ProjectDir = z.string().min(1);

/** Who is signed in to the project's DIALS instance (nothing about the token itself ever leaves the back end). */
export const DialsAccount = z.object({
  /** Base URL of the instance (the API is under api/v1/). */
  instance: z.string(),
  signedIn: z.boolean(),
  /** From the token: the CERN user name and full name (null when signed out). */
  user: z.string().nullable(),
  /** When the current access token and the session (refresh token) end; the back end refreshes before the first. */
  accessExpiresAt: z.string().nullable(),
  sessionExpiresAt: z.string().nullable(),
  /** The workspaces the instance has and the user's default one (null when signed out or unknown). */
  workspaces: z.array(z.string()).nullable(),
  defaultWorkspace: z.string().nullable(),
});
export type DialsAccount = z.infer<typeof DialsAccount>;

/** Streamed while a sign-in waits for the user. */
export const DialsSignInEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('device'), url: z.string(), userCode: z.string(), expiresAt: z.string() }),
  z.object({ type: z.literal('signed-in'), user: z.string().nullable() }),
]);
export type DialsSignInEvent = z.infer<typeof DialsSignInEvent>;

export const DialsSignInJob = jobSnapshotOf('dials.sign-in', DialsAccount);
export const DialsSignInJobChunk = jobChunkOf('dials.sign-in', DialsSignInEvent);

/** Runs as typed: a range (both ends included) or a list (see shared/dials/run-selection). */
export const RunSelectionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('range'), first: z.number().int().positive(), last: z.number().int().positive() }).strict(),
  z.object({ kind: z.literal('list'), runs: z.array(z.number().int().positive()).min(1).max(1000) }).strict(),
]);

/** Only lumisections first…last of each run (either end optional). */
export const LsRange = z.object({ first: z.number().int().positive().optional(), last: z.number().int().positive().optional() }).strict();
export type LsRange = z.infer<typeof LsRange>;

/** A monitoring element of the template's InputSignature. */
export const TemplateMe = z.object({
  /** The input's Name in the template. */
  input: z.string(),
  me: z.string(),
  /** 1 (TH1) or 2 (TH2), from Dims. */
  dim: z.number().int(),
  /** [y_bin, x_bin] (TH2) or [x_bin] (TH1) from Dims, when the template gives them. */
  shape: z.array(z.number().int()).nullable(),
});
export type TemplateMe = z.infer<typeof TemplateMe>;

export const DialsFetchRequest = z
  .object({
    projectDir: ProjectDir,
    /** Template path relative to the project: its InputSignature names the MEs. */
    template: z.string().min(1),
    dataset: z.string().min(1),
    runs: RunSelectionSchema,
    /** The ticked MEs (default: every ME of the template). */
    mes: z.array(z.string().min(1)).min(1).optional(),
    ls: LsRange.optional(),
    /** DIALS workspace (default: the user's default workspace). */
    workspace: z.string().min(1).optional(),
    /** Replace an earlier, different fetch in data/dials/ (the UI asks first). */
    replace: z.boolean().optional(),
  })
  .strict();
export type DialsFetchRequest = z.infer<typeof DialsFetchRequest>;

/** Progress of a fetch (job chunks, and the job's progress/message). */
export const DialsFetchProgress = z.object({
  phase: z.enum(['plan', 'maps', 'oms', 'hlt', 'write']),
  pagesDone: z.number().int(),
  pagesTotal: z.number().int(),
  lsDone: z.number().int(),
  lsTotal: z.number().int(),
  mesDone: z.number().int(),
  mesTotal: z.number().int(),
  bytes: z.number(),
  /** Seconds left, estimated from the pages of this run so far (null until known). */
  etaSeconds: z.number().nullable(),
  /** Pages an interrupted fetch had already saved (not fetched again). */
  resumedPages: z.number().int(),
  retries: z.number().int(),
});
export type DialsFetchProgress = z.infer<typeof DialsFetchProgress>;

/** `data/dials/dials-fetch.json`: where the fetched data came from (the Preview shows it). */
export const DialsFetchManifest = z.object({
  kind: z.literal('dism-studio.dials-fetch'),
  version: z.literal(1),
  instance: z.string(),
  /** The workspace asked for, or null for the user's default. */
  workspace: z.string().nullable(),
  dataset: z.string(),
  datasetId: z.number().int(),
  runs: RunSelectionSchema,
  ls: LsRange,
  template: z.string(),
  /** Runs with data, in order. */
  runsFetched: z.array(z.number().int()),
  /** Asked-for runs left out, and why (no data in DIALS, an ME missing, …). */
  runsWithoutData: z.array(z.object({ run: z.number().int(), reason: z.string() })),
  mes: z.array(
    z.object({
      me: z.string(),
      meId: z.number().int(),
      dim: z.number().int(),
      /** File in the fetch folder. */
      file: z.string(),
      lumisections: z.number().int(),
    }),
  ),
  lumisections: z.number().int(),
  /** Columnar OMS lumisection JSON and per-run HLT rate JSON in the fetch folder (null when not fetched). */
  oms: z.string().nullable(),
  hlt: z.object({ file: z.string(), paths: z.array(z.string()) }).nullable(),
  warnings: z.array(z.string()),
  startedAt: z.string(),
  finishedAt: z.string(),
  stats: z.object({
    requests: z.number().int(),
    pages: z.number().int(),
    bytes: z.number(),
    retries: z.number().int(),
    resumedPages: z.number().int(),
  }),
});
export type DialsFetchManifest = z.infer<typeof DialsFetchManifest>;

export const DialsFetchJob = jobSnapshotOf('dials.fetch', DialsFetchManifest);
export const DialsFetchJobChunk = jobChunkOf('dials.fetch', DialsFetchProgress);

/** A model registered in DIALS (ml-models-index). */
export const DialsModel = z.object({ modelId: z.number().int(), filename: z.string(), targetMe: z.string(), active: z.boolean() });
export type DialsModel = z.infer<typeof DialsModel>;

/** `ml-bad-lumisection/cert-json/` as DIALS serves it: {run: {ls: [{model_id, me_id, filename, me, mse}]}}. */
export const DialsCertJson = z.record(
  z.string().regex(/^\d+$/),
  z.record(
    z.string().regex(/^\d+$/),
    z.array(z.object({ model_id: z.number().int(), me_id: z.number().int(), filename: z.string(), me: z.string(), mse: z.number() })),
  ),
);
export type DialsCertJson = z.infer<typeof DialsCertJson>;

/** `ml-bad-lumisection/golden-json/` as DIALS serves it (the usual golden JSON): {run: [[first, last], …]}. */
export const DialsGoldenJson = z.record(z.string().regex(/^\d+$/), z.array(z.tuple([z.number().int(), z.number().int()])));
export type DialsGoldenJson = z.infer<typeof DialsGoldenJson>;

/** `data/dials/dials-production.json`: one model's flags for the fetched runs. */
export const DialsProductionFlags = z.object({
  kind: z.literal('dism-studio.dials-production'),
  version: z.literal(1),
  instance: z.string(),
  workspace: z.string().nullable(),
  model: DialsModel,
  /** null: every dataset the model ran on (CLI without --dataset). */
  dataset: z.string().nullable(),
  datasetId: z.number().int().nullable(),
  /** The runs DIALS was asked about (every LS of them not listed in `flagged` is good by DIALS). */
  runs: z.array(z.number().int()),
  flagged: z.array(
    z.object({ run: z.number().int(), ls: z.number().int(), mse: z.number(), meId: z.number().int(), datasetId: z.number().int() }),
  ),
  /**
   * DIALS's certification JSON of the model for the runs (`ml-bad-lumisection/cert-json/`) as DIALS
   * serves it: run → LS → the flagging predictions. null when no dataset was given (DIALS needs one).
   */
  certJson: DialsCertJson.nullable().default(null),
  /** DIALS's golden JSON (`ml-bad-lumisection/golden-json/`): run → good LS ranges [[first, last], …]. null without a dataset. */
  goldenJson: DialsGoldenJson.nullable().default(null),
  /** Where DIALS's own answers disagree with each other (the list of bad lumisections, its cert and golden JSON). */
  warnings: z.array(z.string()).default([]),
  fetchedAt: z.string(),
});
export type DialsProductionFlags = z.infer<typeof DialsProductionFlags>;

/** An interrupted fetch that the next fetch with the same request continues. */
export const DialsPartialFetch = z.object({
  dataset: z.string(),
  runs: RunSelectionSchema,
  mes: z.array(z.string()),
  ls: LsRange,
  workspace: z.string().nullable(),
  template: z.string(),
  pagesDone: z.number().int(),
  pagesTotal: z.number().int(),
  updatedAt: z.string(),
});
export type DialsPartialFetch = z.infer<typeof DialsPartialFetch>;

export const DialsProjectData = z.object({
  /** The fetch folder (absolute). */
  folder: z.string(),
  manifest: DialsFetchManifest.nullable(),
  partial: DialsPartialFetch.nullable(),
  production: DialsProductionFlags.nullable(),
  /** Problems reading what is there (a damaged manifest, …); the files are left alone. */
  problems: z.array(z.string()),
});
export type DialsProjectData = z.infer<typeof DialsProjectData>;

export const dialsMethods = {
  'dials.account': method(
    z.object({ projectDir: ProjectDir }).strict(),
    DialsAccount,
    "Who is signed in to the project's DIALS instance (refreshing the token when it is about to expire)",
  ),
  'dials.signIn': method(
    z.object({ projectDir: ProjectDir }).strict(),
    DialsSignInJob,
    'Sign in to DIALS with the device flow (job; its chunks carry the verification URL and code; ends when approved)',
  ),
  'dials.signInEvents': method(
    z.object({ jobId: z.string().min(1) }).strict(),
    z.array(z.object({ seq: z.number().int(), event: DialsSignInEvent })),
    'Events of a sign-in so far (kept in the back end, so a screen can re-attach)',
  ),
  'dials.signOut': method(
    z.object({ projectDir: ProjectDir }).strict(),
    DialsAccount,
    "Delete the cached DIALS tokens of the project's instance",
  ),
  'dials.templateMes': method(
    z.object({ projectDir: ProjectDir, template: z.string().min(1) }).strict(),
    z.array(TemplateMe),
    "The monitoring elements of a template's InputSignature",
  ),
  'dials.datasets': method(
    z.object({ projectDir: ProjectDir, query: z.string().max(300), workspace: z.string().min(1).optional() }).strict(),
    z.array(z.object({ datasetId: z.number().int(), dataset: z.string(), era: z.string() })),
    "Datasets in DIALS's dataset index whose name contains the query (for autocomplete; at most 50)",
  ),
  'dials.fetch': method(
    DialsFetchRequest,
    DialsFetchJob,
    'Fetch sample maps, OMS and HLT data into data/dials/ (job; resumes an interrupted fetch of the same request)',
  ),
  'dials.projectData': method(
    z.object({ projectDir: ProjectDir }).strict(),
    DialsProjectData,
    'What the project holds from DIALS: the fetch manifest, an interrupted fetch, production flags',
  ),
  'dials.models': method(
    z.object({ projectDir: ProjectDir, workspace: z.string().min(1).optional() }).strict(),
    z.array(DialsModel),
    'Models registered in DIALS (ml-models-index)',
  ),
  'dials.flags': method(
    z.object({ projectDir: ProjectDir, modelId: z.number().int() }).strict(),
    DialsProductionFlags,
    "DIALS's production flags of a model for the fetched runs (saved as data/dials/dials-production.json)",
  ),
};
