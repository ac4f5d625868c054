export type Severity = 'error' | 'warning';

export type PathSegment = string | number;

/** A one-click repair the UI can offer next to a problem. */
export type ProblemFix =
  | { kind: 'migrate-legacy-datatypes'; label: string }
  | { kind: 'set-value'; label: string; path: PathSegment[]; value: unknown }
  | { kind: 'rename-key'; label: string; path: PathSegment[]; newKey: string };

export interface TemplateProblem {
  severity: Severity;
  message: string;
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
