import {
  BINS_PER_LADDER,
  BINS_PER_MODULE,
  axisRanges,
  binCentres,
  ladderGrid,
  ladderTicks,
  moduleGrid,
  moduleTicks,
  SQUARE_BIN_SCALE_RATIO,
  type LayerGeometry,
} from '@/shared/pixel-geometry';
import type { ColourStops } from '@/shared/plot/colour-maps';
import { LOG_ZERO_NOTE, type ResolvedRange } from '@/shared/plot/colour-scale';
import type { MarkedRegion, Panel } from '@/shared/plot/panels';
import type { GridMode } from '@/shared/plot/plot-settings';
import type { StageSpec } from '@/shared/plot/stage-specs';
import { colourBarTicks, estimateWidth, thinTicks, type BarTick } from '@/shared/plot/ticks';

export type { LumisectionStageMaps, MarkedRegion, Panel } from '@/shared/plot/panels';
export { buildPanels } from '@/shared/plot/panels';

/** Width of a text in px at a font size (the UI measures with its font; tests estimate). */
export type TextMeasure = (text: string, fontPx: number, bold?: boolean) => number;
const estimate: TextMeasure = (text, fontPx, bold) => estimateWidth(fontPx)(text) * (bold ? 1.1 : 1);

/** Axis frame shared by every map subplot: a thin box, no plotly grid (the DQM grid is drawn as shapes). */
const MAP_AXIS_FRAME = {
  showgrid: false,
  zeroline: false,
  showline: true,
  linecolor: '#8a94a3',
  mirror: true,
  constrain: 'domain',
} as const;

export const AXIS_TITLE = { x: 'signed module', y: 'signed ladder' } as const;

export interface FigureOptions {
  /** Pixel width available for the whole figure set. */
  width: number;
  /** Image (URL) of each panel's map, same order as the panels. */
  images: string[];
  marks?: MarkedRegion[];
  /** Rectangles (full-map bins) outlined on every stage of a layer, e.g. the what-if regions; one list per layer. */
  outlines?: Array<Array<{ row0: number; row1: number; col0: number; col1: number }>>;
  /** Changes when the user asks for a zoom reset; otherwise zoom survives LS changes. */
  zoomRevision: number;
  title?: string;
  /** Zoomed ranges per figure row (layer rows, then the combined row); missing = whole map. */
  zoom?: Array<RowZoom | undefined>;
  /** Dotted grid: none, module and ladder edges (default), or also every ROC. */
  grid?: GridMode;
  /** Text widths for tick thinning and colour-bar layout (default: an estimate). */
  measure?: TextMeasure;
  /**
   * Draw the colour bars into the plotly figure (PNG/SVG export): a gradient image, tick labels
   * and the title per column. On screen they are HTML (`colourBars`), clickable for their settings.
   */
  drawColourBars?: boolean;
  /** Link zoom along x across every row too (Compare: every row has the same modules), not only within a row. */
  linkAllX?: boolean;
  /** Gradient image (URL) of a colour map, for drawColourBars. */
  barImage?: (stops: ColourStops) => string;
}

export interface RowZoom {
  x?: [number, number];
  y?: [number, number];
}

/** A colour bar above a stage column, in pixels from the figure's top-left corner. */
export interface ColourBar {
  left: number;
  /** Top of the bar's band (title first, then the gradient, ticks and notes). */
  top: number;
  width: number;
  /** Height of the band (the same for every bar of a row). */
  height: number;
  stage: StageSpec;
  range: ResolvedRange;
  stops: ColourStops;
  /** The title broken into the lines that fit the width. */
  titleLines: string[];
  /** Under the ticks: where the range comes from, log, how zeros are drawn (lines that fit the width). */
  tagLines: string[];
  ticks: BarTick[];
  /** Combined-row bars (false: the bars above the first layer row, shared by all layers). */
  combined: boolean;
  /** Its settings are its column's (false for Compare's difference map). */
  editable: boolean;
}

export interface Figure {
  data: Array<Record<string, unknown>>;
  layout: Record<string, unknown>;
  height: number;
  width: number;
  colourBars: ColourBar[];
  /** Figure row of every axis number (index 1…). */
  axisRow: number[];
}

const MARGIN = { l: 78, r: 14, t: 26, b: 8 };
const COLUMN_GAP = 14;
export const TICK_FONT = 10;
export const BAR_TITLE_FONT = 11;
export const BAR_TICK_FONT = 10;
const BAR_TITLE_LINE = 14;
const BAR_GRADIENT = 8;
const BAR_TICKS = 14;
const BAR_TAG_LINE = 12;
export const BAR_TAG_FONT = 9;
/** Room below a row for the module tick labels and the axis title. */
const ROW_GAP = 44;

/**
 * Per-geometry arrays, computed once: plotly.react compares data arrays (x, y, z, tickvals) by
 * reference, so fresh copies on every LS would make it redo the whole figure.
 */
interface AxisArrays {
  centres: { x: number[]; y: number[] };
  xTicks: Map<number, { values: number[]; labels: string[] }>;
  yTicks: Map<number, ReturnType<typeof ladderTicks>>;
  grid: Map<string, string>;
}
const axisArrays = new WeakMap<LayerGeometry, AxisArrays>();
function arraysOf(g: LayerGeometry): AxisArrays {
  let a = axisArrays.get(g);
  if (!a) axisArrays.set(g, (a = { centres: binCentres(g), xTicks: new Map(), yTicks: new Map(), grid: new Map() }));
  return a;
}
/** Module ticks thinned so that no two labels touch at this subplot width. */
function xTicksOf(g: LayerGeometry, plotWidth: number, measure: TextMeasure) {
  const key = Math.round(plotWidth);
  const cache = arraysOf(g).xTicks;
  let t = cache.get(key);
  if (!t) {
    const all = moduleTicks(g);
    cache.set(key, (t = thinTicks(all.values, all.labels, plotWidth / (2 * g.maxModule + 1), (s) => measure(s, TICK_FONT), 6)));
  }
  return t;
}
/** Ladder ticks with at least ~16 px per label (labels are 10 px tall). */
function yTicksOf(g: LayerGeometry, height: number) {
  const maxTicks = Math.max(3, Math.floor(height / 16));
  const cache = arraysOf(g).yTicks;
  let t = cache.get(maxTicks);
  if (!t) cache.set(maxTicks, (t = ladderTicks(g, maxTicks)));
  return t;
}
/** The dotted grid of a map as one SVG path: module and ladder edges, and every ROC edge with 'rocs'. */
function gridPath(g: LayerGeometry, mode: GridMode, fine: boolean): string {
  const key = `${mode}:${fine}`;
  const cache = arraysOf(g).grid;
  let p = cache.get(key);
  if (p !== undefined) return p;
  const r = axisRanges(g);
  p = '';
  if (fine) {
    for (let c = 1; c < g.cols; c++) if (c % BINS_PER_MODULE) p += `M${r.x[0] + c / BINS_PER_MODULE},${r.y[0]}V${r.y[1]}`;
    for (let k = 1; k < g.rows; k++) if (k % BINS_PER_LADDER) p += `M${r.x[0]},${r.y[0] + k / BINS_PER_LADDER}H${r.x[1]}`;
  } else if (mode !== 'off') {
    for (const x of moduleGrid(g).positions.slice(1, -1)) p += `M${x},${r.y[0]}V${r.y[1]}`;
    for (const y of ladderGrid(g).positions.slice(1, -1)) p += `M${r.x[0]},${y}H${r.x[1]}`;
  }
  cache.set(key, p);
  return p;
}

const hoverTargets = new WeakMap<LayerGeometry, number[][]>();
/** Constant zeros per geometry: the invisible heatmap that gives hover events never changes between LS. */
function hoverTarget(g: LayerGeometry): number[][] {
  let z = hoverTargets.get(g);
  if (!z) hoverTargets.set(g, (z = Array.from({ length: g.rows }, () => new Array<number>(g.cols).fill(0))));
  return z;
}

/** Axis extents of a half-open rectangle of full-map bins (bin edges: ±½ bin around the centres). */
function binBox(c: { x: number[]; y: number[] }, b: { row0: number; row1: number; col0: number; col1: number }) {
  const hx = 0.5 / BINS_PER_MODULE;
  const hy = 0.5 / BINS_PER_LADDER;
  return { x0: c.x[b.col0] - hx, x1: c.x[b.col1 - 1] + hx, y0: c.y[b.row0] - hy, y1: c.y[b.row1 - 1] + hy };
}

const axisId = (n: number, xy: 'x' | 'y') => (n === 1 ? xy : `${xy}${n}`);
const axisKey = (n: number, xy: 'x' | 'y') => (n === 1 ? `${xy}axis` : `${xy}axis${n}`);

/** Break a title into lines of at most `width` px at `sep` (words kept whole unless one alone is too wide). */
export function wrapTitle(text: string, width: number, measure: (s: string) => number, sep = ' '): string[] {
  const words = text.split(sep);
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    const next = line ? `${line}${sep}${w}` : w;
    if (line && measure(next) > width) {
      lines.push(line);
      line = w;
    } else line = next;
  }
  if (line) lines.push(line);
  return lines;
}

/**
 * The tag of a log scale with its usual notes. Its lines are kept under every band of colour bars,
 * also for linear scales, so switching log ↔ linear does not change the figure's height — which
 * would make plotly lay out all 18 subplots again (~5× slower than only swapping the map images).
 */
export const LOG_TAG_EXAMPLE = `fixed · log · min ≤ 0 → 10⁻³ × max · ${LOG_ZERO_NOTE}`;

/** Height of a band of colour bars: the tallest title, the gradient, the ticks and the tallest tag (at least `minTagLines`). */
function bandHeight(bars: Array<Pick<ColourBar, 'titleLines' | 'tagLines'>>, minTagLines: number): number {
  const lines = Math.max(1, ...bars.map((b) => b.titleLines.length));
  const tags = Math.max(1, minTagLines, ...bars.map((b) => b.tagLines.length));
  return 4 + lines * BAR_TITLE_LINE + BAR_GRADIENT + BAR_TICKS + tags * BAR_TAG_LINE + 4;
}

/** Under a colour bar: "auto", "fixed" or "manual", "log", and the notes ("≤ 0 not drawn"). */
export function rangeTag(r: ResolvedRange): string {
  return [r.source, ...(r.scale === 'log' ? ['log'] : []), ...r.notes].join(' · ');
}

/**
 * The whole figure set as one plotly figure: a row of five stages per layer (axes of a row are
 * linked, so zooming one zooms all), then the combined row. Bins are square, origin at the bottom,
 * x ticks at modules and y ticks at signed ladders (thinned to the room they have), dotted grid on
 * module and ladder edges (and on ROC edges with grid 'rocs').
 *
 * The maps are drawn as layout images (one pixel per bin, scaled without smoothing) over an
 * invisible heatmap per subplot that carries the hover events: moving to another LS or changing a
 * colour scale then only swaps the images, instead of re-running plotly's heatmap pipeline for
 * 18 traces.
 */
export function buildStageFigure(panels: Panel[], opts: FigureOptions): Figure {
  const measure = opts.measure ?? estimate;
  const rows: Panel[][] = [];
  for (const p of panels) {
    const last = rows[rows.length - 1];
    if (last && last[0].layer === p.layer) last.push(p);
    else rows.push([p]);
  }
  const columns = Math.max(...rows.map((r) => r.length));
  const titleTop = opts.title ? MARGIN.t : 8;
  const plotWidth = Math.max(40, (opts.width - MARGIN.l - MARGIN.r - (columns - 1) * COLUMN_GAP) / columns);
  const heights = rows.map((r) => (plotWidth * r[0].geometry.rows) / r[0].geometry.cols);

  // Colour bars: one per column above the first layer row (shared by all layers) and above the combined row.
  const barsOf = (row: Panel[], combined: boolean): ColourBar[] =>
    row.map((panel, col) => ({
      left: MARGIN.l + col * (plotWidth + COLUMN_GAP),
      top: 0,
      height: 0,
      width: plotWidth,
      stage: panel.stage,
      range: panel.range,
      stops: panel.stops,
      titleLines: wrapTitle(panel.stage.title, plotWidth, (s) => measure(s, BAR_TITLE_FONT, true)),
      ticks: colourBarTicks(panel.range, plotWidth, (s) => measure(s, BAR_TICK_FONT), 6),
      tagLines: wrapTitle(rangeTag(panel.range), plotWidth, (s) => measure(s, BAR_TAG_FONT), ' · '),
      combined,
      editable: !panel.ownScale,
    }));
  const rowBars = rows.map((r, i) => (i === 0 || r[0].layer < 0 ? barsOf(r, r[0].layer < 0) : []));
  const logTagLines = wrapTitle(LOG_TAG_EXAMPLE, plotWidth, (s) => measure(s, BAR_TAG_FONT), ' · ').length;
  const bandBefore = rowBars.map((b) => (b.length ? bandHeight(b, logTagLines) : 0));
  const height = Math.ceil(
    titleTop + MARGIN.b + heights.reduce((a, b) => a + b, 0) + bandBefore.reduce((a, b) => a + b, 0) + ROW_GAP * rows.length,
  );
  const yFrac = (px: number) => 1 - px / height;

  const data: Figure['data'] = [];
  const annotations: unknown[] = [];
  const shapes: unknown[] = [];
  const images: unknown[] = [];
  const colourBars: ColourBar[] = [];
  const axisRow: number[] = [];
  const grid = opts.grid ?? 'modules';
  const layout: Record<string, unknown> = {
    width: Math.floor(opts.width),
    height,
    // No plotly margins: every position below is a fraction of the whole figure (ticks, axis titles and
    // labels are drawn in the room left around the domains), so HTML colour bars line up with the maps.
    margin: { l: 0, r: 0, t: 0, b: 0, pad: 0 },
    paper_bgcolor: '#ffffff',
    plot_bgcolor: '#d9dce1',
    font: { family: 'system-ui, -apple-system, Segoe UI, Roboto, sans-serif', size: 11, color: '#1d232b' },
    showlegend: false,
    dragmode: 'zoom',
    hovermode: 'closest',
    // A truthy, stable value: user zoom survives LS changes until "Reset zoom" bumps it.
    uirevision: `zoom-${opts.zoomRevision}`,
    annotations,
    shapes,
    images,
  };
  if (opts.title) {
    annotations.push({
      text: opts.title,
      xref: 'paper',
      yref: 'paper',
      x: 4 / opts.width,
      y: 1 - 4 / height,
      yanchor: 'top',
      xanchor: 'left',
      showarrow: false,
      font: { size: opts.drawColourBars ? 13 : 12, color: opts.drawColourBars ? '#1d232b' : '#5f6b7a' },
    });
  }

  let axis = 0;
  let panelIndex = 0;
  let top = titleTop;
  rows.forEach((row, rowIndex) => {
    for (const bar of rowBars[rowIndex]) colourBars.push({ ...bar, top, height: bandBefore[rowIndex] });
    top += bandBefore[rowIndex];
    const g = row[0].geometry;
    const isCombined = row[0].layer < 0;
    const { centres } = arraysOf(g);
    const xt = xTicksOf(g, plotWidth, measure);
    const ranges = axisRanges(g);
    const yt = yTicksOf(g, heights[rowIndex]);
    const rowTop = yFrac(top);
    const rowBottom = yFrac(top + heights[rowIndex]);
    const firstAxis = axis + 1;
    row.forEach((panel, col) => {
      axis += 1;
      const xRef = axisId(axis, 'x');
      const yRef = axisId(axis, 'y');
      const left = MARGIN.l + col * (plotWidth + COLUMN_GAP);
      const linked = axis !== firstAxis;
      axisRow[axis] = rowIndex;
      layout[axisKey(axis, 'x')] = {
        domain: [left / opts.width, (left + plotWidth) / opts.width],
        anchor: yRef,
        // Own copies: plotly writes zoom into the layout's range arrays, and a shared array would
        // leak one axis's zoom into the others' "before zoom" state (and break uirevision).
        range: [...(opts.zoom?.[rowIndex]?.x ?? ranges.x)],
        tickmode: 'array',
        tickvals: xt.values,
        ticktext: xt.labels,
        ticks: 'outside',
        ticklen: 3,
        tickangle: 0,
        tickfont: { size: TICK_FONT },
        title: { text: AXIS_TITLE.x, font: { size: 10, color: '#5f6b7a' }, standoff: 2 },
        ...MAP_AXIS_FRAME,
        ...(linked || (opts.linkAllX && axis > 1) ? { matches: opts.linkAllX ? 'x' : axisId(firstAxis, 'x') } : {}),
      };
      layout[axisKey(axis, 'y')] = {
        domain: [rowBottom, rowTop],
        anchor: xRef,
        range: [...(opts.zoom?.[rowIndex]?.y ?? ranges.y)],
        tickmode: 'array',
        tickvals: yt.values,
        ticktext: yt.labels,
        showticklabels: col === 0,
        ticks: col === 0 ? 'outside' : '',
        ticklen: 3,
        tickfont: { size: TICK_FONT },
        ...(col === 0 ? { title: { text: AXIS_TITLE.y, font: { size: 10, color: '#5f6b7a' }, standoff: 2 } } : {}),
        ...MAP_AXIS_FRAME,
        // Square bins on the row's first subplot; the others follow it through `matches`.
        ...(linked ? { matches: axisId(firstAxis, 'y') } : { scaleanchor: xRef, scaleratio: SQUARE_BIN_SCALE_RATIO }),
      };
      images.push({
        source: opts.images[panelIndex],
        xref: xRef,
        yref: yRef,
        x: ranges.x[0],
        y: ranges.y[1],
        sizex: ranges.x[1] - ranges.x[0],
        sizey: ranges.y[1] - ranges.y[0],
        xanchor: 'left',
        yanchor: 'top',
        sizing: 'stretch',
        layer: 'below',
      });
      if (grid === 'rocs')
        shapes.push({
          type: 'path',
          path: gridPath(g, grid, true),
          xref: xRef,
          yref: yRef,
          line: { color: 'rgba(40,40,40,0.22)', width: 0.4 },
          layer: 'above',
        });
      if (grid !== 'off')
        shapes.push({
          type: 'path',
          path: gridPath(g, grid, false),
          xref: xRef,
          yref: yRef,
          line: { color: 'rgba(40,40,40,0.35)', width: 0.6, dash: 'dot' },
          layer: 'above',
        });
      data.push({
        type: 'heatmap',
        xaxis: xRef,
        yaxis: yRef,
        x: centres.x,
        y: centres.y,
        z: hoverTarget(g),
        showscale: false,
        zmin: 0,
        zmax: 1,
        opacity: 0,
        hoverinfo: 'none',
        name: `${panel.layerName} ${panel.stage.title}`,
      });
      if (col === 0) {
        annotations.push({
          text: `<b>${isCombined ? `Combined<br>(${g.name} bins)` : g.name}</b>`,
          xref: 'paper',
          yref: 'paper',
          x: 2 / opts.width,
          y: (rowTop + rowBottom) / 2,
          xanchor: 'left',
          yanchor: 'middle',
          textangle: -90,
          showarrow: false,
          font: { size: 11 },
        });
      }
      for (const o of isCombined ? [] : (opts.outlines?.[panel.layer] ?? [])) {
        shapes.push({ type: 'rect', xref: xRef, yref: yRef, ...binBox(centres, o), line: { color: '#00b4ff', width: 1.5, dash: 'dot' } });
      }
      if (isCombined && panel.stage.key === 'final') {
        for (const m of opts.marks ?? [])
          shapes.push({ type: 'rect', xref: xRef, yref: yRef, ...binBox(centres, m), line: { color: '#00b4ff', width: 2 } });
      }
      panelIndex++;
    });
    top += heights[rowIndex] + ROW_GAP;
  });
  if (opts.drawColourBars) drawBars(colourBars, opts.barImage ?? (() => ''), height, opts.width, { annotations, shapes, images });
  return { data, layout, height, width: Math.floor(opts.width), colourBars, axisRow };
}

/**
 * The colour bars drawn into the figure for export, as on screen: title lines, the gradient (an
 * image of the colour map), tick marks and labels, and the notes.
 */
function drawBars(
  bars: ColourBar[],
  barImage: (stops: ColourStops) => string,
  height: number,
  width: number,
  out: { annotations: unknown[]; shapes: unknown[]; images: unknown[] },
): void {
  const px = (x: number, y: number) => ({ x: x / width, y: 1 - y / height });
  bars.forEach((b) => {
    let y = b.top + 4;
    for (const line of b.titleLines) {
      const p = px(b.left + b.width / 2, y);
      out.annotations.push({
        text: `<b>${line}</b>`,
        xref: 'paper',
        yref: 'paper',
        ...p,
        xanchor: 'center',
        yanchor: 'top',
        showarrow: false,
        font: { size: BAR_TITLE_FONT },
      });
      y += BAR_TITLE_LINE;
    }
    const g = px(b.left, y);
    out.images.push({
      source: barImage(b.stops),
      xref: 'paper',
      yref: 'paper',
      x: g.x,
      y: g.y,
      sizex: b.width / width,
      sizey: BAR_GRADIENT / height,
      xanchor: 'left',
      yanchor: 'top',
      sizing: 'stretch',
      layer: 'above',
    });
    y += BAR_GRADIENT;
    for (const t of b.ticks) {
      const x = b.left + t.at * b.width;
      const a = px(x, y);
      const c = px(x, y + 3);
      out.shapes.push({
        type: 'line',
        xref: 'paper',
        yref: 'paper',
        x0: a.x,
        x1: c.x,
        y0: a.y,
        y1: c.y,
        line: { color: '#5f6b7a', width: 1 },
      });
      out.annotations.push({
        text: t.label,
        xref: 'paper',
        yref: 'paper',
        ...px(x, y + 3),
        xanchor: t.anchor === 'start' ? 'left' : t.anchor === 'end' ? 'right' : 'center',
        yanchor: 'top',
        showarrow: false,
        font: { size: BAR_TICK_FONT, color: '#3a4350' },
      });
    }
    y += BAR_TICKS;
    for (const line of b.tagLines) {
      out.annotations.push({
        text: line,
        xref: 'paper',
        yref: 'paper',
        ...px(b.left + b.width / 2, y),
        xanchor: 'center',
        yanchor: 'top',
        showarrow: false,
        font: { size: BAR_TAG_FONT, color: '#5f6b7a' },
      });
      y += BAR_TAG_LINE;
    }
  });
}
