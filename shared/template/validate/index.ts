import { isScalar, visit, type Node } from 'yaml';
import { parseTemplate, type ParsedTemplate } from '../document';
import { textLimitProblem, treeTooDeep } from '../limits';
import { sortProblems, syntaxFirst, YAML_SYNTAX_RULE, type TemplateProblem } from '../problems';
import { ValidationContext } from './context';
import { validateRoot } from './top';

/** What each YAML parser error means, in plain words (the parser's own message follows as the detail). */
const SYNTAX_WORDS: Partial<Record<string, string>> = {
  BAD_INDENT: 'the indentation does not fit here. Line the key up with the other keys at its level (spaces only)',
  BLOCK_AS_IMPLICIT_KEY:
    'a line is indented deeper than the key above it, as if it belonged to that key’s value. Line it up with the other keys at its level',
  MULTILINE_IMPLICIT_KEY: 'a key runs over more than one line. Check for a missing ":" or a line indented too deep',
  TAB_AS_INDENT: 'a tab character is used for indentation; YAML allows only spaces. Replace it with spaces',
  MISSING_CHAR: 'something is not closed: a bracket ], } or a quote is missing',
  UNEXPECTED_TOKEN: 'there is unexpected text here. Check the brackets, quotes and colons',
  BAD_SCALAR_START: 'a value cannot start with this character: put the value in quotes',
  BAD_DQ_ESCAPE: 'a backslash in a double-quoted value starts an unknown escape: use single quotes, or write \\\\',
  BLOCK_IN_FLOW: 'an indented list or mapping is inside [ ] or { }: write it on one line, or use indentation only',
  MULTIPLE_DOCS: 'the file holds more than one YAML document (---); a template is one document',
};

/** YAML syntax errors and warnings, as problems. */
function syntaxProblems(ctx: ValidationContext): void {
  const { doc } = ctx.parsed;
  for (const e of doc.errors) {
    const [from, to] = e.pos;
    const parser = e.message.split('\n')[0];
    const message =
      e.code === 'DUPLICATE_KEY'
        ? {
            text: 'A key appears twice in this mapping: DISM would silently keep only the last one. Remove one of them.',
            detail: `YAML parser: ${parser}`,
          }
        : {
            text: `YAML syntax error: ${SYNTAX_WORDS[e.code] ?? 'the text cannot be read as YAML here'}.`,
            detail: `YAML parser: ${parser}`,
          };
    ctx.error(e.code === 'DUPLICATE_KEY' ? 'duplicate-key' : YAML_SYNTAX_RULE, message, [], { from, to: Math.max(to, from) });
  }
  visit(doc, {
    Map(_, map) {
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        const key = isScalar(pair.key) ? pair.key.value : pair.key;
        if (seen.has(key))
          ctx.error(
            'duplicate-key',
            `"${String(key)}" appears twice in this mapping: DISM would silently keep only the last one. Remove one of them.`,
            [],
            pair.key as Node,
          );
        seen.add(key);
      }
    },
  });
  for (const w of doc.warnings)
    ctx.warn('yaml-warning', { text: `YAML: ${w.message.split('\n')[0]}` }, [], { from: w.pos[0], to: w.pos[1] });
}

/**
 * Every problem dism_core would report, plus DISM Studio's extra checks (pure: no filesystem). The
 * caller lists them through `syntaxFirst` (together with its filesystem problems, if any).
 */
export function validateParsed(parsed: ParsedTemplate): TemplateProblem[] {
  const ctx = new ValidationContext(parsed);
  syntaxProblems(ctx);
  // A document with syntax errors still gets schema checks: yaml recovers most of the structure.
  validateRoot(ctx);
  return sortProblems(ctx.problems);
}

/**
 * Parse within TEMPLATE_LIMITS. Text over a limit is not parsed further: the result holds the text
 * with an empty document, and `limit` says what is wrong.
 */
export function parseTemplateWithinLimits(text: string): { parsed: ParsedTemplate; limit: TemplateProblem | null } {
  const unparsed = () => ({ ...parseTemplate(''), text });
  const before = textLimitProblem(text);
  if (before) return { parsed: unparsed(), limit: before };
  const parsed = parseTemplate(text);
  const deep = treeTooDeep(text, parsed.doc.contents);
  return deep ? { parsed: unparsed(), limit: deep } : { parsed, limit: null };
}

/**
 * The problems of a template's text as they are listed: only the limit's when the text is over one,
 * only the syntax errors while there are any (`hidden` counts the others).
 */
export function validateTemplateText(text: string): { parsed: ParsedTemplate; problems: TemplateProblem[]; hidden: number } {
  const { parsed, limit } = parseTemplateWithinLimits(text);
  if (limit) return { parsed, problems: [limit], hidden: 0 };
  return { parsed, ...syntaxFirst(validateParsed(parsed)) };
}
