/**
 * What the lumisection timeline draws, computed without the DOM: run boundaries, the visible index
 * window, which LS pass the "flagged only" / "filtered only" toggles, and keyboard navigation.
 */
import type { LumisectionResult } from '@/shared/api/contract/pipeline';

/** One LS as the back end streams it (per-layer entries are not needed on the timeline). */
export type TimelineLs = Omit<LumisectionResult, 'entries'>;

export interface ViewWindow {
  /** First visible position (fractional, in LS positions). */
  start: number;
  /** Number of LS positions visible. */
  span: number;
}

export interface RunSpan {
  run: number;
  /** Positions [from, to). */
  from: number;
  to: number;
}

/** Consecutive stretches of the same run (LS are drawn in input order). */
export function runSpans(items: readonly TimelineLs[]): RunSpan[] {
  const out: RunSpan[] = [];
  items.forEach((it, i) => {
    const last = out[out.length - 1];
    if (last && last.run === it.run) last.to = i + 1;
    else out.push({ run: it.run, from: i, to: i + 1 });
  });
  return out;
}

export { reasonCategory, REASON_LABEL, type ReasonCategory } from '@/shared/pipeline/filter-reasons';

export interface Toggles {
  flaggedOnly: boolean;
  filteredOnly: boolean;
}

/** Whether an LS is among those the toggles keep (both on: flagged before filter and filtered). */
export function passesToggles(it: TimelineLs, t: Toggles): boolean {
  if (t.flaggedOnly && t.filteredOnly) return it.flaggedBeforeFilter && !it.passedFilter;
  if (t.flaggedOnly) return it.flagged || it.flaggedBeforeFilter;
  if (t.filteredOnly) return !it.passedFilter;
  return true;
}

/** Next position in direction `dir` that passes the toggles, or the current one when there is none. */
export function stepSelection(items: readonly TimelineLs[], current: number, dir: 1 | -1, t: Toggles): number {
  for (let i = current + dir; i >= 0 && i < items.length; i += dir) {
    if (passesToggles(items[i], t)) return i;
  }
  return current;
}

export function clampWindow(w: ViewWindow, total: number, minSpan = 10): ViewWindow {
  const span = Math.max(Math.min(minSpan, total), Math.min(total, w.span));
  const start = Math.max(0, Math.min(total - span, w.start));
  return { start, span };
}

/** Zoom by `factor` (< 1 zooms in) keeping the position under the cursor fixed. */
export function zoomWindow(w: ViewWindow, total: number, anchor: number, factor: number): ViewWindow {
  const span = w.span * factor;
  const rel = (anchor - w.start) / w.span;
  return clampWindow({ start: anchor - rel * span, span }, total);
}

/** Scroll the window so that `pos` is visible, moving as little as possible. */
export function revealPosition(w: ViewWindow, total: number, pos: number): ViewWindow {
  if (pos >= w.start && pos + 1 <= w.start + w.span) return w;
  const margin = Math.min(w.span * 0.1, 20);
  const start = pos < w.start ? pos - margin : pos + 1 - w.span + margin;
  return clampWindow({ start, span: w.span }, total);
}

/** Evenly spaced LS tick positions (every 1, 2, 5, 10, … positions) for the visible window. */
export function tickPositions(w: ViewWindow, maxTicks: number): number[] {
  const raw = w.span / Math.max(1, maxTicks);
  const pow = 10 ** Math.floor(Math.log10(Math.max(raw, 1)));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow;
  const out: number[] = [];
  for (let p = Math.ceil(w.start / step) * step; p < w.start + w.span; p += step) out.push(p);
  return out;
}

export interface TimelineCounts {
  total: number;
  flagged: number;
  flaggedBeforeFilter: number;
  filtered: number;
  /** Flagged before the filter but cleared by it. */
  clearedByFilter: number;
}

export function countTimeline(items: readonly TimelineLs[]): TimelineCounts {
  let flagged = 0;
  let before = 0;
  let filtered = 0;
  let cleared = 0;
  for (const it of items) {
    if (it.flagged) flagged++;
    if (it.flaggedBeforeFilter) before++;
    if (!it.passedFilter) filtered++;
    if (it.flaggedBeforeFilter && !it.passedFilter) cleared++;
  }
  return { total: items.length, flagged, flaggedBeforeFilter: before, filtered, clearedByFilter: cleared };
}

/** Home / End: the first or last position the toggles keep, null when none does. */
export function edgeSelection(items: readonly TimelineLs[], edge: 'first' | 'last', t: Toggles): number | null {
  if (edge === 'first') {
    const i = items.findIndex((it) => passesToggles(it, t));
    return i >= 0 ? i : null;
  }
  for (let i = items.length - 1; i >= 0; i--) if (passesToggles(items[i], t)) return i;
  return null;
}

/** "398100:7", "398100 / 7" or "7" → its position, or why there is none (in words, for next to the field). */
export function findLumisection(
  items: readonly Pick<TimelineLs, 'run' | 'ls'>[],
  text: string,
): { position: number } | { problem: string } {
  const m = text.trim().match(/^(?:(\d+)\s*[:/ ]\s*)?(\d+)$/);
  const example = items.length ? `${items[0].run}:${items[0].ls}` : '398100:1';
  if (!m) return { problem: `Type run:LS (e.g. ${example}) or an LS number.` };
  const run = m[1] ? Number(m[1]) : null;
  const ls = Number(m[2]);
  const i = items.findIndex((it) => it.ls === ls && (run === null || it.run === run));
  if (i >= 0) return { position: i };
  if (run === null) return { problem: `No LS ${ls} in this data: type run:LS, e.g. ${example}.` };
  const inRun = items.filter((it) => it.run === run).map((it) => it.ls);
  if (!inRun.length) return { problem: `No run ${run} in this data (runs ${[...new Set(items.map((it) => it.run))].join(', ')}).` };
  return { problem: `No LS ${ls} in run ${run} (it has LS ${Math.min(...inRun)}–${Math.max(...inRun)}).` };
}
