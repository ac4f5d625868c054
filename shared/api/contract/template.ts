import { z } from 'zod';
import { method } from './define';
import { TEMPLATE_LIMITS } from '@/shared/template/limits';

const PathSegment = z.union([z.string(), z.number()]);

export const TemplateProblemSchema = z.object({
  severity: z.enum(['error', 'warning']),
  /** In plain words: what is wrong and what to do. */
  message: z.string(),
  /** The technical form (DISM's own message, the YAML parser's), when it says something else. */
  detail: z.string().optional(),
  path: z.string(),
  segments: z.array(PathSegment),
  line: z.number().int(),
  column: z.number().int(),
  endLine: z.number().int(),
  endColumn: z.number().int(),
  from: z.number().int(),
  to: z.number().int(),
  rule: z.string(),
  fix: z
    .union([
      z.object({ kind: z.literal('migrate-legacy-datatypes'), label: z.string() }),
      z.object({ kind: z.literal('set-value'), label: z.string(), path: z.array(PathSegment), value: z.unknown() }),
      z.object({ kind: z.literal('rename-key'), label: z.string(), path: z.array(PathSegment), newKey: z.string() }),
      z.object({ kind: z.literal('delete-key'), label: z.string(), path: z.array(PathSegment) }),
    ])
    .optional(),
});

/** What the back end last saw on disk: change detection uses mtime first, then the content hash. */
export const TemplateDiskState = z.object({ mtimeMs: z.number(), size: z.number(), hash: z.string() });
export type TemplateDiskState = z.infer<typeof TemplateDiskState>;

export const TemplateDraft = z.object({ text: z.string(), savedAt: z.string(), baseHash: z.string().nullable() });
export type TemplateDraft = z.infer<typeof TemplateDraft>;

export const OpenedTemplate = z.object({
  path: z.string(),
  projectDir: z.string(),
  /** Path relative to the project folder, for display. */
  relPath: z.string(),
  text: z.string(),
  disk: TemplateDiskState,
  /** Unsaved edits from an earlier session that differ from the file, offered for restore. */
  draft: TemplateDraft.nullable(),
});
export type OpenedTemplate = z.infer<typeof OpenedTemplate>;

export const TemplateValidation = z.object({
  valid: z.boolean(),
  /** At most TEMPLATE_LIMITS.maxProblems, errors first. */
  problems: z.array(TemplateProblemSchema),
  /** How many problems there are in all (more than `problems` holds when the list was cut; a note says so). */
  problemsTotal: z.number().int(),
  /** Checks that were skipped and why (e.g. ONNX shapes without onnxruntime). */
  notes: z.array(z.string()),
});
export type TemplateValidation = z.infer<typeof TemplateValidation>;

const TemplateRef = { projectDir: z.string().min(1), path: z.string().min(1) };

/** Template text DISM Studio writes: no more than it can check (validate answers larger text in-band instead). */
const TemplateText = z
  .string()
  .max(
    TEMPLATE_LIMITS.maxChars,
    `the template is larger than ${TEMPLATE_LIMITS.maxChars / 1_048_576} MB, the most DISM Studio checks and saves`,
  );

export const templateMethods = {
  'template.open': method(
    z.object(TemplateRef).strict(),
    OpenedTemplate,
    'Read a template.yaml (path relative to the project folder or absolute inside it) plus any crash-recovery draft',
  ),
  'template.save': method(
    z.object({ ...TemplateRef, text: TemplateText, baseHash: z.string().nullable(), force: z.boolean().optional() }).strict(),
    z.object({ disk: TemplateDiskState, backupPath: z.string().nullable() }),
    'Save atomically, keeping the previous version as template.yaml.dism-studio.bak (a .bak of the user is never touched); keeps the file mode and writes through a link to the real file; refuses a write that lands outside the project; refuses (TEMPLATE_CHANGED_ON_DISK) if the file changed since baseHash (or exists while baseHash is null) unless force',
  ),
  'template.create': method(
    z.object({ ...TemplateRef, text: TemplateText }).strict(),
    OpenedTemplate,
    'Write a new template file (refuses to overwrite an existing one)',
  ),
  'template.diskState': method(
    z.object({ ...TemplateRef, knownHash: z.string().nullable() }).strict(),
    z.object({ changed: z.boolean(), deleted: z.boolean(), disk: TemplateDiskState.nullable(), text: z.string().nullable() }),
    'Has the file changed on disk since knownHash? Returns the new text when it has',
  ),
  'template.saveDraft': method(
    z.object({ ...TemplateRef, text: TemplateText, baseHash: z.string().nullable() }).strict(),
    z.object({ savedAt: z.string() }),
    'Keep unsaved edits in the user-data dir so they survive a crash',
  ),
  'template.discardDraft': method(z.object(TemplateRef).strict(), z.object({}), 'Forget the crash-recovery draft of a template'),
  'template.validate': method(
    z.object({ ...TemplateRef, text: z.string().optional() }).strict(),
    TemplateValidation,
    'Validate the text (or the file on disk) with the schema rules plus filesystem checks: paths, Handler class, SavedModel contents, ONNX shapes',
  ),
};
