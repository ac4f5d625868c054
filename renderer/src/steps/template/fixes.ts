import { applyProblemFix } from '@/shared/template/fix';
import type { ProblemFix } from '@/shared/template/problems';
import { edits } from './form/field-hooks';

/** Apply a problem's one-click fix as an ordinary (undoable) edit. */
export function applyFix(fix: ProblemFix): void {
  edits.apply((p) => applyProblemFix(p, fix));
}
