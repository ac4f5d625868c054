import { z } from 'zod';
import { method } from './define';
import { jobChunkOf, jobSnapshotOf } from './jobs';

/**
 * The "dismcli runner": a container image DISM Studio builds so the official `dismcli build` and
 * `dismcli package` run wherever a container engine runs (no local Python, no GLIBC_2.38).
 */
export const RunnerRecipeKind = z.enum(['pip', 'pyinstaller']);
export type RunnerRecipeKind = z.infer<typeof RunnerRecipeKind>;

export const RunnerRecipe = z.object({
  /** pip: a Python base image + `pip install "cmsdism[docker]"`; pyinstaller: the user's dismcli folder copied into Ubuntu. */
  kind: RunnerRecipeKind,
  /** FROM image; defaults python:3.11-slim (pip) / ubuntu:24.04 (pyinstaller). A mirror name works too. */
  baseImage: z.string().min(1).optional(),
  /** pip only: pin, e.g. "1.4.2"; empty = latest. */
  cmsdismVersion: z
    .string()
    .regex(/^[A-Za-z0-9.*+!-]*$/, 'a version such as 1.4.2')
    .optional(),
  /** pyinstaller only: absolute path of the folder holding the `dismcli` executable and `_internal/`. */
  dismcliFolder: z.string().optional(),
  /** The Dockerfile as the user edited it; absent = generated from the fields above. */
  customDockerfile: z.string().max(262_144, 'a Dockerfile is at most 256 kB here').optional(),
});
export type RunnerRecipe = z.infer<typeof RunnerRecipe>;

export const RunnerImageState = z.enum(['missing', 'up-to-date', 'stale']);

export const RunnerInfo = z.object({
  recipe: RunnerRecipe,
  /** The Dockerfile that will be built (custom or generated). */
  dockerfile: z.string(),
  /** What the generated Dockerfile would be (for "reset to generated"). */
  generatedDockerfile: z.string(),
  /** Where the Dockerfile is stored in the project. */
  dockerfilePath: z.string(),
  recipeHash: z.string(),
  imageTag: z.string(),
  /** up-to-date: an image built from exactly this recipe exists; stale: one from an older recipe. */
  imageState: RunnerImageState,
  /** Problems that stop a build (missing dismcli folder, …). */
  problems: z.array(z.string()),
});
export type RunnerInfo = z.infer<typeof RunnerInfo>;

export const DialsChoice = z.enum(['production', 'development', 'custom']);
export type DialsChoice = z.infer<typeof DialsChoice>;

export const DialsTarget = z.object({ choice: DialsChoice, url: z.string(), customUrl: z.string().optional() });
export type DialsTarget = z.infer<typeof DialsTarget>;

export const DismcliCommand = z.enum(['build', 'package']);
export type DismcliCommand = z.infer<typeof DismcliCommand>;

/** Something dismcli printed that the UI shows as a readable error next to the log. */
export const DismcliProblem = z.object({
  kind: z.enum([
    'me-not-available',
    'shape-mismatch',
    'primary-dataset-unknown',
    'login',
    'stdin',
    'traceback',
    'dials-validation',
    'exit',
  ]),
  title: z.string(),
  message: z.string(),
  hint: z.string().optional(),
  /** The log lines this was recognised from. */
  lines: z.array(z.string()),
});
export type DismcliProblem = z.infer<typeof DismcliProblem>;

/** Streamed as job chunks while dismcli runs. */
export const DismcliEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('login'), url: z.string(), expiresAt: z.string() }),
  z.object({ type: z.literal('logged-in') }),
  z.object({ type: z.literal('success'), line: z.string() }),
  z.object({ type: z.literal('problem'), problem: DismcliProblem }),
]);
export type DismcliEvent = z.infer<typeof DismcliEvent>;

export const DismcliRunResult = z.object({
  command: DismcliCommand,
  exitCode: z.number().int(),
  ok: z.boolean(),
  problems: z.array(DismcliProblem),
  /** Files now under .dism-artifacts/<command>/ (relative to the project). */
  artifacts: z.array(z.string()),
  dialsUrl: z.string(),
  imageTag: z.string(),
});
export type DismcliRunResult = z.infer<typeof DismcliRunResult>;

/** The `dismcli.run` job: streams DismcliEvents, ends with a DismcliRunResult. */
export const DismcliJob = jobSnapshotOf('dismcli.run', DismcliRunResult);
export const DismcliJobChunk = jobChunkOf('dismcli.run', DismcliEvent);

export const RunnerBuildResult = z.object({ imageTag: z.string(), recipeHash: z.string(), built: z.boolean() });
export type RunnerBuildResult = z.infer<typeof RunnerBuildResult>;

/** The `dismcli.runner-build` job: no chunks (its progress and log say what happens). */
export const RunnerBuildJob = jobSnapshotOf('dismcli.runner-build', RunnerBuildResult);

const ProjectDir = z.string().min(1);

export const dismcliMethods = {
  'dismcli.runner.get': method(
    z.object({ projectDir: ProjectDir }).strict(),
    RunnerInfo,
    "The project's dismcli runner recipe, Dockerfile and image state",
  ),
  'dismcli.runner.save': method(
    z.object({ projectDir: ProjectDir, recipe: RunnerRecipe }).strict(),
    RunnerInfo,
    'Save the runner recipe (and the Dockerfile, when edited) into the project',
  ),
  'dismcli.runner.build': method(
    z.object({ projectDir: ProjectDir, force: z.boolean().optional() }).strict(),
    RunnerBuildJob,
    'Build the runner image (job with streamed progress; skipped when the image is up to date unless force)',
  ),
  'dismcli.dials.get': method(z.object({ projectDir: ProjectDir }).strict(), DialsTarget, 'The DIALS URL chosen for this project'),
  'dismcli.dials.set': method(
    z.object({ projectDir: ProjectDir, choice: DialsChoice, customUrl: z.string().optional() }).strict(),
    DialsTarget,
    'Choose production / development / custom DIALS for this project',
  ),
  'dismcli.run': method(
    z
      .object({
        projectDir: ProjectDir,
        command: DismcliCommand,
        /** Template path relative to the project; dismcli runs in its folder (.dism-artifacts lands next to it). Required for build. */
        template: z.string().optional(),
        /** Bind the engine socket into the runner (off by default: build and package do not need it). */
        bindEngine: z.boolean().optional(),
      })
      .strict(),
    DismcliJob,
    'Run `dismcli build` or `dismcli package` in the runner image (job; chunks are DismcliEvent)',
  ),
  'dismcli.events': method(
    z.object({ jobId: z.string().min(1) }).strict(),
    z.array(z.object({ seq: z.number().int(), event: DismcliEvent })),
    'Events a dismcli run has streamed so far (kept in the back end, so a screen can re-attach)',
  ),
};
