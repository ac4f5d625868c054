import type { TemplateValidation } from '@/shared/api/contract/template';
import { capProblems, cappedNote } from '@/shared/template/limits';
import { hasErrors, sortProblems, syntaxFirst, syntaxHiddenNote } from '@/shared/template/problems';
import { parseTemplateWithinLimits, validateParsed } from '@/shared/template/validate/index';
import { checkTemplateFiles } from './fs-checks';
import { readTemplateText, tooLargeProblemOf } from './read-template-text';
import { locateTemplate, type TemplateLocation } from './template-files';

/**
 * The template to validate: where it is (OUTSIDE_PROJECT before anything else) and its text, as
 * given or read from the file; the too-large answer when the file is over the limit (then it is not read).
 */
export async function templateToValidate(
  projectDir: string,
  p: string,
  text?: string,
): Promise<(TemplateLocation & { text: string }) | { tooLarge: TemplateValidation }> {
  const loc = locateTemplate(projectDir, p);
  if (text !== undefined) return { ...loc, text };
  try {
    return { ...loc, text: await readTemplateText(loc.file) };
  } catch (err) {
    const problem = tooLargeProblemOf(err);
    if (problem) return { tooLarge: overLimit(problem) };
    throw err;
  }
}

function overLimit(problem: TemplateValidation['problems'][number]): TemplateValidation {
  return { valid: false, problems: [problem], problemsTotal: 1, notes: [] };
}

/** The pure rules (the same the editor runs as the user types), within TEMPLATE_LIMITS. */
function validateTemplateTextPart(text: string) {
  const { parsed, limit } = parseTemplateWithinLimits(text);
  return limit ? { parsed, limit, problems: [limit] } : { parsed, limit: null, problems: validateParsed(parsed) };
}

/**
 * The back end's full validation: the same pure rules the editor runs as the user types, plus the
 * filesystem checks (files, classes, SavedModel contents, ONNX shapes) it cannot do in the renderer.
 * At most TEMPLATE_LIMITS.maxProblems problems are listed; `problemsTotal` counts them all.
 * `onFilesystemPhase` is told when the pure (CPU-bound) part is over.
 */
export async function validateTemplateFile(
  projectDir: string,
  p: string,
  text?: string,
  onFilesystemPhase?: () => void,
): Promise<TemplateValidation> {
  const loc = await templateToValidate(projectDir, p, text);
  if ('tooLarge' in loc) return loc.tooLarge;
  const pure = validateTemplateTextPart(loc.text);
  if (pure.limit) return overLimit(pure.limit);
  onFilesystemPhase?.();
  const files = await checkTemplateFiles(pure.parsed, { templateFile: loc.file, projectDir: loc.projectDir });
  // A YAML syntax error is listed alone: the rest may only be consequences of it.
  const listed = syntaxFirst(sortProblems([...pure.problems, ...files.problems]));
  const { problems, total } = capProblems(listed.problems);
  const notes = [...files.notes, cappedNote(problems.length, total), syntaxHiddenNote(listed.hidden)].filter(
    (n): n is string => n !== null,
  );
  return { valid: !hasErrors(problems), problems, problemsTotal: total, notes };
}
