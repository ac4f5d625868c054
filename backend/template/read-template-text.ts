import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ApiError } from '../../shared/api/errors';
import { describeSystemError } from '../../shared/api/system-errors';
import { findTemplates } from '../projects/project-folder';

/**
 * Read a template file for any command (validate, open, build, start-api, infer), with one set of
 * plain messages: not found, a folder given instead of the file (naming the templates inside it),
 * or the operating system's reason in words.
 */
export async function readTemplateText(file: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ApiError('NOT_FOUND', `Template not found: ${file}`, { file }, 'NotFoundError');
    if (code === 'EISDIR') {
      const inside = await findTemplates(file).catch(() => []);
      const hint = inside.length
        ? ` Give the template file inside it: ${inside.slice(0, 5).map((t) => path.join(file, t)).join(', ')}${inside.length > 5 ? ', …' : ''}.`
        : ' It holds no template.yaml; give the path of the template file.';
      throw new ApiError('NOT_A_FILE', `${file} is a folder, not a template file.${hint}`, { file, templates: inside }, 'NotAFileError');
    }
    const plain = describeSystemError(err);
    if (plain) throw new ApiError(plain.code, `Cannot read the template: ${plain.message.replace(/^Cannot \w+ /, '')}`, { file }, 'FileSystemError');
    throw err;
  }
}
