import type { TemplateValidation } from '../../shared/api/contract/template';
import { parseTemplate } from '../../shared/template/document';
import { hasErrors, sortProblems } from '../../shared/template/problems';
import { validateParsed } from '../../shared/template/validate/index';
import { checkTemplateFiles } from './fs-checks';
import { readTemplateText } from './read-template-text';
import { locateTemplate } from './template-files';

/**
 * The back end's full validation: the same pure rules the editor runs as the user types, plus the
 * filesystem checks (files, classes, SavedModel contents, ONNX shapes) it cannot do in the renderer.
 */
export async function validateTemplateFile(projectDir: string, p: string, text?: string): Promise<TemplateValidation> {
  const loc = locateTemplate(projectDir, p);
  let source = text;
  if (source === undefined) source = await readTemplateText(loc.file);
  const parsed = parseTemplate(source);
  const pure = validateParsed(parsed);
  const files = await checkTemplateFiles(parsed, { templateFile: loc.file, projectDir: loc.projectDir });
  const problems = sortProblems([...pure, ...files.problems]);
  return { valid: !hasErrors(problems), problems, notes: files.notes };
}
