import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { ReportResult, ReportSelection } from '@/shared/api/contract/inspect';
import { ApiError } from '@/shared/api/errors';
import { layerGeometry } from '@/shared/pixel-geometry';
import { COLOUR_MAP_LABEL } from '@/shared/plot/colour-maps';
import { DEFAULT_COLUMN_SCALE } from '@/shared/plot/colour-scale';
import type { PlotSettings } from '@/shared/plot/plot-settings';
import { reasonCategory, REASON_LABEL, type ReasonCategory } from '@/shared/pipeline/filter-reasons';
import type { LumisectionSummary } from '@/shared/pipeline/run-chunk';
import { describeSources } from '@/shared/pipeline/sources';
import { explainLumisection, whyText } from '@/shared/pipeline/why';
import { openAtomicStream } from '../fs/atomic-write';
import { checkOutputs } from '../fs/output-target';
import type { JobHandle, JobManager } from '../jobs/job-manager';
import type { PipelineService } from '../pipeline/pipeline-service';
import { APP_VERSION } from '../version';
import {
  createDocument,
  drawSections,
  drawStageMaps,
  drawText,
  drawTimeline,
  fonts,
  footer,
  PAGE,
  STAGE_ORDER,
  textWidth,
  wrapText,
  type Doc,
} from './report-pdf';

/**
 * The Preview's PDF report as a job: a summary page (counts, the timeline, the runs, which
 * lumisections follow), then one page per flagged or chosen lumisection with the stage maps of
 * every layer drawn as on screen and the Why panel's text. Pages are written to a temp file one at
 * a time — waiting for the disk when it is behind — and renamed into place when complete, so
 * cancelling or a failure leaves no partial report and the memory used does not grow with the
 * number of pages.
 */

export interface ReportRequest {
  sessionId: string;
  file: string;
  select: ReportSelection;
  plot: PlotSettings;
  modelName: string;
  overwrite?: boolean;
}

/** Bytes pdfkit may hold before the writer waits for the disk. */
const HIGH_WATER = 4 * 2 ** 20;

export class PreviewReports {
  constructor(
    private readonly jobs: JobManager,
    private readonly pipeline: PipelineService,
  ) {}

  /** Checks the request (answered at once: bad selection, existing file, a run still going), then starts the job. */
  async start(req: ReportRequest) {
    const file = path.resolve(req.file);
    if (path.extname(file).toLowerCase() !== '.pdf')
      throw new ApiError('INPUT_INVALID', `The report is a PDF file: give a name ending in .pdf (not ${path.basename(file)}).`);
    const run = this.pipeline.runOverview(req.sessionId);
    if (!run.done || run.results.length < run.total)
      throw new ApiError(
        'NOT_READY',
        `The preview has ${run.results.length} of ${run.total} lumisections so far; write the report when it has finished.`,
        undefined,
        'NotReadyError',
      );
    const positions = selectedPositions(req.select, run.results, run.total);
    await checkOutputs({
      outputs: [file],
      inputs: [run.presetFile, ...run.sources],
      overwrite: Boolean(req.overwrite),
      allowHint: 'confirm to replace it',
    });
    return this.jobs.start({
      kind: 'preview.report',
      title: `PDF report: ${positions.length} lumisection${positions.length === 1 ? '' : 's'}`,
      scope: run.baseDir,
      run: (job) => this.write(job, { ...req, file }, positions),
    });
  }

  private async write(job: JobHandle<'preview.report'>, req: ReportRequest, positions: number[]): Promise<ReportResult> {
    const overview = this.pipeline.runOverview(req.sessionId);
    const preset = overview.preset;
    const geometries = preset.layers.map((l) => layerGeometry(l.name, l.shape, l.cross));
    const combined = geometries[0];
    const pages = positions.length + 1;
    const out = await openAtomicStream(req.file);
    const doc = createDocument({
      title: `Preview report — ${req.modelName}`,
      subject: `NMF preview of ${describeSources(overview.sources, overview.baseDir)}`,
      version: APP_VERSION,
    });
    // pdfkit emits its output synchronously while pages are drawn; it is queued here and written
    // between pages, the next page waiting while more than HIGH_WATER bytes are pending.
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let bytes = 0;
    doc.on('data', (b: Buffer) => {
      pending.push(b);
      pendingBytes += b.length;
    });
    const ended = new Promise<void>((resolve) => doc.once('end', () => resolve()));
    const flush = async (all: boolean) => {
      if (!all && pendingBytes < HIGH_WATER) return;
      const chunks = pending;
      pending = [];
      pendingBytes = 0;
      for (const c of chunks) {
        await out.write(c);
        bytes += c.length;
      }
    };
    const presetLabel = `${preset.name} (${path.basename(overview.presetFile)}${overview.presetEdited ? ', with unsaved tuning changes' : ''})`;
    const source = describeSources(overview.sources, overview.baseDir);
    const footerText = `DISM Studio ${APP_VERSION} · ${req.modelName} · ${preset.name}`;
    let withoutMaps = 0;
    try {
      job.progress(0, `Summary page (of ${pages})`);
      doc.addPage();
      summaryPage(doc, { ...req, presetLabel, source, overview, positions, pages });
      footer(doc, footerText, 1, pages);
      for (let k = 0; k < positions.length; k++) {
        if (job.signal.aborted) throw new ApiError('CANCELLED', 'The report was cancelled; no file was written.');
        const { result, maps } = await this.pipeline.lumisectionMaps(req.sessionId, positions[k]);
        doc.addPage();
        doc.outline.addItem(`Run ${result.run} LS ${result.ls}`);
        const top = lumisectionHeader(doc, result, { modelName: req.modelName, presetLabel, source });
        const why = maps ? explainLumisection(maps, preset, geometries, combined) : null;
        const text = whyText(result, why, preset.combine.minLayers);
        const whyTop = PAGE.height - PAGE.margin - 176;
        if (maps) drawStageMaps(doc, maps, geometries, combined, req.plot, why?.marks ?? [], top + 4, whyTop - top - 8);
        else {
          withoutMaps++;
          drawText(
            doc,
            'The stage maps of this lumisection are no longer kept by the preview (see the warnings of the run).',
            PAGE.margin,
            top + 10,
            {
              size: 8,
              colour: fonts.MUTED,
            },
          );
        }
        drawText(doc, `Why: ${text.verdict}`, PAGE.margin, whyTop, { font: fonts.BOLD, size: 9 });
        drawSections(doc, text.sections, whyTop + 14, PAGE.height - PAGE.margin - 2);
        footer(doc, footerText, k + 2, pages);
        job.progress((k + 1) / positions.length, `Page ${k + 2} of ${pages}`);
        await flush(false);
        // Let the back end answer other calls between pages.
        await nextTurn();
      }
      doc.end();
      await ended;
      await flush(true);
      await out.commit();
    } catch (err) {
      doc.removeAllListeners('data');
      await out.abort();
      throw err;
    }
    job.log(`Wrote ${out.file}: ${pages} pages, ${(bytes / 2 ** 20).toFixed(1)} MB`);
    return { file: out.file, pages, lumisections: positions.length, bytes, withoutMaps };
  }
}

/** Positions (input order) the report covers; a clear message for positions the run does not have. */
export function selectedPositions(select: ReportSelection, results: readonly LumisectionSummary[], total: number): number[] {
  if (select.kind === 'flagged') return results.filter((r) => r.flagged).map((r) => r.index);
  const bad = select.positions.filter((p) => p >= total);
  if (bad.length)
    throw new ApiError(
      'OUT_OF_RANGE',
      `Lumisection position${bad.length > 1 ? 's' : ''} ${bad.slice(0, 5).join(', ')} ${bad.length > 1 ? 'are' : 'is'} beyond the ${total} lumisections of this run.`,
      undefined,
      'RangeError',
    );
  return [...new Set(select.positions)].sort((a, b) => a - b);
}

function lumisectionHeader(doc: Doc, r: LumisectionSummary, info: { modelName: string; presetLabel: string; source: string }): number {
  let y = PAGE.margin;
  const verdict = r.flagged ? 'flagged' : r.flaggedBeforeFilter ? 'flagged, cleared by the filter' : 'not flagged';
  drawText(doc, `Run ${r.run} · LS ${r.ls} — ${verdict}`, PAGE.margin, y, { font: fonts.BOLD, size: 13 });
  y += 17;
  const lines = [
    `Model: ${info.modelName} · preset: ${info.presetLabel} · data: ${info.source}`,
    `Score: ${r.score.finalBins} bins in the final map · max loss ${Object.entries(r.score.maxLossPerLayer)
      .map(([l, v]) => `${l} ${v === null || !Number.isFinite(v) ? '—' : v.toPrecision(3)}`)
      .join(', ')} · entries ${Object.entries(r.entries)
      .map(([l, v]) => `${l} ${Math.round(v)}`)
      .join(', ')}`,
  ];
  const m = textWidth(doc, fonts.FONT, 7.5);
  for (const line of lines)
    for (const l of wrapText(line, PAGE.width - 2 * PAGE.margin, m)) {
      drawText(doc, l, PAGE.margin, y, { size: 7.5, colour: fonts.MUTED });
      y += 9.5;
    }
  return y;
}

interface SummaryInput extends ReportRequest {
  presetLabel: string;
  source: string;
  overview: ReturnType<PipelineService['runOverview']>;
  positions: number[];
  pages: number;
}

function summaryPage(doc: Doc, s: SummaryInput): void {
  const { overview } = s;
  const results = overview.results;
  let y = PAGE.margin;
  drawText(doc, `Preview report — ${s.modelName}`, PAGE.margin, y, { font: fonts.BOLD, size: 15 });
  y += 20;
  const m = textWidth(doc, fonts.FONT, 8);
  const info = [
    `Preset: ${s.presetLabel}`,
    `Data: ${s.source}`,
    `Written ${new Date().toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' })} by DISM Studio ${APP_VERSION}`,
    `Pages: this summary, then ${s.positions.length} lumisection${s.positions.length === 1 ? '' : 's'} (${s.select.kind === 'flagged' ? 'every flagged one' : 'the chosen ones'}), one per page`,
    `Colour scales: ${scalesSummary(s.plot)}`,
  ];
  for (const line of info)
    for (const l of wrapText(line, PAGE.width - 2 * PAGE.margin, m)) {
      drawText(doc, l, PAGE.margin, y, { size: 8, colour: fonts.MUTED });
      y += 10.5;
    }
  y += 6;
  // Counts.
  const runs = new Map<number, { first: number; last: number; n: number; flagged: number; filtered: number }>();
  const byReason: Record<ReasonCategory, number> = { statistics: 0, oms: 0, pileup: 0, hlt: 0 };
  let flagged = 0;
  let before = 0;
  let filtered = 0;
  let cleared = 0;
  for (const r of results) {
    const e = runs.get(r.run) ?? { first: r.ls, last: r.ls, n: 0, flagged: 0, filtered: 0 };
    e.first = Math.min(e.first, r.ls);
    e.last = Math.max(e.last, r.ls);
    e.n++;
    if (r.flagged) {
      flagged++;
      e.flagged++;
    }
    if (r.flaggedBeforeFilter) before++;
    if (!r.passedFilter) {
      filtered++;
      e.filtered++;
      byReason[reasonCategory(r.reasons[0]?.code ?? 'min_entries')]++;
      if (r.flaggedBeforeFilter) cleared++;
    }
    runs.set(r.run, e);
  }
  const counts: Array<[string, string]> = [
    ['Lumisections', `${results.length} in ${runs.size} run${runs.size === 1 ? '' : 's'}`],
    ['Flagged', String(flagged)],
    ['Flagged before the filter', `${before} (${cleared} cleared by the filter)`],
    [
      'Filtered',
      `${filtered}${
        filtered
          ? ` — ${(Object.keys(byReason) as ReasonCategory[])
              .filter((c) => byReason[c])
              .map((c) => `${REASON_LABEL[c]} ${byReason[c]}`)
              .join(', ')}`
          : ''
      }`,
    ],
    ['In this report', `${s.positions.length} lumisection${s.positions.length === 1 ? '' : 's'}`],
  ];
  drawText(doc, 'Counts', PAGE.margin, y, { font: fonts.BOLD, size: 10 });
  y += 14;
  for (const [k, v] of counts) {
    drawText(doc, k, PAGE.margin, y, { size: 8.5, colour: fonts.MUTED });
    drawText(doc, v, PAGE.margin + 130, y, { size: 8.5 });
    y += 12;
  }
  y += 8;
  drawText(doc, 'Timeline', PAGE.margin, y, { font: fonts.BOLD, size: 10 });
  y += 14;
  y += drawTimeline(doc, results, y) + 12;
  drawText(doc, 'Runs', PAGE.margin, y, { font: fonts.BOLD, size: 10 });
  y += 14;
  const cols = [0, 70, 170, 240, 300];
  ['run', 'LS', 'lumisections', 'flagged', 'filtered'].forEach((h, i) =>
    drawText(doc, h, PAGE.margin + cols[i], y, { font: fonts.BOLD, size: 8, colour: fonts.MUTED }),
  );
  y += 11;
  const runList = [...runs.entries()];
  const maxRows = 14;
  for (const [run, e] of runList.slice(0, maxRows)) {
    [String(run), `${e.first}–${e.last}`, String(e.n), String(e.flagged), String(e.filtered)].forEach((v, i) =>
      drawText(doc, v, PAGE.margin + cols[i], y, { size: 8 }),
    );
    y += 10.5;
  }
  if (runList.length > maxRows) {
    drawText(doc, `…and ${runList.length - maxRows} more runs`, PAGE.margin, y, { size: 8, colour: fonts.MUTED });
    y += 10.5;
  }
  y += 8;
  // Which lumisection is on which page (as many as fit on this page).
  drawText(doc, 'Lumisections in this report', PAGE.margin, y, { font: fonts.BOLD, size: 10 });
  y += 14;
  const byIndex = new Map(results.map((r) => [r.index, r]));
  const entries = s.positions.map((p, k) => `${byIndex.get(p)!.run}:${byIndex.get(p)!.ls} (p. ${k + 2})`);
  const bottom = PAGE.height - PAGE.margin - 4;
  const lm = textWidth(doc, fonts.FONT, 7.5);
  const lines = wrapText(entries.join(', '), PAGE.width - 2 * PAGE.margin, lm, ', ');
  const room = Math.max(0, Math.floor((bottom - y) / 9.5));
  lines.slice(0, room).forEach((l, i) => {
    const last = i === room - 1 && lines.length > room;
    drawText(doc, last ? `${l} … (all ${entries.length} in the document outline)` : l, PAGE.margin, y, { size: 7.5 });
    y += 9.5;
  });
  if (!entries.length) drawText(doc, 'None: no lumisection is flagged in this run.', PAGE.margin, y, { size: 8, colour: fonts.MUTED });
}

/** "all linear, fixed ranges, stage colour maps" or the columns that differ from that. */
function scalesSummary(plot: PlotSettings): string {
  const parts: string[] = [];
  for (const s of STAGE_ORDER) {
    const c = plot.columns[s.key] ?? DEFAULT_COLUMN_SCALE;
    const bits: string[] = [];
    if (c.scale === 'log') bits.push('log z');
    if (c.range !== 'fixed') bits.push(c.range === 'manual' ? `manual ${c.min ?? 'auto'}…${c.max ?? 'auto'}` : 'auto range');
    if (c.colourMap !== 'default') bits.push(COLOUR_MAP_LABEL[c.colourMap]);
    if (bits.length) parts.push(`${s.title}: ${bits.join(', ')}`);
  }
  const base = 'linear z, fixed ranges (raw counts: from the data), each stage’s own colour map';
  return parts.length ? `${base}; except ${parts.join('; ')}` : base;
}
