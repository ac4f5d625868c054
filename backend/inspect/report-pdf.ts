import PDFDocument from 'pdfkit';
import {
  axisRanges,
  BINS_PER_LADDER,
  BINS_PER_MODULE,
  ladderGrid,
  ladderTicks,
  moduleGrid,
  moduleTicks,
  type LayerGeometry,
} from '@/shared/pixel-geometry';
import { colourLut, LUT_SIZE } from '@/shared/plot/colour-maps';
import { buildPanels, paintMap, type LumisectionStageMaps, type MarkedRegion, type Panel } from '@/shared/plot/panels';
import type { PlotSettings } from '@/shared/plot/plot-settings';
import { COMBINED_STAGES, LAYER_STAGES } from '@/shared/plot/stage-specs';
import { colourBarTicks, thinTicks } from '@/shared/plot/ticks';
import { reasonCategory, REASON_COLOUR, REASON_LABEL, type ReasonCategory } from '@/shared/pipeline/filter-reasons';
import type { WhySection } from '@/shared/pipeline/why';
import { encodeRgbPng } from './png';

/**
 * Drawing the report's pages with pdfkit (A4 portrait, points). The maps are images painted with
 * the shared colour rule (shared/plot) — the same colours as on screen — with the grid, frame,
 * ticks, axis titles and colour bars drawn as vectors. Every page is written out when the next one
 * starts (pdfkit flushes pages unless asked to buffer them), so a report of any length needs the
 * memory of one page.
 */

export const PAGE = { width: 595.28, height: 841.89, margin: 28 };
const CONTENT_W = PAGE.width - 2 * PAGE.margin;
const FONT = 'Helvetica';
const BOLD = 'Helvetica-Bold';
const TEXT = '#1d232b';
const MUTED = '#5f6b7a';
const PLOT_BG: [number, number, number] = [0xd9, 0xdc, 0xe1];
const FLAG = '#c53030';
const BEFORE = '#e07b00';
/** Map images: every bin drawn as SCALE × SCALE pixels so no viewer blurs them. */
const SCALE = 4;

/**
 * The standard PDF fonts (no font file to ship) cover Windows-1252 only: the few other characters
 * the app writes are spelled out (− → -, ≤ → <=, 10⁻³ → 10^-3).
 */
const SUPER: Record<string, string> = {
  '⁻': '-',
  '⁰': '0',
  '¹': '1',
  '²': '2',
  '³': '3',
  '⁴': '4',
  '⁵': '5',
  '⁶': '6',
  '⁷': '7',
  '⁸': '8',
  '⁹': '9',
};
export function pdfText(s: string): string {
  return s
    .replace(/[⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+/g, (m) => (m === '²' ? '²' : `^${[...m].map((c) => SUPER[c]).join('')}`))
    .replace(/−/g, '-')
    .replace(/≤/g, '<=')
    .replace(/≥/g, '>=')
    .replace(/→/g, '->')
    .replace(/…/g, '...')
    .replace(/[^\x20-\x7e\xa0-\xff–—‘’“”•]/g, '?');
}

export type Doc = PDFKit.PDFDocument;

export function createDocument(info: { title: string; subject: string; version: string }): Doc {
  return new PDFDocument({
    size: 'A4',
    margin: PAGE.margin,
    autoFirstPage: false,
    // Pages are written as they are finished (the default); nothing asks pdfkit to keep them.
    bufferPages: false,
    compress: true,
    info: { Title: pdfText(info.title), Subject: pdfText(info.subject), Creator: `DISM Studio ${info.version}`, Producer: 'pdfkit' },
  });
}

function text(
  doc: Doc,
  s: string,
  x: number,
  y: number,
  opts: PDFKit.Mixins.TextOptions & { font?: string; size?: number; colour?: string } = {},
) {
  const { font = FONT, size = 8, colour = TEXT, ...rest } = opts;
  doc
    .font(font)
    .fontSize(size)
    .fillColor(colour)
    .text(pdfText(s), x, y, { lineBreak: rest.width !== undefined, ...rest });
}

function measure(doc: Doc, font: string, size: number): (s: string) => number {
  return (s) => doc.font(font).fontSize(size).widthOfString(pdfText(s));
}

/** Lines of at most `width` (words kept whole) in a font. */
function wrap(s: string, width: number, m: (s: string) => number, sep = ' '): string[] {
  const lines: string[] = [];
  let line = '';
  for (const w of s.split(sep)) {
    const next = line ? `${line}${sep}${w}` : w;
    if (line && m(next) > width) {
      lines.push(line);
      line = w;
    } else line = next;
  }
  if (line) lines.push(line);
  return lines;
}

export function footer(doc: Doc, left: string, page: number, pages: number): void {
  const y = PAGE.height - PAGE.margin + 8;
  text(doc, left, PAGE.margin, y, { size: 6.5, colour: MUTED });
  const right = `page ${page} of ${pages}`;
  text(doc, right, PAGE.width - PAGE.margin - measure(doc, FONT, 6.5)(right), y, { size: 6.5, colour: MUTED });
}

// --- stage maps -------------------------------------------------------------------------------------

const GUTTER = 46;
const COL_GAP = 8;
const TITLE_SIZE = 7;
const TICK_SIZE = 6;
const TAG_SIZE = 5.5;
const BAND = 2 * 8.5 + 5 + 9 + 2 * 7 + 4;
const ROW_GAP = 20;

/** The stage maps of one LS with their colour bars, in the box [top, top + height]; returns the height used. */
export function drawStageMaps(
  doc: Doc,
  maps: LumisectionStageMaps,
  geometries: LayerGeometry[],
  combined: LayerGeometry,
  plot: PlotSettings,
  marks: MarkedRegion[],
  top: number,
  height: number,
): number {
  const panels = buildPanels(maps, geometries, combined, plot.columns);
  const rows: Panel[][] = [];
  for (const p of panels) {
    const last = rows[rows.length - 1];
    if (last && last[0].layer === p.layer) last.push(p);
    else rows.push([p]);
  }
  const aspect = rows.reduce((a, r) => a + r[0].geometry.rows / r[0].geometry.cols, 0);
  const columns = LAYER_STAGES.length;
  const byWidth = (CONTENT_W - GUTTER - (columns - 1) * COL_GAP) / columns;
  const byHeight = (height - 2 * BAND - rows.length * ROW_GAP) / aspect;
  const colW = Math.max(40, Math.min(byWidth, byHeight));
  let y = top;
  rows.forEach((row, ri) => {
    const isCombined = row[0].layer < 0;
    if (ri === 0 || isCombined) {
      row.forEach((p, c) => drawColourBar(doc, p, PAGE.margin + GUTTER + c * (colW + COL_GAP), y, colW));
      y += BAND;
    }
    const g = row[0].geometry;
    const h = (colW * g.rows) / g.cols;
    // Row label and the y axis title, rotated, in the gutter.
    doc.save();
    doc.rotate(-90, { origin: [PAGE.margin + 4, y + h / 2] });
    const label = isCombined ? `Combined (${g.name} bins)` : g.name;
    text(doc, label, PAGE.margin + 4 - measure(doc, BOLD, 7.5)(label) / 2, y + h / 2 - 4, { font: BOLD, size: 7.5 });
    const yt = 'signed ladder';
    text(doc, yt, PAGE.margin + 4 - measure(doc, FONT, TAG_SIZE + 0.5)(yt) / 2, y + h / 2 + 6, { size: TAG_SIZE + 0.5, colour: MUTED });
    doc.restore();
    row.forEach((p, c) => {
      const x = PAGE.margin + GUTTER + c * (colW + COL_GAP);
      drawMap(doc, p, x, y, colW, h, plot, c === 0, isCombined && p.stage.key === 'final' ? marks : []);
    });
    y += h + ROW_GAP;
  });
  return y - top;
}

function drawMap(
  doc: Doc,
  p: Panel,
  x: number,
  y: number,
  w: number,
  h: number,
  plot: PlotSettings,
  yLabels: boolean,
  marks: MarkedRegion[],
) {
  const g = p.geometry;
  const rgb = new Uint8Array(g.rows * g.cols * 3);
  paintMap(p.values, p.range, p.stops, rgb, 3, PLOT_BG);
  doc.image(encodeRgbPng(g.cols, g.rows, rgb, SCALE), x, y, { width: w, height: h });
  const r = axisRanges(g);
  const px = (v: number) => x + ((v - r.x[0]) / (r.x[1] - r.x[0])) * w;
  const py = (v: number) => y + h - ((v - r.y[0]) / (r.y[1] - r.y[0])) * h;
  if (plot.grid === 'rocs') {
    doc.save().lineWidth(0.15).strokeColor('#282828', 0.22);
    for (let c = 1; c < g.cols; c++)
      if (c % BINS_PER_MODULE) doc.moveTo(px(r.x[0] + c / BINS_PER_MODULE), y).lineTo(px(r.x[0] + c / BINS_PER_MODULE), y + h);
    for (let k = 1; k < g.rows; k++)
      if (k % BINS_PER_LADDER) doc.moveTo(x, py(r.y[0] + k / BINS_PER_LADDER)).lineTo(x + w, py(r.y[0] + k / BINS_PER_LADDER));
    doc.stroke().restore();
  }
  if (plot.grid !== 'off') {
    doc.save().lineWidth(0.3).dash(0.6, { space: 0.9 }).strokeColor('#282828', 0.4);
    for (const v of moduleGrid(g).positions.slice(1, -1)) doc.moveTo(px(v), y).lineTo(px(v), y + h);
    for (const v of ladderGrid(g).positions.slice(1, -1)) doc.moveTo(x, py(v)).lineTo(x + w, py(v));
    doc.stroke().undash().restore();
  }
  for (const m of marks) {
    const x0 = x + (m.col0 / g.cols) * w;
    const x1 = x + (m.col1 / g.cols) * w;
    const y0 = y + h - (m.row1 / g.rows) * h;
    const y1 = y + h - (m.row0 / g.rows) * h;
    doc
      .save()
      .lineWidth(1)
      .strokeColor('#00b4ff')
      .rect(x0, y0, x1 - x0, y1 - y0)
      .stroke()
      .restore();
  }
  doc.save().lineWidth(0.4).strokeColor('#8a94a3').rect(x, y, w, h).stroke().restore();
  // x ticks: modules, thinned to the room they have; y ticks on the row's first map.
  const tm = measure(doc, FONT, TICK_SIZE);
  const all = moduleTicks(g);
  const xt = thinTicks(all.values, all.labels, w / (2 * g.maxModule + 1), tm, 3);
  const yt = yLabels ? ladderTicks(g, Math.max(3, Math.floor(h / 9))) : { values: [], labels: [] };
  // Tick marks as one path (a path must be stroked before any text is written), then the labels.
  doc.save().lineWidth(0.4).strokeColor(MUTED);
  for (const v of xt.values) doc.moveTo(px(v), y + h).lineTo(px(v), y + h + 2);
  for (const v of yt.values) doc.moveTo(x - 2, py(v)).lineTo(x, py(v));
  doc.stroke().restore();
  xt.values.forEach((v, i) => text(doc, xt.labels[i], px(v) - tm(xt.labels[i]) / 2, y + h + 2.5, { size: TICK_SIZE, colour: '#3a4350' }));
  yt.values.forEach((v, i) =>
    text(doc, yt.labels[i], x - 3 - tm(yt.labels[i]), py(v) - TICK_SIZE / 2 - 0.5, { size: TICK_SIZE, colour: '#3a4350' }),
  );
  const xTitle = 'signed module';
  text(doc, xTitle, x + w / 2 - measure(doc, FONT, TAG_SIZE + 0.5)(xTitle) / 2, y + h + 9.5, { size: TAG_SIZE + 0.5, colour: MUTED });
}

const lutImages = new WeakMap<object, Buffer>();
function gradientPng(stops: Panel['stops']): Buffer {
  let png = lutImages.get(stops);
  if (!png) lutImages.set(stops, (png = encodeRgbPng(LUT_SIZE, 1, Uint8Array.from(colourLut(stops)), 1)));
  return png;
}

/** A column's colour bar: title, gradient, range ends and round ticks that do not touch, how the range is set. */
function drawColourBar(doc: Doc, p: Panel, x: number, y: number, w: number) {
  let cy = y + 2;
  const titleM = measure(doc, BOLD, TITLE_SIZE);
  for (const line of wrap(p.stage.title, w, titleM).slice(0, 2)) {
    text(doc, line, x + (w - titleM(line)) / 2, cy, { font: BOLD, size: TITLE_SIZE });
    cy += 8.5;
  }
  cy = y + 2 + 2 * 8.5;
  doc.image(gradientPng(p.stops), x, cy, { width: w, height: 5 });
  cy += 5;
  const tm = measure(doc, FONT, TICK_SIZE);
  const ticks = colourBarTicks(p.range, w, tm, 4, false);
  doc.save().lineWidth(0.4).strokeColor(MUTED);
  for (const t of ticks) doc.moveTo(x + t.at * w, cy).lineTo(x + t.at * w, cy + 1.5);
  doc.stroke().restore();
  for (const t of ticks) {
    const tx = x + t.at * w;
    const lw = tm(t.label);
    const lx = t.anchor === 'start' ? tx : t.anchor === 'end' ? tx - lw : tx - lw / 2;
    text(doc, t.label, lx, cy + 2, { size: TICK_SIZE, colour: '#3a4350' });
  }
  cy += 9;
  const tag = [p.range.source, ...(p.range.scale === 'log' ? ['log'] : []), ...p.range.notes].join(' · ');
  const tagM = measure(doc, FONT, TAG_SIZE);
  for (const line of wrap(tag, w, tagM, ' · ').slice(0, 2)) {
    text(doc, line, x + (w - tagM(line)) / 2, cy, { size: TAG_SIZE, colour: MUTED });
    cy += 7;
  }
}

/** Sections of text in columns from `top` down to `bottom`; what does not fit ends with an ellipsis. */
export function drawSections(doc: Doc, sections: WhySection[], top: number, bottom: number, columns = 2): void {
  const colW = (CONTENT_W - (columns - 1) * 14) / columns;
  const lineH = 9;
  let col = 0;
  let y = top;
  const next = () => {
    col++;
    y = top;
    return col < columns;
  };
  for (const s of sections) {
    if (y + 2 * lineH > bottom && !next()) return;
    const x = PAGE.margin + col * (colW + 14);
    text(doc, s.title, x, y, { font: BOLD, size: 7.5 });
    y += lineH + 1;
    for (const line of s.lines) {
      const indent = line.startsWith('    ') ? 8 : 0;
      const wrapped = wrap(line.trim(), colW - indent, measure(doc, FONT, 7.5));
      for (const w of wrapped) {
        if (y + lineH > bottom) {
          if (!next()) {
            text(doc, '…', x, y - lineH + 1, { size: 7.5, colour: MUTED });
            return;
          }
        }
        text(doc, w, PAGE.margin + col * (colW + 14) + indent, y, { size: 7.5 });
        y += lineH;
      }
    }
    y += 4;
  }
}

// --- summary page ------------------------------------------------------------------------------------

export interface TimelineItem {
  run: number;
  ls: number;
  flagged: boolean;
  flaggedBeforeFilter: boolean;
  passedFilter: boolean;
  reasons: ReadonlyArray<{ code: string }>;
  score: { finalBins: number };
}

/**
 * The run's timeline as on screen, in vectors: run boundaries and numbers, the score (final bins,
 * log scale), and the lanes flagged before filter / flagged / filtered (coloured by reason).
 * Neighbouring LS with the same mark are drawn as one rectangle.
 */
export function drawTimeline(doc: Doc, items: readonly TimelineItem[], top: number): number {
  const labelW = 78;
  const x0 = PAGE.margin + labelW;
  const w = CONTENT_W - labelW;
  const n = Math.max(1, items.length);
  const xOf = (i: number) => x0 + (i / n) * w;
  const runBand = 10;
  const scoreH = 34;
  const laneH = 8;
  const laneGap = 2.5;
  const lanesTop = top + runBand + scoreH + 4;
  const laneY = (k: number) => lanesTop + k * (laneH + laneGap);
  const axisY = laneY(3);
  const label = (s: string, y: number) => text(doc, s, x0 - 6 - measure(doc, FONT, 6.5)(s), y, { size: 6.5, colour: MUTED });
  label('Run', top + 1);
  label('Score (final bins)', top + runBand + scoreH / 2 - 3);
  ['Flagged before filter', 'Flagged', 'Filtered'].forEach((l, k) => {
    label(l, laneY(k) + 1);
    doc.rect(x0, laneY(k), w, laneH).fill('#f1f3f6');
  });
  label('LS', axisY + 2);
  doc.rect(x0, top + runBand, w, scoreH).fill('#f7f8fa');
  let max = 1;
  for (const it of items) max = Math.max(max, it.score.finalBins);
  const scale = Math.log1p(max);
  items.forEach((it, i) => {
    if (it.score.finalBins <= 0) return;
    const h = Math.max(1, (Math.log1p(it.score.finalBins) / scale) * (scoreH - 1));
    doc
      .rect(xOf(i), top + runBand + scoreH - h, Math.max(0.3, w / n), h)
      .fill(it.flagged ? FLAG : it.flaggedBeforeFilter ? BEFORE : '#9aa5b4');
  });
  // Lanes as runs of equal marks.
  const lane = (k: number, colourOf: (it: TimelineItem) => string | null) => {
    let start = 0;
    let colour: string | null = null;
    for (let i = 0; i <= items.length; i++) {
      const c = i < items.length ? colourOf(items[i]) : null;
      if (c === colour) continue;
      if (colour) doc.rect(xOf(start), laneY(k), Math.max(0.3, xOf(i) - xOf(start)), laneH).fill(colour);
      colour = c;
      start = i;
    }
  };
  lane(0, (it) => (it.flaggedBeforeFilter ? BEFORE : null));
  lane(1, (it) => (it.flagged ? FLAG : null));
  lane(2, (it) => (it.passedFilter ? null : REASON_COLOUR[reasonCategory(it.reasons[0]?.code ?? 'min_entries')]));
  // Runs: dashed boundaries and run numbers where there is room.
  let from = 0;
  for (let i = 1; i <= items.length; i++) {
    if (i < items.length && items[i].run === items[from].run) continue;
    const xa = xOf(from);
    if (from > 0)
      doc.save().lineWidth(0.5).dash(1.5, { space: 1.5 }).strokeColor(TEXT).moveTo(xa, top).lineTo(xa, axisY).stroke().undash().restore();
    const runLabel = `Run ${items[from].run}`;
    if (xOf(i) - xa > measure(doc, FONT, 6.5)(runLabel) + 4) text(doc, runLabel, xa + 2, top + 1, { size: 6.5 });
    from = i;
  }
  // LS ticks: about one per 60 pt.
  const every = Math.max(1, Math.ceil(n / Math.max(1, Math.floor(w / 60))));
  const step = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000].find((s) => s >= every) ?? every;
  for (let i = 0; i < items.length; i += step) {
    const x = xOf(i) + w / n / 2;
    const s = String(items[i].ls);
    doc.rect(x, axisY, 0.4, 2).fill(MUTED);
    text(doc, s, x - measure(doc, FONT, 6)(s) / 2, axisY + 2.5, { size: 6, colour: MUTED });
  }
  // Legend.
  let lx = x0;
  const ly = axisY + 13;
  const legend: Array<[string, string]> = [
    [BEFORE, 'flagged before filter'],
    [FLAG, 'flagged'],
    ...(Object.keys(REASON_LABEL) as ReasonCategory[]).map((c): [string, string] => [REASON_COLOUR[c], `filtered: ${REASON_LABEL[c]}`]),
  ];
  for (const [c, l] of legend) {
    doc.rect(lx, ly + 1, 6, 5).fill(c);
    text(doc, l, lx + 8, ly, { size: 6.5, colour: MUTED });
    lx += 8 + measure(doc, FONT, 6.5)(l) + 10;
  }
  return ly + 10 - top;
}

export const fonts = { FONT, BOLD, TEXT, MUTED };
export { text as drawText, measure as textWidth, wrap as wrapText };

/** The stage columns in page order, for the report's summary of the colour scales. */
export const STAGE_ORDER = [...LAYER_STAGES, ...COMBINED_STAGES];
