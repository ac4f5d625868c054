import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ApiError } from '@/shared/api/errors';
import { describeSystemError } from '@/shared/api/system-errors';
import { findTemplates } from '../projects/project-folder';
import { TEMPLATE_LIMITS, templateTooLarge } from '@/shared/template/limits';
import type { TemplateProblem } from '@/shared/template/problems';

/** The size-limit problem carried by the error readTemplateText throws for a file too large to read, else null. */
export function tooLargeProblemOf(err: unknown): TemplateProblem | null {
  const problem = err instanceof ApiError ? (err.details as { problem?: TemplateProblem } | undefined)?.problem : undefined;
  return problem?.rule === 'template-too-large' ? problem : null;
}

/**
 * Read a template file for any command (validate, open, build, start-api, infer), with one set of
 * plain messages: not found, a folder given instead of the file (naming the templates inside it),
 * or the operating system's reason in words. A file over the size limit is refused without being read.
 */
export async function readTemplateText(file: string): Promise<string> {
  try {
    const { size } = await fs.stat(file);
    // A character takes at most 4 bytes in UTF-8: a file this large is over the limit whatever it holds.
    if (size > TEMPLATE_LIMITS.maxChars * 4) {
      const problem = templateTooLarge(size);
      throw new ApiError('TEMPLATE_INVALID', `${file}: ${problem.message}`, { file, size, problem }, 'TemplateInvalidError');
    }
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    if (err instanceof ApiError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ApiError('NOT_FOUND', `Template not found: ${file}`, { file }, 'NotFoundError');
    if (code === 'EISDIR') {
      const inside = await findTemplates(file).catch(() => []);
      const hint = inside.length
        ? ` Give the template file inside it: ${inside
            .slice(0, 5)
            .map((t) => path.join(file, t))
            .join(', ')}${inside.length > 5 ? ', …' : ''}.`
        : ' It holds no template.yaml; give the path of the template file.';
      throw new ApiError('NOT_A_FILE', `${file} is a folder, not a template file.${hint}`, { file, templates: inside }, 'NotAFileError');
    }
    const plain = describeSystemError(err);
    if (plain)
      throw new ApiError(plain.code, `Cannot read the template: ${plain.message.replace(/^Cannot \w+ /, '')}`, { file }, 'FileSystemError');
    throw err;
  }
}
