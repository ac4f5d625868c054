export type Severity = 'error' | 'warning';

export type PathSegment = string | number;

/** A one-click repair the UI can offer next to a problem. */
export type ProblemFix =
  | { kind: 'migrate-legacy-datatypes'; label: string }
  | { kind: 'set-value'; label: string; path: PathSegment[]; value: unknown }
  | { kind: 'rename-key'; label: string; path: PathSegment[]; newKey: string }
  | { kind: 'delete-key'; label: string; path: PathSegment[] };

export interface TemplateProblem {
  severity: Severity;
  /** In plain words: what is wrong and what to do. */
  message: string;
  /** The technical form, when it says something else: DISM's own message ("DISM: …") or the YAML parser's. */
  detail?: string;
  /** Dotted path, e.g. `Resources.PixelNMF.Properties.InputSignature[0].Name`. */
  path: string;
  segments: PathSegment[];
  /** 1-based position in the YAML text. */
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  /** Offsets into the text (UTF-16 code units), for editor highlighting. */
  from: number;
  to: number;
  /** Stable rule id, e.g. `name-format`; tests and the UI key on it. */
  rule: string;
  fix?: ProblemFix;
}

/** A rule's message: plain words first, and how DISM itself (or the YAML parser) puts it, when that differs. */
export interface RuleMessage {
  text: string;
  detail?: string;
}

/** A message in plain words with DISM's (pydantic's) own wording as its detail. */
export function dismSays(text: string, dismText: string): RuleMessage {
  return { text, detail: `DISM: ${dismText}` };
}

export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else out += out ? `.${s}` : s;
  }
  return out;
}

export function hasErrors(problems: readonly TemplateProblem[]): boolean {
  return problems.some((p) => p.severity === 'error');
}

/** Errors first, then by position. */
export function sortProblems(problems: TemplateProblem[]): TemplateProblem[] {
  return problems.sort((a, b) => (a.severity === b.severity ? a.from - b.from : a.severity === 'error' ? -1 : 1));
}

/** The rule of a YAML syntax error (the text is not valid YAML). */
export const YAML_SYNTAX_RULE = 'yaml-syntax';

/**
 * A YAML syntax error is the root cause of whatever else looks wrong: the parser recovers what it
 * can, and a key it could not place shows up as "Field required" or as a value of the wrong type. So
 * while there is one, only the syntax errors are listed; `hidden` counts the other problems.
 */
export function syntaxFirst(problems: TemplateProblem[]): { problems: TemplateProblem[]; hidden: number } {
  const syntax = problems.filter((p) => p.rule === YAML_SYNTAX_RULE);
  return syntax.length ? { problems: syntax, hidden: problems.length - syntax.length } : { problems, hidden: 0 };
}

/** What the list says about the problems `syntaxFirst` held back, or null when there are none. */
export function syntaxHiddenNote(hidden: number): string | null {
  if (hidden === 0) return null;
  return `${hidden} other problem${hidden === 1 ? ' is' : 's are'} not listed until the YAML syntax error is fixed: they may only be consequences of it.`;
}

/** Whether a note is the one `syntaxHiddenNote` writes (a list merged from several answers counts again). */
export function isSyntaxHiddenNote(note: string): boolean {
  return / not listed until the YAML syntax error is fixed/.test(note);
}
