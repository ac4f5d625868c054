import { isMap, isPair, isSeq, type Node } from 'yaml';
import type { TemplateProblem } from './problems';

/**
 * How much template DISM Studio checks. A DISM template is a few kB and nests about eight levels;
 * the limits leave room for hundreds of resources while keeping one validation within seconds and
 * its answer small, whatever text arrives (a pasted binary, a runaway generator, a hostile client).
 * The editor, the back end and the CLI apply the same limits.
 */
export const TEMPLATE_LIMITS = {
  /** Characters of template text that are validated (1 MiB). */
  maxChars: 1_048_576,
  /** Nesting levels of mappings and sequences, block or flow (`[`, `{`). */
  maxDepth: 64,
  /** Problems listed in one answer, errors first; the total is still counted and reported. */
  maxProblems: 200,
  /** Characters of a regular-expression field that DISM Studio compiles to check it. */
  maxRegexChars: 1_000,
} as const;

function megabytes(chars: number): string {
  return chars >= 100_000 ? `${(chars / 1_048_576).toFixed(1)} MB` : `${Math.ceil(chars / 1024)} kB`;
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

function limitProblem(text: string, rule: string, message: string, offset: number): TemplateProblem {
  const { line, column } = lineColumn(text, offset);
  return {
    severity: 'error',
    rule,
    message,
    path: '',
    segments: [],
    line,
    column,
    endLine: line,
    endColumn: column,
    from: offset,
    to: offset,
  };
}

/** The problem for a template over the size limit (`size` in characters, or bytes of a file not read). */
export function templateTooLarge(size: number): TemplateProblem {
  return limitProblem(
    '',
    'template-too-large',
    `This template is ${megabytes(size)}; DISM Studio checks templates up to ${megabytes(TEMPLATE_LIMITS.maxChars)} (a DISM template is usually a few kB). Check that this is the right file.`,
    0,
  );
}

function tooDeep(text: string, offset: number): TemplateProblem {
  return limitProblem(
    text,
    'template-too-deep',
    `The YAML nests more than ${TEMPLATE_LIMITS.maxDepth} levels deep here (a DISM template nests about 8), so DISM Studio does not check it further. Look for runaway [ or { brackets or indentation.`,
    offset,
  );
}

/**
 * Checks that need no parse, run before parsing: the size, and how deep flow collections (`[`, `{`)
 * nest (deep flow nesting makes the YAML parser itself slow). The parsed tree is measured exactly
 * afterwards (`treeTooDeep`), block indentation included.
 */
export function textLimitProblem(text: string): TemplateProblem | null {
  if (text.length > TEMPLATE_LIMITS.maxChars) return templateTooLarge(text.length);
  // A plain bracket count first (fast); only if it goes over, a second count that skips quoted
  // scalars, so a regex like "[[[[…" in quotes is not taken for nesting.
  if (flowDepthOffset(text, false) === -1) return null;
  const at = flowDepthOffset(text, true);
  return at === -1 ? null : tooDeep(text, at);
}

/** Offset of the first `[`/`{` nested deeper than the limit, or -1. */
function flowDepthOffset(text: string, honourQuotes: boolean): number {
  let depth = 0;
  let quote = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (quote) {
      if (quote === 0x22 && c === 0x5c) i++;
      else if (c === quote) quote = 0;
    } else if (honourQuotes && (c === 0x22 || c === 0x27) && (i === 0 || /[\s[{,:]/.test(text[i - 1]))) {
      quote = c; // a quote opens a scalar only at its start, not inside a plain scalar like it's
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > TEMPLATE_LIMITS.maxDepth) return i;
    } else if ((c === 0x5d || c === 0x7d) && depth > 0) depth--;
  }
  return -1;
}

/** The first node nested deeper than the limit in a parsed document, as a problem (walked without recursion). */
export function treeTooDeep(text: string, root: unknown): TemplateProblem | null {
  const stack: Array<[unknown, number]> = [[root, 0]];
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    if (!isMap(node) && !isSeq(node)) continue;
    if (depth + 1 > TEMPLATE_LIMITS.maxDepth) return tooDeep(text, (node as Node).range?.[0] ?? 0);
    for (const item of node.items as unknown[]) {
      if (isPair(item)) {
        stack.push([item.key, depth + 1]);
        stack.push([item.value, depth + 1]);
      } else stack.push([item, depth + 1]);
    }
  }
  return null;
}

/** The problems one answer lists (errors come first in `sorted`), and how many problems and errors there were. */
export function capProblems(sorted: TemplateProblem[]): { problems: TemplateProblem[]; total: number; errors: number } {
  const errors = sorted.reduce((n, p) => n + (p.severity === 'error' ? 1 : 0), 0);
  return {
    problems: sorted.length > TEMPLATE_LIMITS.maxProblems ? sorted.slice(0, TEMPLATE_LIMITS.maxProblems) : sorted,
    total: sorted.length,
    errors,
  };
}

const CAPPED_NOTE_START = 'Showing the first ';

/** The note that says a list was cut, or null when it was not. */
export function cappedNote(shown: number, total: number): string | null {
  return total > shown
    ? `${CAPPED_NOTE_START}${shown} of ${total.toLocaleString('en-US')} problems (errors first). The list updates as you fix them.`
    : null;
}

export function isCappedNote(note: string): boolean {
  return note.startsWith(CAPPED_NOTE_START);
}
