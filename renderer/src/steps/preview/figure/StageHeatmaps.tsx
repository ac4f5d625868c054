import { useLayoutEffect, useMemo, useRef, useState, type MutableRefObject } from 'react';
import { binLabel, describeBin, type LayerGeometry } from '@/shared/pixel-geometry';
import { cssGradient } from '@/shared/plot/colour-maps';
import type { ColumnScale } from '@/shared/plot/colour-scale';
import { buildComparePanels, type CompareLabels } from '@/shared/plot/compare';
import { columnScale, type Panel } from '@/shared/plot/panels';
import { withColumn, type PlotSettings } from '@/shared/plot/plot-settings';
import { STAGE_KEYS, type StageKey } from '@/shared/plot/stage-specs';
import { Plot, Plotly } from '../Plot';
import {
  BAR_TAG_FONT,
  BAR_TICK_FONT,
  BAR_TITLE_FONT,
  buildPanels,
  buildStageFigure,
  type ColourBar,
  type FigureOptions,
  type LumisectionStageMaps,
  type MarkedRegion,
  type RowZoom,
} from './build-figure';
import { ColourScaleEditor } from './ColourScaleEditor';
import { colourBarImage, measureText, panelImage } from './raster';

export interface PickEvent {
  /** Layer row index, or −1 for the combined row. */
  layer: number;
  x: number;
  y: number;
}

/** What to export: the whole grid or one map, as PNG or SVG, with a title. */
export interface ExportRequest {
  format: 'png' | 'svg';
  /** One map (layer row index or −1 for the combined row, and its stage); absent: every map. */
  map?: { layer: number; stage: StageKey };
  title: string;
}

/** Renders a figure for export; resolves with a data URL (PNG) or an SVG data URL. */
export type FigureExporter = (r: ExportRequest) => Promise<string>;

interface Props {
  maps: LumisectionStageMaps;
  geometries: LayerGeometry[];
  combinedGeometry: LayerGeometry;
  plot: PlotSettings;
  onPlotChange(next: PlotSettings): void;
  marks?: MarkedRegion[];
  outlines?: FigureOptions['outlines'];
  zoomRevision: number;
  title?: string;
  onPick?(e: PickEvent): void;
  exportRef?: MutableRefObject<FigureExporter | null>;
  /** Compare mode: this stage of `maps` side by side with the same stage of `other`, and their difference. */
  compare?: { other: LumisectionStageMaps; stage: StageKey; labels: CompareLabels };
}

/** Performance marks around every re-render, read by the UI benchmark (bench/preview-ui.bench.ts). */
export const RENDER_MEASURE = 'preview:stages-render';
export const DATA_MARK = 'preview:stages-data';

/** Only modebar buttons that act on the plot in place: nothing that uploads, links out or saves. */
export const MODEBAR_BUTTONS = [['zoom2d', 'pan2d', 'zoomIn2d', 'zoomOut2d', 'resetScale2d']];
/**
 * plotly's config for every map: no "Share chart" (it uploads the figure to Plotly Cloud, on by
 * default in plotly 4), no plotly logo link, no link to edit the chart elsewhere, no server URL.
 */
export const PLOT_CONFIG = {
  displaylogo: false,
  showSendToCloud: false,
  showEditInChartStudio: false,
  showLink: false,
  plotlyServerURL: '',
  modeBarButtons: MODEBAR_BUTTONS,
  responsive: false,
  scrollZoom: false,
  doubleClick: 'reset',
} as const;

interface Tip {
  x: number;
  y: number;
  title: string;
  where: string;
  value: string;
}

const BAR_TITLE_LINE = 14;
const BAR_GRADIENT = 8;
const BAR_TICKS = 14;
const BAR_TAG_LINE = 12;

/** A stage's colour bar in HTML above its column (title, gradient, range and ticks); a button that opens its settings. */
function ColourBarStrip({ bar, open, onOpen }: { bar: ColourBar; open: boolean; onOpen(): void }) {
  const ticksTop = 4 + bar.titleLines.length * BAR_TITLE_LINE + BAR_GRADIENT;
  const describe = `${bar.stage.title}: ${bar.range.scale} z, ${bar.range.source} range ${bar.ticks[0]?.label} to ${bar.ticks.at(-1)?.label}`;
  return (
    <button
      type="button"
      className="colour-bar"
      data-colour-bar
      aria-expanded={bar.editable ? open : undefined}
      aria-label={bar.editable ? `Colour scale of ${describe} — change` : `Colour scale of ${describe}`}
      title={bar.editable ? 'Change the colour scale of this column' : 'The difference is drawn linear, symmetric around 0'}
      disabled={!bar.editable}
      onClick={onOpen}
      style={{ left: bar.left, top: bar.top, width: bar.width, height: bar.height }}
      data-testid={`colour-bar-${bar.editable ? bar.stage.key : 'difference'}`}
    >
      {bar.titleLines.map((l, i) => (
        <span key={i} className="colour-bar-title" style={{ top: 4 + i * BAR_TITLE_LINE, fontSize: BAR_TITLE_FONT }}>
          {l}
        </span>
      ))}
      <span
        className="colour-bar-gradient"
        style={{ top: 4 + bar.titleLines.length * BAR_TITLE_LINE, background: cssGradient(bar.stops) }}
      />
      {bar.ticks.map((t) => (
        <span
          key={`${t.at}`}
          className={`colour-bar-tick anchor-${t.anchor}`}
          style={{ left: `${t.at * 100}%`, top: ticksTop, fontSize: BAR_TICK_FONT }}
        >
          {t.label}
        </span>
      ))}
      {bar.tagLines.map((l, i) => (
        <span key={`tag${i}`} className="colour-bar-tag" style={{ top: ticksTop + BAR_TICKS + i * BAR_TAG_LINE, fontSize: BAR_TAG_FONT }}>
          {l}
        </span>
      ))}
    </button>
  );
}

function formatValue(v: number | null, integer: boolean): string {
  if (v === null) return 'no data';
  if (integer && Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : v.toPrecision(4);
}

/** Hover text of a bin of a panel. */
export function hoverTip(panel: Panel, row: number, col: number): Omit<Tip, 'x' | 'y'> {
  const v = panel.values[row]?.[col] ?? null;
  return {
    title: `${panel.layerName} · ${panel.stage.title}`,
    where: binLabel(describeBin(panel.geometry, row, col)),
    value: `${formatValue(v, panel.stage.integer)}${panel.stage.unit && v !== null ? ` ${panel.stage.unit}` : ''}${
      panel.range.scale === 'log' && v !== null && v <= 0 ? ' (not drawn on log z)' : ''
    }`,
  };
}

export function StageHeatmaps({
  maps,
  geometries,
  combinedGeometry,
  plot,
  onPlotChange,
  marks,
  outlines,
  zoomRevision,
  title,
  onPick,
  exportRef,
  compare,
}: Props) {
  const wrapRef = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);
  const [tip, setTip] = useState<Tip | null>(null);
  /** The colour bar whose settings are open (index into the figure's bars). */
  const [editing, setEditing] = useState<number | null>(null);
  useLayoutEffect(() => {
    const el = wrapRef.current!;
    let t = 0;
    const ro = new ResizeObserver(() => {
      clearTimeout(t);
      t = window.setTimeout(() => setWidth(el.clientWidth), 60);
    });
    ro.observe(el);
    setWidth(el.clientWidth);
    return () => {
      clearTimeout(t);
      ro.disconnect();
    };
  }, []);

  // Maps → panels and images only when the LS or a colour scale changes, not on zoom, picks or resizes.
  const columns = plot.columns;
  const rasters = useMemo(() => {
    performance.mark(DATA_MARK);
    const panels = compare
      ? buildComparePanels(maps, compare.other, compare.stage, compare.labels, geometries, combinedGeometry, columns)
      : buildPanels(maps, geometries, combinedGeometry, columns);
    const images = panels.map((p) => panelImage(p));
    performance.measure('preview:stages-rasters', DATA_MARK);
    return { panels, images };
  }, [maps, geometries, combinedGeometry, columns, compare]);

  // Zoom per figure row, kept across LS changes; "Reset zoom" (a new zoomRevision) clears it.
  const zoom = useRef<{ revision: number; rows: Array<RowZoom | undefined> }>({ revision: zoomRevision, rows: [] });
  if (zoom.current.revision !== zoomRevision) zoom.current = { revision: zoomRevision, rows: [] };
  const figure = useMemo(
    () =>
      width > 0
        ? buildStageFigure(rasters.panels, {
            width,
            images: rasters.images,
            marks,
            outlines,
            zoomRevision,
            title,
            zoom: zoom.current.rows,
            grid: plot.grid,
            measure: measureText,
            linkAllX: Boolean(compare),
          })
        : null,
    [rasters, width, marks, outlines, zoomRevision, title, plot.grid, compare],
  );
  const onRelayout = (e: Record<string, unknown>) => {
    if (!figure) return;
    for (const [key, value] of Object.entries(e)) {
      const m = key.match(/^([xy])axis(\d*)\.(range\[([01])\]|range|autorange)$/);
      if (!m) continue;
      const row = figure.axisRow[m[2] ? Number(m[2]) : 1];
      if (row === undefined) continue;
      const xy = m[1] as 'x' | 'y';
      const z = (zoom.current.rows[row] ??= {});
      if (m[3] === 'autorange') delete z[xy];
      else if (m[3] === 'range') z[xy] = [...(value as [number, number])];
      else {
        const r = (z[xy] ??= [NaN, NaN]);
        r[Number(m[4])] = value as number;
      }
    }
  };

  if (exportRef) {
    exportRef.current = async ({ format, map, title: figTitle }) => {
      if (!figure) throw new Error('The figure is not drawn yet');
      const one = map ? rasters.panels.filter((p) => p.layer === map.layer && p.stage.key === map.stage) : rasters.panels;
      if (!one.length) throw new Error('There is no such map in this figure');
      const exportWidth = map ? 560 : Math.max(width, 1100);
      const withBars = buildStageFigure(one, {
        width: exportWidth,
        images: one.map((p) => panelImage(p, 6)),
        marks,
        outlines,
        zoomRevision,
        title: figTitle,
        zoom: map ? [zoom.current.rows[rowOf(rasters.panels, one[0])]] : zoom.current.rows,
        grid: plot.grid,
        measure: measureText,
        linkAllX: Boolean(compare),
        drawColourBars: true,
        barImage: colourBarImage,
      });
      return Plotly.toImage({ data: withBars.data, layout: withBars.layout } as never, {
        format,
        width: withBars.width,
        height: withBars.height,
        scale: format === 'png' ? 2 : 1,
      });
    };
  }

  const measured = () => {
    try {
      performance.measure(RENDER_MEASURE, DATA_MARK);
    } catch {
      /* mark cleared by the benchmark between runs */
    }
  };

  type PlotlyPoint = { curveNumber: number; pointNumber: [number, number] | number; x: number; y: number };
  const pointOf = (e: { points?: PlotlyPoint[] }) => {
    const p = e.points?.[0];
    if (!p || !Array.isArray(p.pointNumber)) return null;
    const panel = rasters.panels[p.curveNumber];
    return panel ? { p, panel, row: p.pointNumber[0], col: p.pointNumber[1] } : null;
  };

  const openBar = editing !== null ? figure?.colourBars[editing] : undefined;
  const changeColumn = (key: StageKey, next: ColumnScale) => onPlotChange(withColumn(plot, key, next));
  return (
    <div className="stage-heatmaps" ref={wrapRef} data-testid="stage-heatmaps" onMouseLeave={() => setTip(null)}>
      {figure && (
        <Plot
          data={figure.data}
          layout={figure.layout}
          config={PLOT_CONFIG as never}
          style={{ width: '100%', height: figure.height }}
          onInitialized={measured}
          onUpdate={measured}
          onHover={(e: { points?: PlotlyPoint[]; event?: MouseEvent }) => {
            const hit = pointOf(e);
            const box = wrapRef.current?.getBoundingClientRect();
            if (!hit || !box || !e.event) return setTip(null);
            setTip({ x: e.event.clientX - box.left, y: e.event.clientY - box.top, ...hoverTip(hit.panel, hit.row, hit.col) });
          }}
          onUnhover={() => setTip(null)}
          onRelayout={onRelayout}
          onClick={(e: { points?: PlotlyPoint[] }) => {
            const hit = pointOf(e);
            if (hit && onPick) onPick({ layer: hit.panel.layer, x: hit.p.x, y: hit.p.y });
          }}
        />
      )}
      {figure?.colourBars.map((b, i) => (
        <ColourBarStrip key={i} bar={b} open={openBar === b} onOpen={() => setEditing(editing === i ? null : i)} />
      ))}
      {openBar && (
        <ColourScaleEditor
          key={openBar.stage.key}
          stage={openBar.stage}
          value={columnScale(plot.columns, openBar.stage.key)}
          drawn={openBar.range}
          onChange={(next) => changeColumn(openBar.stage.key, next)}
          onApplyToAll={(v) => {
            let next = plot;
            for (const k of STAGE_KEYS) next = withColumn(next, k, { scale: v.scale, colourMap: v.colourMap });
            onPlotChange(next);
          }}
          onClose={() => setEditing(null)}
          style={{ left: Math.max(0, Math.min(openBar.left, width - 330)), top: openBar.top + openBar.height + 2 }}
        />
      )}
      {tip && (
        <div
          className="map-tooltip"
          role="tooltip"
          data-testid="map-tooltip"
          style={{ left: Math.min(tip.x + 14, width - 250), top: tip.y + 14 }}
        >
          <strong>{tip.title}</strong>
          <div>{tip.where}</div>
          <div>
            value <span className="mono">{tip.value}</span>
          </div>
        </div>
      )}
    </div>
  );
}

/** Figure row of a panel (layer rows in order, then the combined row). */
function rowOf(panels: Panel[], p: Panel): number {
  const rows: number[] = [];
  for (const q of panels) if (!rows.includes(q.layer)) rows.push(q.layer);
  return rows.indexOf(p.layer);
}
