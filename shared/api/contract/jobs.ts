import { z } from 'zod';

/**
 * Long work (pipeline runs, image builds, containers) runs as a job whose state lives in the back
 * end. The building blocks are here; `job-kinds.ts` puts every kind's snapshot and chunk together.
 */
export const JobState = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']);
export type JobState = z.infer<typeof JobState>;

/**
 * Every kind of job there is. Each has its result type (the snapshot's `result`) and, if it streams
 * partial results, its chunk type, both in the contract file of its domain and listed in job-kinds.ts.
 */
export const JobKind = z.enum([
  'pipeline.run',
  'import-joblib',
  'export',
  'dismcli.run',
  'dismcli.runner-build',
  'model-server',
  'model-check',
  'model-redump',
  'project.copy',
  'dials.sign-in',
  'dials.fetch',
  'preview.report',
]);
export type JobKind = z.infer<typeof JobKind>;

export const JobError = z.object({ name: z.string(), message: z.string(), code: z.string().optional(), details: z.unknown().optional() });

/** The snapshot of one kind of job: its state and, once it succeeded, its result. */
export function jobSnapshotOf<K extends JobKind, R extends z.ZodType>(kind: K, result: R) {
  return z.object({
    id: z.string(),
    kind: z.literal(kind),
    title: z.string(),
    state: JobState,
    /** 0..1, or null when unknown. */
    progress: z.number().min(0).max(1).nullable(),
    message: z.string(),
    startedAt: z.string(),
    endedAt: z.string().optional(),
    error: JobError.optional(),
    /** Only on a succeeded job. */
    result: result.optional(),
    /** Arbitrary scope key, e.g. a project dir, so screens can find their jobs again. */
    scope: z.string().optional(),
  });
}

/** A partial result one kind of job streams while it runs (`job.chunk` event), numbered per job from 1. */
export function jobChunkOf<K extends JobKind, D extends z.ZodType>(kind: K, data: D) {
  return z.object({ jobId: z.string(), seq: z.number().int(), kind: z.literal(kind), data });
}

export const JobLogLine = z.object({
  jobId: z.string(),
  seq: z.number().int(),
  stream: z.enum(['stdout', 'stderr', 'info']),
  text: z.string(),
  ts: z.string(),
});
export type JobLogLine = z.infer<typeof JobLogLine>;
