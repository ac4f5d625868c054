import { z } from 'zod';
import { method } from './define';

/** Long work (pipeline runs, image builds, containers) runs as a job whose state lives in the back end. */
export const JobState = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']);
export type JobState = z.infer<typeof JobState>;

export const JobSnapshot = z.object({
  id: z.string(),
  kind: z.string(),
  title: z.string(),
  state: JobState,
  /** 0..1, or null when unknown. */
  progress: z.number().min(0).max(1).nullable(),
  message: z.string(),
  startedAt: z.string(),
  endedAt: z.string().optional(),
  error: z.object({ name: z.string(), message: z.string(), code: z.string().optional(), details: z.unknown().optional() }).optional(),
  /** Final result, JSON; shape depends on kind. */
  result: z.unknown().optional(),
  /** Arbitrary scope key, e.g. a project dir, so screens can find their jobs again. */
  scope: z.string().optional(),
});
export type JobSnapshot = z.infer<typeof JobSnapshot>;

export const JobLogLine = z.object({
  jobId: z.string(),
  seq: z.number().int(),
  stream: z.enum(['stdout', 'stderr', 'info']),
  text: z.string(),
  ts: z.string(),
});
export type JobLogLine = z.infer<typeof JobLogLine>;

export const JobChunk = z.object({ jobId: z.string(), seq: z.number().int(), data: z.unknown() });
export type JobChunk = z.infer<typeof JobChunk>;

export const jobMethods = {
  'jobs.list': method(
    z.object({ kind: z.string().optional(), scope: z.string().optional() }).strict(),
    z.array(JobSnapshot),
    'Jobs known to the back end (newest first)',
  ),
  'jobs.get': method(z.object({ id: z.string().min(1) }).strict(), JobSnapshot, 'One job'),
  'jobs.cancel': method(z.object({ id: z.string().min(1) }).strict(), JobSnapshot, 'Request cancellation'),
  'jobs.logs': method(
    z.object({ id: z.string().min(1), afterSeq: z.number().int().optional(), limit: z.number().int().positive().max(100000).optional() }).strict(),
    z.array(JobLogLine),
    'Log lines of a job kept in the back end',
  ),
};
