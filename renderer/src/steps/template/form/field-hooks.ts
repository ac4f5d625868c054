import { useMemo } from 'react';
import { jsValue, nodeAtPath } from '@/shared/template/document';
import { deleteAt, insertItem, moveItem, renameKey, setValue, type EditResult } from '@/shared/template/edit';
import { formatPath, type PathSegment, type TemplateProblem } from '@/shared/template/problems';
import { reportError } from '@/renderer/src/store/app-store';
import { applyEdit } from '../editor-bridge';
import { useTemplateStore } from '../template-store';

export type Path = readonly PathSegment[];

/** Current value at `path` as DISM reads it (undefined when the key is absent). */
export function useValue(path: Path): unknown {
  const parsed = useTemplateStore((s) => s.parsed);
  const key = formatPath(path);
  // Keyed by the path's text: callers pass a fresh array each render.
  return useMemo(() => {
    const node = nodeAtPath(parsed.doc, path);
    return node === undefined ? undefined : jsValue(node);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [parsed, key]);
}

const EMPTY: TemplateProblem[] = [];
export function useProblems(path: Path): TemplateProblem[] {
  const key = formatPath(path);
  return useTemplateStore((s) => s.problemsByPath.get(key) ?? EMPTY);
}

/** Problems at any of `paths` or anywhere below them (for section badges); `paths` do not nest. */
export function useProblemCount(paths: readonly Path[]): { errors: number; warnings: number } {
  const counts = useTemplateStore((s) => s.problemCounts);
  const key = JSON.stringify(paths.map(formatPath));
  return useMemo(() => {
    let errors = 0;
    let warnings = 0;
    for (const x of JSON.parse(key) as string[]) {
      const c = counts.get(x);
      if (c) {
        errors += c.errors;
        warnings += c.warnings;
      }
    }
    return { errors, warnings };
  }, [counts, key]);
}

/** Edits go through the text (lossless splices) and the YAML pane's history. */
function run(fn: () => EditResult, userEvent: 'input.type' | 'input.form' = 'input.form'): void {
  try {
    applyEdit(fn(), userEvent);
  } catch (err) {
    reportError('Could not apply the edit', err);
  }
}

/** Edits must splice the current text, so never use a parse that lags behind typing. */
const current = () => useTemplateStore.getState().ensureParsed();

export const edits = {
  set: (path: Path, value: unknown, typing = false) => run(() => setValue(current(), path, value), typing ? 'input.type' : 'input.form'),
  remove: (path: Path) => run(() => deleteAt(current(), path)),
  insert: (list: Path, index: number, value: unknown) => run(() => insertItem(current(), list, index, value)),
  move: (list: Path, from: number, to: number) => run(() => moveItem(current(), list, from, to)),
  rename: (path: Path, newKey: string) => run(() => renameKey(current(), path, newKey)),
  apply: (fn: (parsed: ReturnType<typeof current>) => EditResult) => run(() => fn(current())),
};

export const fieldId = (path: Path) => `tf-${formatPath(path).replace(/[^A-Za-z0-9_-]+/g, '-')}`;
