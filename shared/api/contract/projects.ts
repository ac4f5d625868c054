import { z } from 'zod';
import { method } from './define';
import { jobSnapshotOf } from './jobs';

export const RecentProject = z.object({ dir: z.string(), name: z.string(), openedAt: z.string() });
export type RecentProject = z.infer<typeof RecentProject>;

export const DirEntry = z.object({
  name: z.string(),
  kind: z.enum(['dir', 'file']),
  size: z.number().optional(),
  /** A folder with a DISM template (template.yaml, *.template.yml, …) directly in it. */
  hasTemplate: z.boolean().optional(),
  /** A file named like a DISM template. */
  isTemplate: z.boolean().optional(),
});
export type DirEntry = z.infer<typeof DirEntry>;

export const ProjectSummary = z.object({
  dir: z.string(),
  name: z.string(),
  /** Template files found in the folder (relative paths). */
  templates: z.array(z.string()),
  isDemo: z.boolean(),
  /** Which generated demo it is (set when isDemo): the pixel-NMF model on MLServer, or the ONNX autoencoder on Triton. */
  demoVariant: z.enum(['mlserver', 'triton']).optional(),
});
export type ProjectSummary = z.infer<typeof ProjectSummary>;

/** A project folder copied elsewhere (projects.copy), e.g. off /eos to /afs or a local disk. */
export const ProjectCopyResult = z.object({
  from: z.string(),
  to: z.string(),
  files: z.number().int(),
  bytes: z.number().int(),
  /** Folders left out (build outputs: .dism-artifacts), relative to the project. */
  skipped: z.array(z.string()),
});
export type ProjectCopyResult = z.infer<typeof ProjectCopyResult>;
export const ProjectCopyJob = jobSnapshotOf('project.copy', ProjectCopyResult);

export const projectMethods = {
  'projects.recent': method(z.object({}).strict(), z.array(RecentProject), 'Recently opened projects'),
  'projects.open': method(z.object({ dir: z.string().min(1) }).strict(), ProjectSummary, 'Open a project folder and remember it'),
  'projects.forget': method(z.object({ dir: z.string().min(1) }).strict(), z.array(RecentProject), 'Remove from recent projects'),
  'projects.pickFolder': method(
    z.object({ title: z.string().optional() }).strict(),
    z.object({ dir: z.string().nullable() }),
    'Native folder picker (Electron only; the browser host uses fs.listDir)',
  ),
  'projects.copy': method(
    z.object({ projectDir: z.string().min(1), to: z.string().min(1) }).strict(),
    ProjectCopyJob,
    'Copy the project folder to a new folder (job), leaving out .dism-artifacts; fails with TARGET_EXISTS unless the folder is new or empty',
  ),
  'fs.listDir': method(
    z.object({ dir: z.string().optional(), showFiles: z.boolean().optional() }).strict(),
    z.object({ dir: z.string(), parent: z.string().nullable(), entries: z.array(DirEntry) }),
    'List a folder on the back-end host (used by the in-app folder browser)',
  ),
};
