import { readFileSync } from 'node:fs';
import { beforeEach, describe, expect, it } from 'vitest';
import { duplicatePair } from '@/shared/template/edit';
import { edits } from './form/field-hooks';
import { applyFix } from './fixes';
import { diskText, selectDirty, useTemplateStore } from './template-store';

const FIXTURE = readFileSync('test/fixtures/templates/pixel-barrel-nmf.template.yaml', 'utf8');
const P = ['Resources', 'PixelNMF', 'Properties'];

function load(text: string) {
  useTemplateStore
    .getState()
    .loaded({ projectDir: '/p', relPath: 'template.yaml', text, disk: { hash: 'h', mtimeMs: 0, size: text.length }, draft: null });
}

beforeEach(() => load(FIXTURE));

describe('template editor store (no editor view mounted)', () => {
  it('form edits splice the text and re-validate', () => {
    edits.set([...P, 'Name'], 'Bad_Name', true);
    const s = useTemplateStore.getState();
    expect(s.text).toBe(FIXTURE.replace('Name: pixel-barrel-nmf', 'Name: Bad_Name'));
    expect(selectDirty(s)).toBe(true);
    expect(s.problemsByPath.get('Resources.PixelNMF.Properties.Name')?.[0].rule).toBe('name-format');
    edits.set([...P, 'Name'], 'pixel-barrel-nmf', true);
    expect(selectDirty(useTemplateStore.getState())).toBe(false);
  });

  it('fixes apply as edits: the legacy DataType migration clears every warning', () => {
    const fix = useTemplateStore.getState().problems.find((p) => p.rule === 'legacy-datatype')!.fix!;
    applyFix(fix);
    expect(useTemplateStore.getState().problems).toEqual([]);
  });

  it('filesystem problems from the back end follow their node when lines move', () => {
    const s = useTemplateStore.getState();
    const modelUri = s.parsed.doc.getIn([...P, 'ModelUri'], true) as { range: number[] };
    s.setFsResult(
      [
        {
          severity: 'error',
          message: 'missing',
          path: 'Resources.PixelNMF.Properties.ModelUri',
          segments: [...P, 'ModelUri'],
          line: 141,
          column: 17,
          endLine: 141,
          endColumn: 20,
          from: modelUri.range[0],
          to: modelUri.range[1],
          rule: 'path-missing',
        },
      ],
      [],
    );
    edits.set([...P, 'Tags'], [{ Name: 'a', Value: 'b' }]);
    const moved = useTemplateStore.getState().problems.find((p) => p.rule === 'path-missing')!;
    expect(moved.line).toBe(144);
  });

  it('keeps a link-loop problem from the back end (a filesystem rule like the others)', () => {
    const s = useTemplateStore.getState();
    const codeUri = s.parsed.doc.getIn([...P, 'CodeUri'], true) as { range: number[] };
    s.setFsResult(
      [
        {
          severity: 'error',
          message: 'CodeUri: x is a link to a folder that contains it',
          path: 'Resources.PixelNMF.Properties.CodeUri',
          segments: [...P, 'CodeUri'],
          line: 1,
          column: 1,
          endLine: 1,
          endColumn: 2,
          from: codeUri.range[0],
          to: codeUri.range[1],
          rule: 'path-loop',
        },
      ],
      [],
    );
    expect(useTemplateStore.getState().problems.map((p) => p.rule)).toContain('path-loop');
  });

  it('big templates analyse after a pause, but edits always splice the latest text', () => {
    let big = FIXTURE;
    for (let i = 2; i <= 12; i++) big = duplicatePair(big, ['Resources', 'PixelNMF'], `PixelNMF${i}`).text;
    load(big);
    const typed = big.replace(
      '  PixelNMF5:\n    Type: InferenceService::MLServer::SKLearn\n    Workspace: global',
      '  PixelNMF5:\n    Type: InferenceService::MLServer::SKLearn\n    Workspace: tracker',
    );
    useTemplateStore.getState().setText(typed);
    expect(useTemplateStore.getState().parsed.text).toBe(big);
    edits.set(['Resources', 'PixelNMF9', 'Properties', 'Name'], 'nine');
    expect(useTemplateStore.getState().parsed.text).not.toBe(useTemplateStore.getState().text);
    useTemplateStore.getState().ensureParsed();
    const s = useTemplateStore.getState();
    expect(s.parsed.text).toBe(s.text);
    expect(s.parsed.doc.getIn(['Resources', 'PixelNMF5', 'Workspace'])).toBe('tracker');
    expect(s.parsed.doc.getIn(['Resources', 'PixelNMF9', 'Properties', 'Name'])).toBe('nine');
  });

  it('edits CRLF files as LF and saves them back with CRLF', () => {
    load(FIXTURE.replace(/\n/g, '\r\n'));
    expect(useTemplateStore.getState().text).toBe(FIXTURE);
    edits.set([...P, 'Name'], 'crlf-name', true);
    const out = diskText(useTemplateStore.getState().text);
    expect(out).toBe(FIXTURE.replace('Name: pixel-barrel-nmf', 'Name: crlf-name').replace(/\n/g, '\r\n'));
  });
});
