import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { capProblems, cappedNote, TEMPLATE_LIMITS } from './limits';
import type { TemplateProblem } from './problems';
import { validateTemplateText } from './validate/index';

const FIXTURE = readFileSync('test/fixtures/templates/pixel-barrel-nmf.template.yaml', 'utf8');
const rules = (text: string) => validateTemplateText(text).problems.map((p) => p.rule);

/** A mapping nested `depth` levels deep by indentation: a:\n  a:\n    a: 1 */
const blockNested = (depth: number) =>
  Array.from({ length: depth }, (_, i) => `${'  '.repeat(i)}a:${i === depth - 1 ? ' 1' : ''}`).join('\n');
/** `depth` flow sequences inside the top-level mapping (which is one level itself). */
const flowNested = (depth: number) => `a: ${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}\n`;

describe('template limits', () => {
  it(`validates a template of exactly ${TEMPLATE_LIMITS.maxChars} characters and refuses one more`, () => {
    const padded = (n: number) => `${FIXTURE}#${'x'.repeat(n - FIXTURE.length - 2)}\n`;
    expect(padded(TEMPLATE_LIMITS.maxChars)).toHaveLength(TEMPLATE_LIMITS.maxChars);
    expect(rules(padded(TEMPLATE_LIMITS.maxChars))).not.toContain('template-too-large');
    const over = validateTemplateText(padded(TEMPLATE_LIMITS.maxChars + 1)).problems;
    expect(over).toHaveLength(1);
    expect(over[0]).toMatchObject({ severity: 'error', rule: 'template-too-large', line: 1, column: 1 });
    expect(over[0].message).toBe(
      'This template is 1.0 MB; DISM Studio checks templates up to 1.0 MB (a DISM template is usually a few kB). Check that this is the right file.',
    );
    expect(validateTemplateText('x'.repeat(20_971_520)).problems[0].message).toMatch(/^This template is 20\.0 MB; /);
  });

  it(`accepts ${TEMPLATE_LIMITS.maxDepth} levels of nesting and refuses ${TEMPLATE_LIMITS.maxDepth + 1}, block or flow`, () => {
    expect(rules(blockNested(TEMPLATE_LIMITS.maxDepth))).not.toContain('template-too-deep');
    expect(rules(blockNested(TEMPLATE_LIMITS.maxDepth + 1))).toEqual(['template-too-deep']);
    expect(rules(flowNested(TEMPLATE_LIMITS.maxDepth))).not.toContain('template-too-deep');
    expect(rules(flowNested(TEMPLATE_LIMITS.maxDepth + 1))).toEqual(['template-too-deep']);
    const deep = validateTemplateText(`a: 1\nb: 2\nc: ${'['.repeat(100_000)}`).problems[0];
    expect(deep).toMatchObject({ rule: 'template-too-deep', line: 3 });
    expect(deep.message).toMatch(/^The YAML nests more than 64 levels deep here \(a DISM template nests about 8\)/);
  });

  it('100 000 unclosed [ three times, and 100 000 nested flow mappings, get one clear problem', () => {
    expect(rules('['.repeat(100_000).repeat(3))).toEqual(['template-too-deep']);
    expect(rules(`a: ${'{a: '.repeat(100_000)}${'}'.repeat(100_000)}`)).toEqual(['template-too-deep']);
  });

  it('does not count brackets inside quoted scalars as nesting', () => {
    const quoted = FIXTURE.replace('L1KeyMatch: .*collisions.*', `L1KeyMatch: "${'['.repeat(200)}"`);
    expect(rules(quoted)).not.toContain('template-too-deep');
    expect(rules(quoted)).toContain('regex');
  });

  it(`compiles regex fields up to ${TEMPLATE_LIMITS.maxRegexChars} characters and only warns about longer ones`, () => {
    const withRegex = (v: string) => FIXTURE.replace('L1KeyMatch: .*collisions.*', `L1KeyMatch: "${v}"`);
    const atLimit = validateTemplateText(withRegex(`(${'a'.repeat(TEMPLATE_LIMITS.maxRegexChars - 1)}`)).problems;
    expect(atLimit.find((p) => p.rule === 'regex')?.message).toMatch(/^L1KeyMatch is not a valid regular expression: /);
    const over = validateTemplateText(withRegex(`(${'a'.repeat(TEMPLATE_LIMITS.maxRegexChars)}`)).problems;
    expect(over.find((p) => p.rule === 'regex')).toBeUndefined();
    expect(over.find((p) => p.rule === 'regex-not-checked')).toMatchObject({
      severity: 'warning',
      path: 'Resources.PixelNMF.Properties.InferenceOnConditions.L1KeyMatch',
    });
    expect(over.find((p) => p.rule === 'regex-not-checked')!.message).toBe(
      "L1KeyMatch is 1,001 characters long; DISM Studio checks regular expressions up to 1,000 characters, so this one is not checked (DISM compiles it with Python's re when the model runs). Shorten it.",
    );
  });

  it('never compiles the patterns that crash or stall V8 (100 000 nested look-aheads, a million alternatives)', () => {
    for (const pattern of [`${'(?='.repeat(100_000)}a${')'.repeat(100_000)}`, 'a|'.repeat(500_000)]) {
      expect(rules(FIXTURE.replace('L1KeyMatch: .*collisions.*', `L1KeyMatch: "${pattern}"`))).toContain('regex-not-checked');
    }
  });

  it(`lists at most ${TEMPLATE_LIMITS.maxProblems} problems and counts them all`, () => {
    const p = (severity: 'error' | 'warning'): TemplateProblem => ({
      severity,
      rule: 'x',
      message: 'm',
      path: '',
      segments: [],
      line: 1,
      column: 1,
      endLine: 1,
      endColumn: 1,
      from: 0,
      to: 0,
    });
    const exactly = capProblems(Array.from({ length: TEMPLATE_LIMITS.maxProblems }, () => p('error')));
    expect(exactly).toMatchObject({ total: TEMPLATE_LIMITS.maxProblems, errors: TEMPLATE_LIMITS.maxProblems });
    expect(cappedNote(exactly.problems.length, exactly.total)).toBeNull();
    const over = capProblems([...Array.from({ length: 150 }, () => p('error')), ...Array.from({ length: 1851 }, () => p('warning'))]);
    expect(over.problems).toHaveLength(TEMPLATE_LIMITS.maxProblems);
    expect(over).toMatchObject({ total: 2001, errors: 150 });
    expect(cappedNote(over.problems.length, over.total)).toBe(
      'Showing the first 200 of 2,001 problems (errors first). The list updates as you fix them.',
    );
  });
});
