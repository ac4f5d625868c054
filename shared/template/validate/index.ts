import { isScalar, visit, type Node } from 'yaml';
import { parseTemplate, type ParsedTemplate } from '../document';
import { textLimitProblem, treeTooDeep } from '../limits';
import { sortProblems, syntaxFirst, YAML_SYNTAX_RULE, type TemplateProblem } from '../problems';
import { ValidationContext } from './context';
import { validateRoot } from './top';

/** YAML syntax errors and warnings, as problems. */
function syntaxProblems(ctx: ValidationContext): void {
  const { doc } = ctx.parsed;
  for (const e of doc.errors) {
    const [from, to] = e.pos;
    const message =
      e.code === 'DUPLICATE_KEY'
        ? `${e.message.split('\n')[0]} (DISM would silently keep only the last one)`
        : `YAML syntax error: ${e.message.split('\n')[0]}`;
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
            `Map keys must be unique: "${String(key)}" appears twice here (DISM would silently keep only the last one).`,
            [],
            pair.key as Node,
          );
        seen.add(key);
      }
    },
  });
  for (const w of doc.warnings) ctx.warn('yaml-warning', `YAML: ${w.message.split('\n')[0]}`, [], { from: w.pos[0], to: w.pos[1] });
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
