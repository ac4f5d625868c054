import { useLayoutEffect, useMemo, useRef, useState, type MutableRefObject } from 'react';
import { binLabel, describeBin, type LayerGeometry } from '@/shared/pixel-geometry';
import { Plot, Plotly } from '../Plot';
import {
  buildPanels,
  buildStageFigure,
  type ColourBar,
  type FigureOptions,
  type LumisectionStageMaps,
  type MarkedRegion,
  type RowZoom,
} from './build-figure';
import { niceTicks, tickLabel } from './nice-ticks';
import { panelImage } from './raster';
import type { ColourMode } from './stage-specs';

export interface PickEvent {
  /** Layer row index, or −1 for the combined row. */
  layer: number;
  x: number;
  y: number;
}

/** Renders the current figure set as a PNG (data URL) with every bin drawn sharp. */
export type ExportFigure = () => Promise<string>;

interface Props {
  maps: LumisectionStageMaps;
  geometries: LayerGeometry[];
  combinedGeometry: LayerGeometry;
  colourMode: ColourMode;
  marks?: MarkedRegion[];
  outlines?: FigureOptions['outlines'];
  zoomRevision: number;
  title?: string;
  onPick?(e: PickEvent): void;
  exportRef?: MutableRefObject<ExportFigure | null>;
}

/** Performance marks around every re-render, read by the UI benchmark (bench/preview-ui.bench.ts). */
export const RENDER_MEASURE = 'preview:stages-render';
export const DATA_MARK = 'preview:stages-data';

interface Tip {
  x: number;
  y: number;
  title: string;
  where: string;
  value: string;
}

/** A stage's colour bar in HTML above its column (title, gradient, round ticks). */
function ColourBarStrip({ bar }: { bar: ColourBar }) {
  const [lo, hi] = bar.range;
  const gradient = `linear-gradient(to right, ${bar.stage.colourScale.map(([p, c]) => `${c} ${(p * 100).toFixed(1)}%`).join(', ')})`;
  return (
    <div className="colour-bar" style={{ left: bar.left, top: bar.top - 16, width: bar.width }} data-testid={`colour-bar-${bar.stage.key}`}>
      <div className="colour-bar-title">
        <strong>{bar.stage.title}</strong> {bar.autoRange && <span className="muted">(auto)</span>}
      </div>
      <div className="colour-bar-gradient" style={{ background: gradient }} />
      <div className="colour-bar-ticks">
        {niceTicks(lo, hi).map((t) => (
          <span key={t} style={{ left: `${((t - lo) / (hi - lo || 1)) * 100}%` }}>
            {tickLabel(t)}
          </span>
        ))}
      </div>
    </div>
  );
}

function formatValue(v: number | null, integer: boolean): string {
  if (v === null) return 'no data';
  if (integer) return String(Math.round(v));
  return Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : v.toPrecision(4);
}

export function StageHeatmaps({
  maps,
  geometries,
  combinedGeometry,
  colourMode,
  marks,
  outlines,
  zoomRevision,
  title,
  onPick,
  exportRef,
}: Props) {
  const wrapRef = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);
  const [tip, setTip] = useState<Tip | null>(null);
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

  // Maps → panels and images only when the LS (or colour mode) changes, not on zoom, picks or resizes.
  const rasters = useMemo(() => {
    performance.mark(DATA_MARK);
    const panels = buildPanels(maps, geometries, combinedGeometry, colourMode);
    const images = panels.map((p) => panelImage(p));
    performance.measure('preview:stages-rasters', DATA_MARK);
    return { panels, images };
  }, [maps, geometries, combinedGeometry, colourMode]);

  // Zoom per figure row, kept across LS changes; "Reset zoom" (a new zoomRevision) clears it.
  const zoom = useRef<{ revision: number; rows: Array<RowZoom | undefined> }>({ revision: zoomRevision, rows: [] });
  if (zoom.current.revision !== zoomRevision) zoom.current = { revision: zoomRevision, rows: [] };
  const figure = useMemo(
    () =>
      width > 0
        ? buildStageFigure(rasters.panels, { width, images: rasters.images, marks, outlines, zoomRevision, title, zoom: zoom.current.rows })
        : null,
    [rasters, width, marks, outlines, zoomRevision, title],
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
    exportRef.current = async () => {
      if (!figure) throw new Error('The figure is not drawn yet');
      const sharp = rasters.panels.map((p) => panelImage(p, 6));
      const hi = buildStageFigure(rasters.panels, {
        width,
        images: sharp,
        marks,
        outlines,
        zoomRevision,
        title,
        zoom: zoom.current.rows,
        plotlyColourBars: true,
      });
      return Plotly.toImage({ data: hi.data, layout: hi.layout } as never, {
        format: 'png',
        width: Math.floor(width),
        height: hi.height,
        scale: 2,
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

  return (
    <div className="stage-heatmaps" ref={wrapRef} data-testid="stage-heatmaps" onMouseLeave={() => setTip(null)}>
      {figure && (
        <Plot
          data={figure.data}
          layout={figure.layout}
          config={{
            displaylogo: false,
            responsive: false,
            scrollZoom: false,
            doubleClick: 'reset',
            modeBarButtonsToRemove: ['lasso2d', 'select2d', 'autoScale2d', 'toImage'],
          }}
          style={{ width: '100%', height: figure.height }}
          onInitialized={measured}
          onUpdate={measured}
          onHover={(e: { points?: PlotlyPoint[]; event?: MouseEvent }) => {
            const hit = pointOf(e);
            const box = wrapRef.current?.getBoundingClientRect();
            if (!hit || !box || !e.event) return setTip(null);
            const v = hit.panel.values[hit.row]?.[hit.col] ?? null;
            setTip({
              x: e.event.clientX - box.left,
              y: e.event.clientY - box.top,
              title: `${hit.panel.layerName} · ${hit.panel.stage.title}`,
              where: binLabel(describeBin(hit.panel.geometry, hit.row, hit.col)),
              value: `${formatValue(v, hit.panel.stage.integer)}${hit.panel.stage.unit && v !== null ? ` ${hit.panel.stage.unit}` : ''}`,
            });
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
        <ColourBarStrip key={i} bar={b} />
      ))}
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
