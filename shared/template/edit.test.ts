import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { deleteAt, diffText, duplicatePair, insertItem, moveItem, renameKey, setValue } from './edit';
import { parseTemplate, pathAtOffset } from './document';
import { migrateLegacyDataTypes } from './legacy';
import type { PathSegment } from './problems';
import { validateTemplateText } from './validate/index';

const FIXTURE = readFileSync('test/fixtures/templates/pixel-barrel-nmf.template.yaml', 'utf8');
const P: PathSegment[] = ['Resources', 'PixelNMF', 'Properties'];

/** Lines of `b` that differ from `a`, assuming the same line count. */
function changedLines(a: string, b: string): Array<[number, string, string]> {
  const la = a.split('\n');
  const lb = b.split('\n');
  expect(lb.length).toBe(la.length);
  return la.flatMap((l, i) => (l === lb[i] ? [] : [[i + 1, l, lb[i]] as [number, string, string]]));
}

const comments = (t: string) => t.split('\n').filter((l) => l.trim().startsWith('#') || / #/.test(l));

describe('lossless edits on the production template', () => {
  it('editing Name changes only that line', () => {
    const { text, change } = setValue(FIXTURE, [...P, 'Name'], 'pixel-barrel-nmf-v2');
    expect(changedLines(FIXTURE, text)).toEqual([[11, '      Name: pixel-barrel-nmf', '      Name: pixel-barrel-nmf-v2']]);
    expect(FIXTURE.slice(0, change.from) + change.insert + FIXTURE.slice(change.to)).toBe(text);
    expect(change).toEqual({ from: 315, to: 331, insert: 'pixel-barrel-nmf-v2' });
    expect(diffText(FIXTURE, text)).toEqual({ from: 331, to: 331, insert: '-v2' });
  });

  it('keeps quoting and the spelling of other scalars', () => {
    const v = setValue(FIXTURE, ['TemplateFormatVersion'], '2025-03-31').text;
    expect(v).toBe(FIXTURE);
    const b = setValue(FIXTURE, [...P, 'InferenceOnConditions', 'StableBeams'], false).text;
    expect(changedLines(FIXTURE, b)).toEqual([[23, '        StableBeams: True', '        StableBeams: false']]);
    const r = setValue(FIXTURE, [...P, 'InferenceOnConditions', 'MinRunNumber'], 400000).text;
    expect(changedLines(FIXTURE, r)).toEqual([
      [21, '        MinRunNumber: 396598 # only start at 2025F', '        MinRunNumber: 400000 # only start at 2025F'],
    ]);
  });

  it('quotes strings that YAML would read as something else', () => {
    const t = setValue(FIXTURE, [...P, 'InferenceOnConditions', 'FillType'], 'yes').text;
    expect(t).toContain('        FillType: "yes"\n');
    expect(parseTemplate(t).doc.getIn([...P, 'InferenceOnConditions', 'FillType'])).toBe('yes');
  });

  it('migrates TYPE_* data types, touching only those lines', () => {
    const { text, count } = migrateLegacyDataTypes(FIXTURE);
    expect(count).toBe(17);
    const diff = changedLines(FIXTURE, text);
    expect(diff).toHaveLength(17);
    for (const [, before, after] of diff) expect(before.replace('TYPE_', '')).toBe(after);
    expect(validateTemplateText(text).problems).toEqual([]);
  });

  it('inserts a missing key in DISM order, keeping comments and blank lines', () => {
    const { text } = setValue(FIXTURE, [...P, 'Tags'], [{ Name: 'layer', Value: 'barrel' }]);
    expect(text).toContain('      Name: pixel-barrel-nmf\n      Tags:\n        - Name: layer\n          Value: barrel\n      Image:');
    expect(comments(text)).toEqual(comments(FIXTURE));
    expect(text.replace('      Tags:\n        - Name: layer\n          Value: barrel\n', '')).toBe(FIXTURE);
  });

  it('creates nested keys in an existing mapping', () => {
    const { text } = setValue(FIXTURE, [...P, 'InferenceOnConditions', 'MinNumberOfLumisection'], 10);
    expect(text).toContain('        MaxRunNumber: 999999\n        MinNumberOfLumisection: 10\n        StableBeams: True');
  });

  it('inserts, moves and deletes list items keeping the commented-out BPix1 block', () => {
    const sig = [...P, 'InputSignature'];
    const item = { Name: 'BPix1', MonitoringElement: 'X/Y', DataType: 'INT32', Dims: [-1, 26, 72] };
    const inserted = insertItem(FIXTURE, sig, 3, item).text;
    expect(parseTemplate(inserted).doc.getIn([...sig, 3, 'Name'])).toBe('BPix1');
    expect(comments(inserted)).toEqual(comments(FIXTURE));
    const moved = moveItem(FIXTURE, sig, 2, 0).text;
    const names = (parseTemplate(moved).doc.getIn(sig) as { toJSON(): Array<{ Name: string }> }).toJSON().map((s) => s.Name);
    expect(names).toEqual(['BPix4', 'BPix2', 'BPix3']);
    expect(comments(moved)).toEqual(comments(FIXTURE));
    expect(moveItem(moved, sig, 0, 2).text).toBe(FIXTURE);
    const deleted = deleteAt(FIXTURE, [...sig, 1]).text;
    expect(deleted).not.toContain('PXLayer_3');
    expect(deleted).toContain('#- Name: BPix1');
    expect(insertItem(deleted, sig, 1, (parseTemplate(FIXTURE).doc.getIn([...sig, 1]) as { toJSON(): unknown }).toJSON()).text).toBe(
      FIXTURE,
    );
  });

  it('deletes the first key of a list item without breaking the item', () => {
    const t = deleteAt(FIXTURE, [...P, 'OutputSignature', 0, 'Name']).text;
    expect(t).toContain('        - DataType: TYPE_BOOL\n          Dims:');
    expect(parseTemplate(t).doc.errors).toEqual([]);
  });

  it('edits inside flow collections', () => {
    const src = 'a:\n  Dims: [-1, 58, 72] # shape\n';
    expect(setValue(src, ['a', 'Dims', 1], 60).text).toBe('a:\n  Dims: [-1, 60, 72] # shape\n');
    expect(insertItem(src, ['a', 'Dims'], 3, 5).text).toBe('a:\n  Dims: [ -1, 58, 72, 5 ] # shape\n');
  });

  it('renames and duplicates resources', () => {
    const renamed = renameKey(FIXTURE, ['Resources', 'PixelNMF'], 'PixelNMFv2').text;
    expect(changedLines(FIXTURE, renamed)).toEqual([[4, '  PixelNMF:', '  PixelNMFv2:']]);
    const dup = duplicatePair(FIXTURE, ['Resources', 'PixelNMF'], 'PixelNMF2').text;
    const doc = parseTemplate(dup).doc;
    expect(doc.errors).toEqual([]);
    expect(doc.getIn(['Resources', 'PixelNMF2', 'Properties', 'Name'])).toBe('pixel-barrel-nmf');
    expect(dup.startsWith(FIXTURE)).toBe(true);
  });

  it('fills an empty value and replaces a scalar with a list', () => {
    const src = 'a:\n  b:\n  c: 1 # keep\n';
    expect(setValue(src, ['a', 'b'], 'x').text).toBe('a:\n  b: x\n  c: 1 # keep\n');
    expect(setValue(src, ['a', 'b'], ['p', 'q']).text).toBe('a:\n  b:\n    - p\n    - q\n  c: 1 # keep\n');
    expect(setValue(src, ['a', 'c'], { d: 2 }).text).toBe('a:\n  b:\n  c:\n    d: 2 # keep\n');
  });

  it('finds the path under the YAML cursor', () => {
    const parsed = parseTemplate(FIXTURE);
    expect(pathAtOffset(parsed.doc, FIXTURE.indexOf('pixel-barrel-nmf') + 3)).toEqual([...P, 'Name']);
    expect(pathAtOffset(parsed.doc, FIXTURE.indexOf('- 130') + 3)).toEqual([...P, 'InputSignature', 2, 'Dims', 1]);
    expect(pathAtOffset(parsed.doc, FIXTURE.indexOf('BPix3'))).toEqual([...P, 'InputSignature', 1, 'Name']);
  });

  it('keeps CRLF line endings in CRLF files', () => {
    const crlf = FIXTURE.replace(/\n/g, '\r\n');
    let t = setValue(crlf, [...P, 'Tags'], [{ Name: 'a', Value: 'b' }]).text;
    t = insertItem(t, [...P, 'OutputSignature'], 2, { Name: 'Z', DataType: 'FP32', Dims: [-1] }).text;
    t = deleteAt(t, [...P, 'Image']).text;
    t = deleteAt(t, [...P, 'InputSignature', 1]).text;
    expect(/[^\r]\n/.test(t)).toBe(false);
    expect(parseTemplate(t).doc.getIn([...P, 'OutputSignature', 2, 'Name'])).toBe('Z');
    expect(parseTemplate(t).doc.getIn([...P, 'Image'])).toBeUndefined();
  });
});
