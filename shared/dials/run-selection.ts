/**
 * The runs a DIALS fetch asks for, as a physicist types them: a range `398100-398110` (both ends
 * included) or a list `398100,398101,398108`. One parser for the UI and the CLI.
 */
export type RunSelection = { kind: 'range'; first: number; last: number } | { kind: 'list'; runs: number[] };

/** At most this many runs in one list (a range is bounded by what DIALS has). */
export const MAX_LISTED_RUNS = 1000;

export class RunSelectionError extends Error {
  override name = 'RunSelectionError';
}

const RUN = /^\d{1,9}$/;

function runNumber(text: string, whole: string): number {
  if (!RUN.test(text))
    throw new RunSelectionError(`"${text}" in "${whole}" is not a run number; write a range (398100-398110) or a list (398100,398101)`);
  const n = Number(text);
  if (n <= 0) throw new RunSelectionError(`run numbers start at 1, got ${text}`);
  return n;
}

/** Parse `A-B` or `A,B,C` (spaces allowed, also `A - B` and `A, B`); throws RunSelectionError with what to write instead. */
export function parseRunSelection(text: string): RunSelection {
  const whole = text.trim();
  if (!whole) throw new RunSelectionError('give the runs: a range (398100-398110) or a list (398100,398101)');
  const range = whole.match(/^(\S+)\s*[-–]\s*(\S+)$/);
  if (range && !whole.includes(',')) {
    const first = runNumber(range[1], whole);
    const last = runNumber(range[2], whole);
    if (last < first) throw new RunSelectionError(`the range ${whole} ends before it starts; write ${last}-${first}`);
    return { kind: 'range', first, last };
  }
  const parts = whole
    .split(/[\s,]+/)
    .map((p) => p.trim())
    .filter(Boolean);
  const runs = [...new Set(parts.map((p) => runNumber(p, whole)))].sort((a, b) => a - b);
  if (runs.length > MAX_LISTED_RUNS) throw new RunSelectionError(`at most ${MAX_LISTED_RUNS} runs in a list; give a range instead`);
  return { kind: 'list', runs };
}

/** The text parseRunSelection reads back to the same selection. */
export function formatRunSelection(s: RunSelection): string {
  return s.kind === 'range' ? `${s.first}-${s.last}` : s.runs.join(',');
}

export function runSelected(s: RunSelection, run: number): boolean {
  return s.kind === 'range' ? run >= s.first && run <= s.last : s.runs.includes(run);
}
