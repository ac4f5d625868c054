import { yaml } from '@codemirror/lang-yaml';
import { lintGutter, setDiagnostics, type Diagnostic } from '@codemirror/lint';
import { EditorState } from '@codemirror/state';
import { EditorView, keymap } from '@codemirror/view';
import { basicSetup } from 'codemirror';
import { useEffect, useRef } from 'react';
import { pathAtOffset } from '@/shared/template/document';
import { registerEditorView } from './editor-bridge';
import { yamlTabKeymap } from './yaml-tab';
import { useTemplateStore } from './template-store';

/** Scroll the form to the field for the YAML under the cursor (the deepest one the form shows). */
function revealInForm(offset: number): void {
  const path = pathAtOffset(useTemplateStore.getState().ensureParsed().doc, offset).map(String);
  for (let n = path.length; n > 0; n--) {
    const el = document.querySelector(`.form-pane [data-path="${CSS.escape(path.slice(0, n).join('.'))}"]`);
    if (!el) continue;
    el.scrollIntoView({ block: 'nearest' });
    el.classList.add('tf-highlight');
    setTimeout(() => el.classList.remove('tf-highlight'), 1200);
    return;
  }
}

/**
 * The raw YAML pane. CodeMirror 6 (not Monaco): modular and light, needs no web workers, so it runs
 * in the sandboxed renderer under a strict CSP; its history is the shared undo stack of both panes.
 */
export function YamlPane({ docKey }: { docKey: string }) {
  const host = useRef<HTMLDivElement>(null);

  useEffect(() => {
    let revealTimer: ReturnType<typeof setTimeout> | undefined;
    const state = EditorState.create({
      doc: useTemplateStore.getState().text,
      extensions: [
        // basicSetup brings history, the default and history keymaps, search and bracket matching.
        basicSetup,
        // Tab inserts spaces; it never re-indents the line (yaml-tab.ts).
        keymap.of(yamlTabKeymap),
        yaml(),
        lintGutter(),
        EditorView.lineWrapping,
        EditorState.tabSize.of(2),
        EditorView.contentAttributes.of({ 'aria-label': 'template.yaml source', 'data-testid': 'yaml-editor' }),
        EditorView.updateListener.of((u) => {
          if (u.docChanged) useTemplateStore.getState().setText(u.state.doc.toString());
          if (u.selectionSet && u.view.hasFocus) {
            clearTimeout(revealTimer);
            const head = u.state.selection.main.head;
            revealTimer = setTimeout(() => revealInForm(head), 200);
          }
        }),
      ],
    });
    const view = new EditorView({ state, parent: host.current! });
    registerEditorView(view);

    // Problems → lint diagnostics (dispatched after the current update finishes).
    const showProblems = () => {
      const { problems, parsed } = useTemplateStore.getState();
      const text = parsed.text;
      // Positions refer to the analysed text; skip while a deferred analysis is catching up.
      if (view.state.doc.length !== text.length) return;
      const diagnostics: Diagnostic[] = problems.map((p) => ({
        from: Math.min(p.from, text.length),
        to: Math.min(Math.max(p.to, p.from), text.length),
        severity: p.severity,
        message: [p.message, p.path && `(${p.path})`, p.detail].filter(Boolean).join('\n'),
      }));
      view.dispatch(setDiagnostics(view.state, diagnostics));
    };
    showProblems();
    const unsubscribe = useTemplateStore.subscribe((s, prev) => {
      if (s.problems !== prev.problems) queueMicrotask(showProblems);
    });
    return () => {
      clearTimeout(revealTimer);
      unsubscribe();
      registerEditorView(null);
      view.destroy();
    };
  }, [docKey]);

  return <div className="yaml-pane" ref={host} />;
}
