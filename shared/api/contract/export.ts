import { z } from 'zod';
import { method } from './define';
import { jobSnapshotOf } from './jobs';

export const ArtifactPart = z.enum(['build', 'package']);
export type ArtifactPart = z.infer<typeof ArtifactPart>;

export const ManifestFile = z.object({
  /** POSIX path inside the export, e.g. "package/template.yaml". */
  path: z.string(),
  size: z.number().int().nonnegative(),
  sha256: z.string(),
});
export type ManifestFile = z.infer<typeof ManifestFile>;

export const ExportManifest = z.object({
  format: z.literal('dism-studio-export/1'),
  createdAt: z.string(),
  project: z.string(),
  parts: z.array(ArtifactPart),
  files: z.array(ManifestFile),
  totalBytes: z.number().int().nonnegative(),
});
export type ExportManifest = z.infer<typeof ExportManifest>;

export const ExportFormat = z.enum(['folder', 'zip', 'tar.gz']);
export type ExportFormat = z.infer<typeof ExportFormat>;

export const ExportResult = z.object({ target: z.string(), format: ExportFormat, manifest: ExportManifest, replaced: z.boolean() });
export type ExportResult = z.infer<typeof ExportResult>;

/** The `export` job: no chunks, progress only. */
export const ExportJob = jobSnapshotOf('export', ExportResult);

export const PartSummary = z.object({ part: ArtifactPart, exists: z.boolean(), files: z.number().int(), bytes: z.number().int() });

export const RegistrationRequest = z.object({
  title: z.string(),
  body: z.string(),
  /** The file to attach to the request. */
  attachment: z.string(),
});
export type RegistrationRequest = z.infer<typeof RegistrationRequest>;

export const ExportSummary = z.object({
  projectDir: z.string(),
  parts: z.array(PartSummary),
  /** Text of .dism-artifacts/package/template.yaml when a package exists. */
  packageTemplate: z.string().nullable(),
  registration: RegistrationRequest.nullable(),
  /** Suggested export name: "<project>-dism-artifacts". */
  suggestedName: z.string(),
});
export type ExportSummary = z.infer<typeof ExportSummary>;

/** In export.*, projectDir is the folder that holds .dism-artifacts: the template's folder. */
export const exportMethods = {
  'export.summary': method(
    z.object({ projectDir: z.string().min(1) }).strict(),
    ExportSummary,
    'What .dism-artifacts holds, the packaged template and the prefilled model-registration request',
  ),
  'export.run': method(
    z
      .object({
        projectDir: z.string().min(1),
        /** A folder to create, or a file ending .zip / .tar.gz / .tgz. */
        to: z.string().min(1),
        parts: z.array(ArtifactPart).min(1).optional(),
        /** Replace an existing target. The UI sets it only after the user confirmed. */
        overwrite: z.boolean().optional(),
      })
      .strict(),
    ExportJob,
    'Export .dism-artifacts with a manifest (job). Fails with TARGET_EXISTS unless overwrite is set',
  ),
};
