import type { JobLogLine } from '@/shared/api/contract';

export interface LogViewState {
  /** Last seq shown while paused (null: following). */
  pausedAt: number | null;
  query: string;
  onlyMatches: boolean;
}

/** What the log viewer shows: frozen at the pause point, optionally only lines matching the search (case-insensitive). */
export function filterLog(lines: readonly JobLogLine[], s: LogViewState): { shown: JobLogLine[]; matches: number; newWhilePaused: number } {
  const visible = s.pausedAt === null ? lines : lines.filter((l) => l.seq <= s.pausedAt!);
  const q = s.query.trim().toLowerCase();
  const matching = q ? visible.filter((l) => l.text.toLowerCase().includes(q)) : [];
  return { shown: q && s.onlyMatches ? matching : [...visible], matches: matching.length, newWhilePaused: lines.length - visible.length };
}

/** Split text around case-insensitive occurrences of q: odd indices are matches. */
export function splitMatches(text: string, q: string): string[] {
  if (!q) return [text];
  const out: string[] = [];
  const lower = text.toLowerCase();
  let i = 0;
  for (let j = lower.indexOf(q); j >= 0; j = lower.indexOf(q, i)) {
    out.push(text.slice(i, j), text.slice(j, j + q.length));
    i = j + q.length;
  }
  out.push(text.slice(i));
  return out;
}
