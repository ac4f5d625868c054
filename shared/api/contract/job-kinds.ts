import { z } from 'zod';
import { method } from './define';
import { DialsFetchJob, DialsFetchJobChunk, DialsSignInJob, DialsSignInJobChunk } from './dials';
import { DismcliJob, DismcliJobChunk, RunnerBuildJob } from './dismcli';
import { ExportJob } from './export';
import { ReportJob } from './inspect';
import { JobKind, JobLogLine } from './jobs';
import { ModelServerJob, ModelServerJobChunk } from './model-server';
import { ImportJoblibJob } from './models';
import { ModelCheckJob, ModelRedumpJob } from './model-check';
import { PipelineJob, PipelineJobChunk } from './pipeline';
import { ProjectCopyJob } from './projects';

/** A job's snapshot; `kind` says which result it carries. */
export const JobSnapshot = z.discriminatedUnion('kind', [
  PipelineJob,
  ImportJoblibJob,
  ExportJob,
  DismcliJob,
  RunnerBuildJob,
  ModelServerJob,
  ModelCheckJob,
  ModelRedumpJob,
  ProjectCopyJob,
  DialsSignInJob,
  DialsFetchJob,
  ReportJob,
]);
export type JobSnapshot = z.infer<typeof JobSnapshot>;

/** What the kinds that stream partial results send while they run; the other kinds send none. */
export const JobChunk = z.discriminatedUnion('kind', [
  PipelineJobChunk,
  DismcliJobChunk,
  ModelServerJobChunk,
  DialsSignInJobChunk,
  DialsFetchJobChunk,
]);
export type JobChunk = z.infer<typeof JobChunk>;

export type JobSnapshotOf<K extends JobKind> = Extract<JobSnapshot, { kind: K }>;
export type JobResultOf<K extends JobKind> = NonNullable<JobSnapshotOf<K>['result']>;
/** The chunk data of a kind (never for kinds that stream none). */
export type JobChunkData<K extends JobKind> = Extract<JobChunk, { kind: K }>['data'];
export type JobChunkOf<K extends JobKind> = Extract<JobChunk, { kind: K }>;

// A kind added to JobKind without its snapshot in JobSnapshot fails to compile here, naming the kind.
type KindsWithoutSnapshot = Exclude<JobKind, JobSnapshot['kind']>;
const everyKindHasASnapshot: [KindsWithoutSnapshot] extends [never] ? true : KindsWithoutSnapshot = true;
void everyKindHasASnapshot;

/** The schema of a kind's result. */
export function jobResultSchema(kind: JobKind): z.ZodType {
  return JobSnapshot.options.find((o) => o.shape.kind.value === kind)!.shape.result.unwrap();
}

/** The schema of a kind's chunk data, or null for a kind that streams none. */
export function jobChunkSchema(kind: JobKind): z.ZodType | null {
  return JobChunk.options.find((o) => o.shape.kind.value === kind)?.shape.data ?? null;
}

export const jobMethods = {
  'jobs.list': method(
    z.object({ kind: JobKind.optional(), scope: z.string().optional() }).strict(),
    z.array(JobSnapshot),
    'Jobs known to the back end (newest first)',
  ),
  'jobs.get': method(z.object({ id: z.string().min(1) }).strict(), JobSnapshot, 'One job'),
  'jobs.cancel': method(z.object({ id: z.string().min(1) }).strict(), JobSnapshot, 'Request cancellation'),
  'jobs.logs': method(
    z
      .object({ id: z.string().min(1), afterSeq: z.number().int().optional(), limit: z.number().int().positive().max(100000).optional() })
      .strict(),
    z.array(JobLogLine),
    'Log lines of a job kept in the back end',
  ),
};
