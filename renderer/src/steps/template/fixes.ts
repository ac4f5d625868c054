import { renameKey, setValue } from '@/shared/template/edit';
import { migrateLegacyDataTypes } from '@/shared/template/legacy';
import type { ProblemFix } from '@/shared/template/problems';
import { edits } from './form/field-hooks';

/** Apply a problem's one-click fix as an ordinary (undoable) edit. */
export function applyFix(fix: ProblemFix): void {
  switch (fix.kind) {
    case 'migrate-legacy-datatypes':
      edits.apply((p) => migrateLegacyDataTypes(p));
      break;
    case 'set-value':
      edits.apply((p) => setValue(p, fix.path, fix.value));
      break;
    case 'rename-key':
      edits.apply((p) => renameKey(p, fix.path, fix.newKey));
      break;
  }
}
