import {
  BINS_PER_LADDER,
  BINS_PER_MODULE,
  axisRanges,
  binCentres,
  croppedMapRows,
  fullMapRows,
  hoverLabels,
  ladderGrid,
  ladderTicks,
  moduleGrid,
  moduleTicks,
  SQUARE_BIN_SCALE_RATIO,
  type HeatmapRows,
  type LayerGeometry,
} from '../../../../../shared/pixel-geometry';
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

/** A rectangle to outline on the final map (where a flagging pattern matched), in full-map bins of the first layer. */
export interface MarkedRegion {
  row0: number;
  row1: number;
  col0: number;
  col1: number;
  label: string;
}

export interface FigureOptions {
  /** Pixel width available for the whole figure set. */
  width: number;
  colourMode: ColourMode;
  /** Geometry per layer (same order as the maps) and of the combined maps (first layer's binning). */
  geometries: LayerGeometry[];
  combinedGeometry: LayerGeometry;
  marks?: MarkedRegion[];
  /** Rectangles (full-map bins) outlined on every stage of a layer, e.g. the what-if regions; one list per layer. */
  outlines?: Array<Array<{ row0: number; row1: number; col0: number; col1: number }>>;
  /** Changes when the user asks for a zoom reset; otherwise zoom survives LS changes. */
  zoomRevision: number;
  title?: string;
}

export interface Figure {
  data: Array<Record<string, unknown>>;
  layout: Record<string, unknown>;
  height: number;
  /** Subplot axis index (1-based) → which layer row (or −1 for combined) and stage it shows. */
  subplots: Array<{ axis: number; layer: number; stage: StageSpec }>;
}

const MARGIN = { l: 58, r: 14, t: 10, b: 8 };
const COLUMN_GAP = 14;
/** Room above a row of subplots for its colour bars and their titles. */
const COLOURBAR_BAND = 58;
/** Room below a row for the module tick labels and the layer's axis title. */
const ROW_GAP = 30;
const COLUMNS = 5;

/** Axis extents of a half-open rectangle of full-map bins (bin edges: ±½ bin around the centres). */
function binBox(c: { x: number[]; y: number[] }, b: { row0: number; row1: number; col0: number; col1: number }) {
  const hx = 0.5 / BINS_PER_MODULE;
  const hy = 0.5 / BINS_PER_LADDER;
  return { x0: c.x[b.col0] - hx, x1: c.x[b.col1 - 1] + hx, y0: c.y[b.row0] - hy, y1: c.y[b.row1 - 1] + hy };
}

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

function stageRange(spec: StageSpec, mode: ColourMode, maps: HeatmapRows[], layers: number): [number, number] {
  if (mode === 'fixed' && spec.fixedRange) return spec.fixedRange(layers);
  const [lo, hi] = finiteRange(maps);
  return [Math.min(0, lo), hi];
}

/**
 * The whole figure set as one plotly figure: a row of five stages per layer (axes of a row are
 * linked, so zooming one zooms all), then the combined row. Bins are square, origin at the bottom,
 * x ticks at modules and y ticks at signed ladders, dotted grid on module and ladder edges.
 */
export function buildStageFigure(maps: LumisectionStageMaps, opts: FigureOptions): Figure {
  const nLayers = maps.layers.length;
  const plotWidth = Math.max(60, (opts.width - MARGIN.l - MARGIN.r - (COLUMNS - 1) * COLUMN_GAP) / COLUMNS);
  const rowsGeom = [...opts.geometries, opts.combinedGeometry];
  const heights = rowsGeom.map((g) => (plotWidth * g.rows) / g.cols);
  // The combined row has its own colour bars; layer rows share the bars above the first row.
  const bandBefore = rowsGeom.map((_, i): number => (i === 0 || i === nLayers ? COLOURBAR_BAND : 0));
  const total = MARGIN.t + MARGIN.b + heights.reduce((a, b) => a + b, 0) + bandBefore.reduce((a, b) => a + b, 0) + ROW_GAP * rowsGeom.length;
  const height = Math.ceil(total);
  const yFrac = (px: number) => 1 - px / height;

  // Stage rows of map data, one list per column, for the ranges.
  const layerRows: HeatmapRows[][] = LAYER_STAGES.map((s) =>
    maps.layers.map((l, i) => (s.key === 'raw' ? fullMapRows(opts.geometries[i], l.raw) : croppedMapRows(opts.geometries[i], l[s.key as Exclude<LayerStageKey, 'raw'>]))),
  );
  const combinedRows: HeatmapRows[] = [maps.combined, maps.lossMask, maps.final].map((m: ArrayLike<number>) => croppedMapRows(opts.combinedGeometry, m));

  const data: Figure['data'] = [];
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
    hoverlabel: { bgcolor: '#1d232b', font: { color: '#ffffff', size: 11 } },
    uirevision: opts.zoomRevision,
    annotations: [] as unknown[],
    shapes: [] as unknown[],
  };
  const annotations = layout.annotations as unknown[];
  const shapes = layout.shapes as unknown[];
  const subplots: Figure['subplots'] = [];
  if (opts.title) {
    annotations.push({ text: opts.title, xref: 'paper', yref: 'paper', x: 0, y: 1, yanchor: 'bottom', xanchor: 'left', showarrow: false, font: { size: 12, color: '#5f6b7a' } });
  }

  let axis = 0;
  let top = MARGIN.t;
  rowsGeom.forEach((g, rowIndex) => {
    top += bandBefore[rowIndex];
    const isCombined = rowIndex === nLayers;
    const specs = isCombined ? COMBINED_STAGES : LAYER_STAGES;
    const centres = binCentres(g);
    const ranges = axisRanges(g);
    const xt = moduleTicks(g);
    const yt = ladderTicks(g, Math.max(5, Math.floor(heights[rowIndex] / 16)));
    const mg = moduleGrid(g);
    const lg = ladderGrid(g);
    const rowTop = yFrac(top);
    const rowBottom = yFrac(top + heights[rowIndex]);
    const firstAxis = axis + 1;
    const text = hoverLabels(g);
    specs.forEach((spec, col) => {
      axis += 1;
      const xName = axis === 1 ? 'xaxis' : `xaxis${axis}`;
      const yName = axis === 1 ? 'yaxis' : `yaxis${axis}`;
      const xRef = axis === 1 ? 'x' : `x${axis}`;
      const yRef = axis === 1 ? 'y' : `y${axis}`;
      const left = MARGIN.l + col * (plotWidth + COLUMN_GAP);
      const x0 = left / opts.width;
      const x1 = (left + plotWidth) / opts.width;
      const linkedX = axis === firstAxis ? undefined : firstAxis === 1 ? 'x' : `x${firstAxis}`;
      const linkedY = axis === firstAxis ? undefined : firstAxis === 1 ? 'y' : `y${firstAxis}`;
      layout[xName] = {
        domain: [x0, x1],
        anchor: yRef,
        range: ranges.x,
        tickmode: 'array',
        tickvals: xt.values,
        ticktext: xt.labels,
        ticks: 'outside',
        ticklen: 3,
        tickangle: 0,
        tickfont: { size: plotWidth < 200 ? 8 : 10 },
        showgrid: false,
        zeroline: false,
        showline: true,
        linecolor: '#8a94a3',
        mirror: true,
        minor: { tickmode: 'array', tickvals: mg.positions, showgrid: true, griddash: 'dot', gridcolor: 'rgba(60,60,60,0.45)', gridwidth: 1, ticks: '' },
        ...(linkedX ? { matches: linkedX } : {}),
        constrain: 'domain',
      };
      layout[yName] = {
        domain: [rowBottom, rowTop],
        anchor: xRef,
        range: ranges.y,
        tickmode: 'array',
        tickvals: yt.values,
        ticktext: yt.labels,
        showticklabels: col === 0,
        ticks: col === 0 ? 'outside' : '',
        tickfont: { size: 10 },
        ticklen: 3,
        showgrid: false,
        zeroline: false,
        showline: true,
        linecolor: '#8a94a3',
        mirror: true,
        minor: { tickmode: 'array', tickvals: lg.positions, showgrid: true, griddash: 'dot', gridcolor: 'rgba(60,60,60,0.3)', gridwidth: 1, ticks: '' },
        constrain: 'domain',
        // Square bins on the row's first subplot; the others follow it through `matches`.
        ...(linkedY ? { matches: linkedY } : { scaleanchor: xRef, scaleratio: SQUARE_BIN_SCALE_RATIO }),
      };
      const z = isCombined ? combinedRows[col] : layerRows[col][rowIndex];
      const colourAxis = isCombined ? `coloraxis${COLUMNS + col + 1}` : col === 0 ? 'coloraxis' : `coloraxis${col + 1}`;
      const layerName = isCombined ? `combined (${g.name} binning)` : g.name;
      data.push({
        type: 'heatmap',
        xaxis: xRef,
        yaxis: yRef,
        x: centres.x,
        y: centres.y,
        z,
        text,
        coloraxis: colourAxis,
        zsmooth: false,
        hoverongaps: false,
        hovertemplate: `<b>${layerName} · ${spec.title}</b><br>%{text}<br>value %{z:${spec.integer ? '.0f' : '.4g'}}${spec.unit ? ` ${spec.unit}` : ''}<extra></extra>`,
        name: `${layerName} ${spec.title}`,
      });
      subplots.push({ axis, layer: isCombined ? -1 : rowIndex, stage: spec });
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
      for (const o of isCombined ? [] : (opts.outlines?.[rowIndex] ?? [])) {
        shapes.push({ type: 'rect', xref: xRef, yref: yRef, ...binBox(centres, o), line: { color: '#00b4ff', width: 1.5, dash: 'dot' } });
      }
      if (isCombined && spec.key === 'final') {
        for (const m of opts.marks ?? []) {
          shapes.push({ type: 'rect', xref: xRef, yref: yRef, ...binBox(centres, m), line: { color: '#00b4ff', width: 2 } });
        }
      }
    });
    // Colour bars: one per column above the first layer row (shared by all layers) and above the combined row.
    if (rowIndex === 0 || isCombined) {
      specs.forEach((spec, col) => {
        const colourAxis = isCombined ? `coloraxis${COLUMNS + col + 1}` : col === 0 ? 'coloraxis' : `coloraxis${col + 1}`;
        const columnMaps = isCombined ? [combinedRows[col]] : layerRows[col];
        const [cmin, cmax] = stageRange(spec, opts.colourMode, columnMaps, nLayers);
        const left = MARGIN.l + col * (plotWidth + COLUMN_GAP);
        const fixed = opts.colourMode === 'fixed' && spec.fixedRange !== null;
        layout[colourAxis] = {
          cmin,
          cmax,
          colorscale: spec.colourScale,
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
            title: { text: `<b>${spec.title}</b>${fixed ? '' : ' <span style="color:#5f6b7a">(auto)</span>'}`, side: 'top', font: { size: 11 } },
          },
        };
      });
    }
    top += heights[rowIndex] + ROW_GAP;
  });
  return { data, layout, height, subplots };
}
