import { z } from 'zod';
import { method } from './define';
import { jobSnapshotOf } from './jobs';

/**
 * "Will DIALS load it?" — the self-containment check of a model folder (CodeUri): imports, the
 * pickled model's classes, a load in the runtime image, library versions; and vendoring, the fix
 * that copies the local modules the folder needs into it.
 */

export const CheckId = z.enum(['imports', 'pickle', 'load', 'versions']);
export type CheckId = z.infer<typeof CheckId>;

export const CheckStatus = z.enum(['ok', 'warning', 'error', 'skipped']);
export type CheckStatus = z.infer<typeof CheckStatus>;

export const CheckFinding = z.object({
  severity: z.enum(['error', 'warning', 'info']),
  message: z.string(),
  /** File relative to the project (template) folder. */
  file: z.string().optional(),
  line: z.number().int().optional(),
  module: z.string().optional(),
  /** Where the module exists elsewhere in the project, relative to the model folder ("../tools/dftools.py"). */
  foundAt: z.array(z.string()).optional(),
});
export type CheckFinding = z.infer<typeof CheckFinding>;

/** What fixes a failed check; `action` names the button the UI offers for it. */
export const CheckFix = z.object({
  text: z.string(),
  action: z.enum(['vendor', 'redump', 'alias', 'pull-image', 'edit']).optional(),
});

export const CheckResult = z.object({
  id: CheckId,
  title: z.string(),
  status: CheckStatus,
  /** One plain sentence: what was found. */
  summary: z.string(),
  findings: z.array(CheckFinding),
  fixes: z.array(CheckFix),
  /** Load check: the last frames of the traceback, as Python printed them. */
  traceback: z.array(z.string()).optional(),
  /** Version check: pickled vs image. */
  versions: z.array(z.object({ package: z.string(), pickled: z.string(), image: z.string().nullable(), match: z.boolean() })).optional(),
});
export type CheckResult = z.infer<typeof CheckResult>;

export const ModelCheckReport = z.object({
  templateFile: z.string(),
  resourceKey: z.string(),
  framework: z.enum(['MLServer', 'Tritonserver']),
  modelType: z.string(),
  image: z.string(),
  imageSource: z.enum(['option', 'template', 'default']),
  /** Python and module listing of the image; absent when the image is not on this machine. */
  imagePython: z.string().optional(),
  codeDir: z.string(),
  modelFile: z.string().optional(),
  handler: z.string().optional(),
  checkedAt: z.string(),
  checks: z.array(CheckResult),
  errors: z.number().int(),
  warnings: z.number().int(),
  /** One line for Build & Run: "DIALS should load it" / "DIALS will not load it: …". */
  headline: z.string(),
  /** A vendoring plan can fix (some of) the errors. */
  canVendor: z.boolean(),
});
export type ModelCheckReport = z.infer<typeof ModelCheckReport>;

/** The `model-check` job: no chunks; its log is what the containers printed. */
export const ModelCheckJob = jobSnapshotOf('model-check', ModelCheckReport);

/** Jobs of one template resource are found again under this scope (both the Model and Build & Run steps). */
export function modelCheckScope(templateFile: string, resourceKey: string): string {
  return `model-check:${templateFile}#${resourceKey}`;
}

export const VendorFile = z.object({
  /** Relative to the project (template) folder. */
  path: z.string(),
  action: z.enum(['copy', 'rewrite', 'alias']),
  /** copy: where it comes from (relative to the project folder). */
  from: z.string().optional(),
  /** Unified diff of the change (a new file: all lines added). */
  diff: z.string(),
});

export const PickleModuleChange = z.object({
  /** module.Class as the pickle names it today. */
  pickled: z.string(),
  /** The module path after vendoring. */
  becomes: z.string(),
  /** Where in the model it is needed. */
  paths: z.array(z.string()),
});

export const VendorPlan = z.object({
  templateFile: z.string(),
  resourceKey: z.string(),
  codeDir: z.string(),
  /** Identifies exactly this plan: apply refuses if the files changed since it was shown. */
  planId: z.string(),
  modules: z.array(z.object({ module: z.string(), flatName: z.string(), from: z.string() })),
  files: z.array(VendorFile),
  /** Why vendoring cannot go ahead (name clash, module not found, ambiguous source). Empty: it can. */
  refusals: z.array(z.string()),
  notes: z.array(z.string()),
  /** The pickle names module paths that vendoring changes: the model would not unpickle after it. */
  pickleChanges: z.array(PickleModuleChange),
});
export type VendorPlan = z.infer<typeof VendorPlan>;

export const VendorResult = z.object({
  written: z.array(z.string()),
  backups: z.array(z.string()),
  pickleChanges: z.array(PickleModuleChange),
});
export type VendorResult = z.infer<typeof VendorResult>;

export const RedumpResult = z.object({
  modelFile: z.string(),
  backup: z.string().nullable(),
  image: z.string(),
  /** module.Class names the new pickle uses instead of the old ones. */
  renamed: z.array(z.object({ from: z.string(), to: z.string() })),
});
export type RedumpResult = z.infer<typeof RedumpResult>;

/** The `model-redump` job: re-pickles the model from the vendored code in the runtime image. */
export const ModelRedumpJob = jobSnapshotOf('model-redump', RedumpResult);

const Target = {
  /** template.yaml, absolute. */
  templateFile: z.string().min(1),
  resourceKey: z.string().min(1).optional(),
};

export const modelCheckMethods = {
  'modelCheck.targets': method(
    z.object({ projectDir: z.string().min(1) }).strict(),
    z.array(
      z.object({
        templateFile: z.string(),
        resources: z.array(
          z.object({ key: z.string(), type: z.string(), framework: z.string(), checkable: z.boolean(), why: z.string().optional() }),
        ),
        error: z.string().optional(),
      }),
    ),
    'The templates of a project and their resources, with whether each has Python code to check',
  ),
  'modelCheck.run': method(
    z
      .object({
        ...Target,
        image: z.string().min(1).optional(),
        /** Pull the runtime image first when it is not on this machine. */
        pull: z.boolean().optional(),
      })
      .strict(),
    ModelCheckJob,
    'Check that DIALS can load the model: imports, pickle, load in the runtime image, versions (job; result: ModelCheckReport)',
  ),
  'modelCheck.vendorPlan': method(
    z.object({ ...Target, image: z.string().min(1).optional() }).strict(),
    VendorPlan,
    'What vendoring would copy and rewrite into CodeUri, as diffs; nothing is written',
  ),
  'modelCheck.vendorApply': method(
    z.object({ ...Target, planId: z.string().min(1), image: z.string().min(1).optional() }).strict(),
    VendorResult,
    'Write the vendoring plan the user saw (refused with PLAN_CHANGED if the files changed since); keeps <file>.dism-studio.bak of every replaced file',
  ),
  'modelCheck.addAliases': method(
    z.object({ ...Target }).strict(),
    VendorResult,
    'After vendoring: add small alias modules to CodeUri so the pickle’s old module paths (e.g. tools.preprocessor) import the vendored modules',
  ),
  'modelCheck.redump': method(
    z.object({ ...Target, image: z.string().min(1).optional() }).strict(),
    ModelRedumpJob,
    'After vendoring: load the model in the runtime image with its old module paths mapped to the vendored modules and pickle it again (job; the old file kept as <file>.dism-studio.bak)',
  ),
};
