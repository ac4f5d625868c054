import type { ModelPreset } from '@/shared/preset/model-preset';
import type { TimelineLs } from '../timeline/timeline-model';
import { countTimeline } from '../timeline/timeline-model';

/** Per-LS results as the CLI's `preview --json` writes them, plus the preset they came from. */
export interface ResultsJson {
  lumisections: Array<{
    run: number;
    ls: number;
    flaggedBeforeFilter: boolean;
    flagged: boolean;
    passedFilter: boolean;
    reasons: string[];
    score: TimelineLs['score'];
  }>;
  summary: { lumisections: number; flagged: number; flaggedBeforeFilter: number; filtered: number };
  preset: ModelPreset;
  source: string;
}

export function resultsJson(items: readonly TimelineLs[], preset: ModelPreset, source: string): ResultsJson {
  const c = countTimeline(items);
  return {
    lumisections: items.map((it) => ({
      run: it.run,
      ls: it.ls,
      flaggedBeforeFilter: it.flaggedBeforeFilter,
      flagged: it.flagged,
      passedFilter: it.passedFilter,
      reasons: it.reasons.map((r) => r.message),
      score: it.score,
    })),
    summary: { lumisections: c.total, flagged: c.flagged, flaggedBeforeFilter: c.flaggedBeforeFilter, filtered: c.filtered },
    preset,
    source,
  };
}

function csvCell(v: unknown): string {
  const s = v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v)) ? '' : String(v);
  return /[",\n;]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One row per LS; per-layer max loss columns follow the layer order. */
export function resultsCsv(items: readonly TimelineLs[], layerNames: string[]): string {
  const header = [
    'run',
    'ls',
    'flagged_before_filter',
    'flagged',
    'passed_filter',
    'filter_reasons',
    'final_bins',
    'max_loss',
    ...layerNames.map((l) => `max_loss_${l}`),
  ];
  const lines = [header.join(',')];
  for (const it of items) {
    const perLayer = it.score.maxLossPerLayer ?? {};
    lines.push(
      [
        it.run,
        it.ls,
        it.flaggedBeforeFilter ? 1 : 0,
        it.flagged ? 1 : 0,
        it.passedFilter ? 1 : 0,
        it.reasons.map((r) => r.message).join('; '),
        it.score.finalBins,
        it.score.maxLoss,
        ...layerNames.map((l) => perLayer[l]),
      ]
        .map(csvCell)
        .join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Save through the browser's download (Electron shows its save dialog for it). */
export function download(name: string, data: Blob | string, type = 'application/octet-stream'): void {
  const blob = typeof data === 'string' ? new Blob([data], { type }) : data;
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * Decode a data: URL by hand (fetching it would need `data:` in the CSP's connect-src). Plotly's
 * toImage gives PNG as base64 but SVG percent-encoded (`data:image/svg+xml,%3Csvg…`): both are read.
 */
export function dataUrlToBlob(url: string): Blob {
  const comma = url.indexOf(',');
  const meta = url.slice(5, comma).split(';');
  const type = meta[0] || 'application/octet-stream';
  const body = url.slice(comma + 1);
  if (!meta.includes('base64')) return new Blob([decodeURIComponent(body)], { type });
  const bin = atob(body);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Blob([bytes], { type });
}
