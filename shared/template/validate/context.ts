import { isPair, isScalar, type Node, type Pair } from 'yaml';
import type { ParsedTemplate } from '../document';
import { formatPath, type PathSegment, type ProblemFix, type RuleMessage, type Severity, type TemplateProblem } from '../problems';
import { didYouMean } from '../suggest';

/** Where a problem points: a node, a pair (its key), or an explicit offset range. */
export type At = Node | Pair | { from: number; to: number } | null | undefined;

export class ValidationContext {
  readonly problems: TemplateProblem[] = [];
  constructor(readonly parsed: ParsedTemplate) {}

  report(severity: Severity, rule: string, message: string | RuleMessage, segments: PathSegment[], at: At, fix?: ProblemFix): void {
    const [from, to] = this.rangeOf(at);
    const { text, detail } = typeof message === 'string' ? { text: message, detail: undefined } : message;
    const start = this.parsed.lineCounter.linePos(from);
    const end = this.parsed.lineCounter.linePos(to);
    this.problems.push({
      severity,
      message: text,
      ...(detail ? { detail } : {}),
      path: formatPath(segments),
      segments: [...segments],
      line: start.line,
      column: start.col,
      endLine: end.line,
      endColumn: end.col,
      from,
      to,
      rule,
      ...(fix ? { fix } : {}),
    });
  }

  error(rule: string, message: string | RuleMessage, segments: PathSegment[], at: At, fix?: ProblemFix): void {
    this.report('error', rule, message, segments, at, fix);
  }

  warn(rule: string, message: string | RuleMessage, segments: PathSegment[], at: At, fix?: ProblemFix): void {
    this.report('warning', rule, message, segments, at, fix);
  }

  private rangeOf(at: At): [number, number] {
    if (!at) return [0, 0];
    if (isPair(at)) return this.rangeOf((at.key as Node | null) ?? (at.value as Node | null));
    if ('from' in at) return [at.from, at.to];
    const r = (at as Node).range;
    if (!r) return [0, 0];
    // Collections end after their trailing newline; highlight only up to the content end.
    let end = r[1];
    const text = this.parsed.text;
    while (end > r[0] && /\s/.test(text[end - 1] ?? '')) end--;
    return [r[0], Math.max(end, r[0])];
  }

  /** Warn about keys DISM silently ignores, suggesting the closest known key. */
  unknownKeys(pairs: Pair[], segments: PathSegment[], known: readonly string[], explain?: (key: string) => string | undefined): void {
    for (const pair of pairs) {
      const key = isScalar(pair.key) ? pair.key.value : undefined;
      if (typeof key !== 'string' || known.includes(key)) continue;
      const explained = explain?.(key);
      if (explained) {
        this.warn('unknown-key', explained, [...segments, key], pair);
        continue;
      }
      const suggestion = didYouMean(key, known);
      const path = [...segments, key];
      // Renaming onto a key that is already there would make a duplicate: offer the fix that applies.
      if (suggestion && pairs.some((p) => isScalar(p.key) && p.key.value === suggestion)) {
        this.warn(
          'unknown-key',
          `Unknown key "${key}" (DISM ignores it): it looks like a misspelt ${suggestion}, which is already set here. Remove it.`,
          path,
          pair,
          { kind: 'delete-key', label: `Remove ${key}`, path },
        );
        continue;
      }
      this.warn(
        'unknown-key',
        `Unknown key "${key}" (DISM ignores it).${suggestion ? ` Did you mean "${suggestion}"?` : ''}`,
        path,
        pair,
        suggestion ? { kind: 'rename-key', label: `Rename to ${suggestion}`, path, newKey: suggestion } : undefined,
      );
    }
  }
}
