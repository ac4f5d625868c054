import { indentLess, indentMore } from '@codemirror/commands';
import { EditorSelection, type StateCommand } from '@codemirror/state';

/** YAML indents with spaces only (a tab character is a syntax error); DISM templates use two. */
export const YAML_INDENT = '  ';

/**
 * Tab in the YAML pane: inserts two spaces at the cursor (replacing a selection within one line) and
 * never re-indents the line it is on, so a valid line cannot turn into a syntax error by a stray Tab.
 * A selection over several lines is indented as a block, which is what selecting lines and pressing
 * Tab asks for. (Escape, then Tab, moves the focus out of the editor.)
 */
export const insertYamlIndent: StateCommand = (target) => {
  const { state, dispatch } = target;
  const multiLine = state.selection.ranges.some((r) => state.doc.lineAt(r.from).number !== state.doc.lineAt(r.to).number);
  if (multiLine) return indentMore(target);
  dispatch(
    state.update(
      state.changeByRange((r) => ({
        changes: { from: r.from, to: r.to, insert: YAML_INDENT },
        range: EditorSelection.cursor(r.from + YAML_INDENT.length),
      })),
      { scrollIntoView: true, userEvent: 'input' },
    ),
  );
  return true;
};

/** The pane's Tab bindings: Tab as above, Shift+Tab removes one indentation level of the selected lines. */
export const yamlTabKeymap = [{ key: 'Tab', run: insertYamlIndent, shift: indentLess }];
