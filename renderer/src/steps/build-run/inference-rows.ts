import type { InferenceResult } from '@/shared/api/contract';

/** One lumisection of a test inference, as the table shows it. */
export interface InferenceRow {
  index: number;
  run?: number;
  ls?: number;
  outputs: Record<string, unknown>;
  /** What DIALS would decide for this LS (the template's FlaggingKey, or MetricKey above AnomalyThreshold). */
  flagged?: boolean;
  /** The preview's flag for this LS (when the flags were compared). */
  preview?: boolean;
  /** The server's FlaggingKey and the preview disagree on this LS. */
  disagrees: boolean;
}

/** Rows per page: a test inference on a real sample has hundreds of LS; a page stays readable. */
export const INFERENCE_PAGE_SIZE = 25;

/**
 * The table's rows: every LS where the server and the preview disagree first (in LS order), then
 * the rest in LS order; with `onlyDisagreements` only the former.
 */
export function inferenceRows(
  result: InferenceResult,
  previewFlags: readonly boolean[] | null,
  onlyDisagreements: boolean,
): InferenceRow[] {
  const differing = new Set(result.comparison?.disagreements.map((d) => d.index));
  const rows = result.lumisections.map((l): InferenceRow => ({
    index: l.index,
    run: l.run,
    ls: l.ls,
    outputs: l.outputs,
    ...(l.flagged !== undefined ? { flagged: l.flagged } : {}),
    ...(previewFlags && previewFlags[l.index] !== undefined ? { preview: previewFlags[l.index] } : {}),
    disagrees: differing.has(l.index),
  }));
  const first = rows.filter((r) => r.disagrees);
  return onlyDisagreements ? first : [...first, ...rows.filter((r) => !r.disagrees)];
}

export interface InferencePage {
  rows: InferenceRow[];
  /** 0-based page shown (clamped to the pages there are). */
  page: number;
  pages: number;
  /** 1-based positions of the first and last row shown, for "rows 26–50 of 120". */
  first: number;
  last: number;
}

export function inferencePage(rows: InferenceRow[], page: number, size = INFERENCE_PAGE_SIZE): InferencePage {
  const pages = Math.max(1, Math.ceil(rows.length / size));
  const p = Math.min(Math.max(0, page), pages - 1);
  const shown = rows.slice(p * size, (p + 1) * size);
  return { rows: shown, page: p, pages, first: shown.length ? p * size + 1 : 0, last: p * size + shown.length };
}
