import { redo as cmRedo, undo as cmUndo } from '@codemirror/commands';
import { EditorView } from '@codemirror/view';
import { diffText, type EditResult } from '@/shared/template/edit';
import { useTemplateStore } from './template-store';

/**
 * The CodeMirror view holds the one edit history for both panes: form edits are dispatched to it as
 * ordinary changes, so undo/redo (buttons, Ctrl+Z in either pane) walks through form and YAML
 * edits alike.
 */
let view: EditorView | null = null;

export function registerEditorView(v: EditorView | null): void {
  view = v;
}

/** Apply a new full text as a minimal change; typing edits merge into one undo step. */
export function applyText(next: string, userEvent: 'input.type' | 'input.form' = 'input.form'): void {
  if (!view) {
    useTemplateStore.getState().setText(next);
    return;
  }
  const current = view.state.doc.toString();
  if (current === next) return;
  const change = diffText(current, next);
  // Keep the edited line visible in the YAML pane without moving the cursor or focus.
  view.dispatch({ changes: change, userEvent, effects: EditorView.scrollIntoView(change.from, { y: 'nearest' }) });
}

export function applyEdit(result: EditResult, userEvent: 'input.type' | 'input.form' = 'input.form'): void {
  applyText(result.text, userEvent);
}

export function undo(): boolean {
  return view ? cmUndo(view) : false;
}

export function redo(): boolean {
  return view ? cmRedo(view) : false;
}

/** Select a range in the YAML pane and scroll to it. */
export function revealRange(from: number, to: number): void {
  if (!view) return;
  const len = view.state.doc.length;
  view.dispatch({ selection: { anchor: Math.min(from, len), head: Math.min(to, len) }, scrollIntoView: true });
  view.focus();
}
