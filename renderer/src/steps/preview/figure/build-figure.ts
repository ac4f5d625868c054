import {
  BINS_PER_LADDER,
  BINS_PER_MODULE,
  axisRanges,
  binCentres,
  croppedMapRows,
  fullMapRows,
  ladderGrid,
  ladderTicks,
  moduleGrid,
  moduleTicks,
  SQUARE_BIN_SCALE_RATIO,
  type HeatmapRows,
  type LayerGeometry,
} from '@/shared/pixel-geometry';
import { COMBINED_STAGES, LAYER_STAGES, type ColourMode, type LayerStageKey, type StageSpec } from './stage-specs';

/** One lumisection's maps, flat row-major; every layer map but `raw` is cropped (cross removed). */
export interface LayerStageMaps {
  name: string;
  raw: ArrayLike<number>;
  preprocessed: ArrayLike<number>;
  reconstruction: ArrayLike<number>;
  loss: ArrayLike<number>;
  lossBinary: ArrayLike<number>;
}

export interface LumisectionStageMaps {
  layers: LayerStageMaps[];
  /** In the first layer's cropped binning. */
  combined: ArrayLike<number>;
  lossMask: ArrayLike<number>;
  final: ArrayLike<number>;
}

/** A rectangle of full-map bins (half-open) of the first layer's binning, outlined on the final map. */
export interface MarkedRegion {
  row0: number;
  row1: number;
  col0: number;
  col1: number;
  label: string;
}

/** One subplot's map: full-map rows (gaps null), its stage, layer and colour range. */
export interface Panel {
  /** Layer row index, or −1 for the combined row. */
  layer: number;
  layerName: string;
  geometry: LayerGeometry;
  stage: StageSpec;
  values: HeatmapRows;
  range: [number, number];
  /** True when the range comes from the data (auto, or a stage without a fixed range). */
  autoRange: boolean;
}

/**
 * Every map of one LS as panels, with colour ranges: fixed per stage, or (auto) from this LS's
 * data of that stage over all layers, so one colour bar per stage column stays valid.
 */
/** Axis frame shared by every map subplot: a thin box, no plotly grid (the DQM grid is drawn as shapes). */
const MAP_AXIS_FRAME = {
  showgrid: false,
  zeroline: false,
  showline: true,
  linecolor: '#8a94a3',
  mirror: true,
  constrain: 'domain',
} as const;

export function buildPanels(
  maps: LumisectionStageMaps,
  geometries: LayerGeometry[],
  combinedGeometry: LayerGeometry,
  mode: ColourMode,
): Panel[] {
  const nLayers = maps.layers.length;
  const panels: Panel[] = [];
  for (const spec of LAYER_STAGES) {
    const values = maps.layers.map((l, i) =>
      spec.key === 'raw' ? fullMapRows(geometries[i], l.raw) : croppedMapRows(geometries[i], l[spec.key as Exclude<LayerStageKey, 'raw'>]),
    );
    const { range, auto } = stageRange(spec, mode, values, nLayers);
    values.forEach((v, i) =>
      panels.push({ layer: i, layerName: geometries[i].name, geometry: geometries[i], stage: spec, values: v, range, autoRange: auto }),
    );
  }
  const combined = [maps.combined, maps.lossMask, maps.final];
  COMBINED_STAGES.forEach((spec, k) => {
    const values = croppedMapRows(combinedGeometry, combined[k]);
    const { range, auto } = stageRange(spec, mode, [values], nLayers);
    panels.push({
      layer: -1,
      layerName: `combined (${combinedGeometry.name} binning)`,
      geometry: combinedGeometry,
      stage: spec,
      values,
      range,
      autoRange: auto,
    });
  });
  // Row-major order of the figure: each layer's stages, then the combined row.
  return panels.sort((a, b) => rowKey(a) - rowKey(b) || columnOf(a) - columnOf(b));
}

const rowKey = (p: Panel) => (p.layer < 0 ? 1e6 : p.layer);
const columnOf = (p: Panel) => (p.layer < 0 ? COMBINED_STAGES : LAYER_STAGES).indexOf(p.stage);

function finiteRange(maps: HeatmapRows[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const m of maps) {
    for (const row of m) {
      for (const v of row) {
        if (v === null) continue;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
  }
  if (lo === Infinity) return [0, 1];
  if (hi <= lo) return [lo, lo + 1];
  return [lo, hi];
}

function stageRange(spec: StageSpec, mode: ColourMode, maps: HeatmapRows[], layers: number): { range: [number, number]; auto: boolean } {
  if (mode === 'fixed' && spec.fixedRange) return { range: spec.fixedRange(layers), auto: false };
  const [lo, hi] = finiteRange(maps);
  return { range: [Math.min(0, lo), hi], auto: true };
}

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
  /**
   * Draw the colour bars with plotly (for PNG export). On screen they are HTML (`colourBars`):
   * a plotly colour range change means a full re-plot, and auto ranges change with every LS.
   */
  plotlyColourBars?: boolean;
}

export interface RowZoom {
  x?: [number, number];
  y?: [number, number];
}

/** A colour bar above a stage column, in pixels from the figure's top-left corner. */
export interface ColourBar {
  left: number;
  top: number;
  width: number;
  stage: StageSpec;
  range: [number, number];
  autoRange: boolean;
}

export interface Figure {
  data: Array<Record<string, unknown>>;
  layout: Record<string, unknown>;
  height: number;
  colourBars: ColourBar[];
  /** Figure row of every axis number (index 1…). */
  axisRow: number[];
}

const MARGIN = { l: 58, r: 14, t: 26, b: 8 };
const COLUMN_GAP = 14;
/** Room above a row of subplots for its colour bars and their titles. */
const COLOURBAR_BAND = 58;
/** Room below a row for the module tick labels. */
const ROW_GAP = 30;
const COLUMNS = 5;

/**
 * Per-geometry arrays, computed once: plotly.react compares data arrays (x, y, z, tickvals) by
 * reference, so fresh copies on every LS would make it redo the whole figure.
 */
interface AxisArrays {
  centres: { x: number[]; y: number[] };
  xTicks: ReturnType<typeof moduleTicks>;
  yTicks: Map<number, ReturnType<typeof ladderTicks>>;
}
const axisArrays = new WeakMap<LayerGeometry, AxisArrays>();
function arraysOf(g: LayerGeometry): AxisArrays {
  let a = axisArrays.get(g);
  if (!a) axisArrays.set(g, (a = { centres: binCentres(g), xTicks: moduleTicks(g), yTicks: new Map() }));
  return a;
}
function yTicksOf(g: LayerGeometry, maxTicks: number) {
  const cache = arraysOf(g).yTicks;
  let t = cache.get(maxTicks);
  if (!t) cache.set(maxTicks, (t = ladderTicks(g, maxTicks)));
  return t;
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

/**
 * The whole figure set as one plotly figure: a row of five stages per layer (axes of a row are
 * linked, so zooming one zooms all), then the combined row. Bins are square, origin at the bottom,
 * x ticks at modules and y ticks at signed ladders, dotted grid on module and ladder edges.
 *
 * The maps are drawn as layout images (one pixel per bin, scaled without smoothing) over an
 * invisible heatmap per subplot that carries the colour bar and the hover events: moving to another
 * LS then only swaps the images, instead of re-running plotly's heatmap pipeline for 18 traces.
 */
export function buildStageFigure(panels: Panel[], opts: FigureOptions): Figure {
  const rows: Panel[][] = [];
  for (const p of panels) {
    const last = rows[rows.length - 1];
    if (last && last[0].layer === p.layer) last.push(p);
    else rows.push([p]);
  }
  const plotWidth = Math.max(60, (opts.width - MARGIN.l - MARGIN.r - (COLUMNS - 1) * COLUMN_GAP) / COLUMNS);
  const heights = rows.map((r) => (plotWidth * r[0].geometry.rows) / r[0].geometry.cols);
  // The combined row has its own colour bars; layer rows share the bars above the first row.
  const bandBefore = rows.map((r, i): number => (i === 0 || r[0].layer < 0 ? COLOURBAR_BAND : 0));
  const height = Math.ceil(
    MARGIN.t + MARGIN.b + heights.reduce((a, b) => a + b, 0) + bandBefore.reduce((a, b) => a + b, 0) + ROW_GAP * rows.length,
  );
  const yFrac = (px: number) => 1 - px / height;

  const data: Figure['data'] = [];
  const annotations: unknown[] = [];
  const shapes: unknown[] = [];
  const images: unknown[] = [];
  const colourBars: ColourBar[] = [];
  const axisRow: number[] = [];
  const layout: Record<string, unknown> = {
    width: Math.floor(opts.width),
    height,
    margin: { ...MARGIN, pad: 0 },
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
      x: 0,
      y: 1,
      yanchor: 'bottom',
      xanchor: 'left',
      showarrow: false,
      font: { size: 12, color: '#5f6b7a' },
    });
  }

  let axis = 0;
  let panelIndex = 0;
  let top = MARGIN.t;
  rows.forEach((row, rowIndex) => {
    top += bandBefore[rowIndex];
    const g = row[0].geometry;
    const isCombined = row[0].layer < 0;
    const { centres, xTicks: xt } = arraysOf(g);
    const ranges = axisRanges(g);
    const yt = yTicksOf(g, Math.max(5, Math.floor(heights[rowIndex] / 16)));
    const mg = moduleGrid(g);
    const lg = ladderGrid(g);
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
        tickfont: { size: plotWidth < 200 ? 8 : 10 },
        ...MAP_AXIS_FRAME,
        ...(linked ? { matches: axisId(firstAxis, 'x') } : {}),
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
        tickfont: { size: 10 },
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
      // Dotted grid every module (8 columns) and every ladder (2 rows): one path per subplot.
      let grid = '';
      for (const x of mg.positions.slice(1, -1)) grid += `M${x},${ranges.y[0]}V${ranges.y[1]}`;
      for (const y of lg.positions.slice(1, -1)) grid += `M${ranges.x[0]},${y}H${ranges.x[1]}`;
      shapes.push({
        type: 'path',
        path: grid,
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
        ...(opts.plotlyColourBars ? { coloraxis: colourAxisName(isCombined, col) } : { showscale: false, zmin: 0, zmax: 1 }),
        opacity: 0,
        hoverinfo: 'none',
        name: `${panel.layerName} ${panel.stage.title}`,
      });
      if (col === 0) {
        annotations.push({
          text: `<b>${isCombined ? `Combined<br>(${g.name} bins)` : g.name}</b>`,
          xref: 'paper',
          yref: 'paper',
          x: 0,
          xshift: -MARGIN.l + 2,
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
    // Colour bars: one per column above the first layer row (shared by all layers) and above the combined row.
    if (rowIndex === 0 || isCombined) {
      row.forEach((panel, col) => {
        const left = MARGIN.l + col * (plotWidth + COLUMN_GAP);
        colourBars.push({ left, top: top - 22, width: plotWidth, stage: panel.stage, range: panel.range, autoRange: panel.autoRange });
        if (!opts.plotlyColourBars) return;
        layout[colourAxisName(isCombined, col)] = {
          cmin: panel.range[0],
          cmax: panel.range[1],
          colorscale: panel.stage.colourScale,
          colorbar: {
            orientation: 'h',
            x: (left + plotWidth / 2) / opts.width,
            xanchor: 'center',
            y: yFrac(top - 22),
            yanchor: 'bottom',
            len: plotWidth,
            lenmode: 'pixels',
            thickness: 8,
            outlinewidth: 0,
            ticks: 'outside',
            ticklen: 2,
            tickfont: { size: 9 },
            nticks: 5,
            title: {
              text: `<b>${panel.stage.title}</b>${panel.autoRange ? ' <span style="color:#5f6b7a">(auto)</span>' : ''}`,
              side: 'top',
              font: { size: 11 },
            },
          },
        };
      });
    }
    top += heights[rowIndex] + ROW_GAP;
  });
  return { data, layout, height, colourBars, axisRow };
}

function colourAxisName(isCombined: boolean, col: number): string {
  const n = isCombined ? COLUMNS + col + 1 : col + 1;
  return n === 1 ? 'coloraxis' : `coloraxis${n}`;
}
