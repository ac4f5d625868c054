import { EditorSelection, EditorState, type Transaction } from '@codemirror/state';
import { indentUnit } from '@codemirror/language';
import { describe, expect, it } from 'vitest';
import { insertYamlIndent } from './yaml-tab';

const DOC = 'Properties:\n  FlaggingKey: Flag\n  MetricKey: Metric\n';

function press(doc: string, selection: EditorSelection): string {
  let state = EditorState.create({ doc, selection, extensions: [indentUnit.of('  '), EditorState.tabSize.of(2)] });
  const handled = insertYamlIndent({ state, dispatch: (tr: Transaction) => (state = tr.state) });
  expect(handled).toBe(true);
  return state.doc.toString();
}

describe('Tab in the YAML pane', () => {
  const lineEnd = DOC.indexOf('Metric\n') + 'Metric'.length;
  it('inserts two spaces at the cursor and leaves the line’s indentation alone', () => {
    expect(press(DOC, EditorSelection.single(lineEnd))).toBe('Properties:\n  FlaggingKey: Flag\n  MetricKey: Metric  \n');
    const lineStart = DOC.indexOf('  MetricKey');
    expect(press(DOC, EditorSelection.single(lineStart + 2))).toBe('Properties:\n  FlaggingKey: Flag\n    MetricKey: Metric\n');
  });
  it('never writes a tab character; a selection within a line is replaced', () => {
    const from = DOC.indexOf('Metric\n');
    const out = press(DOC, EditorSelection.single(from, from + 6));
    expect(out).toBe('Properties:\n  FlaggingKey: Flag\n  MetricKey:   \n');
    expect(out).not.toContain('\t');
  });
  it('indents a selection over several lines as a block', () => {
    expect(press(DOC, EditorSelection.single(DOC.indexOf('  Flagging'), lineEnd))).toBe(
      'Properties:\n    FlaggingKey: Flag\n    MetricKey: Metric\n',
    );
  });
});
