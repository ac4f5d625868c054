import type { ParsedTemplate } from './document';
import { deleteAt, renameKey, setValue, type EditResult } from './edit';
import { migrateLegacyDataTypes } from './legacy';
import type { ProblemFix } from './problems';

/** A problem's one-click repair as a lossless edit of the text (the editor applies it as an undoable change). */
export function applyProblemFix(parsed: ParsedTemplate | string, fix: ProblemFix): EditResult {
  switch (fix.kind) {
    case 'migrate-legacy-datatypes':
      return migrateLegacyDataTypes(parsed);
    case 'set-value':
      return setValue(parsed, fix.path, fix.value);
    case 'rename-key':
      return renameKey(parsed, fix.path, fix.newKey);
    case 'delete-key':
      return deleteAt(parsed, fix.path);
  }
}
