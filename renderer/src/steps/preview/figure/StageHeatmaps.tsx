import { useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { LayerGeometry } from '../../../../../shared/pixel-geometry';
import { Plot } from '../Plot';
import { buildStageFigure, type FigureOptions, type LumisectionStageMaps, type MarkedRegion } from './build-figure';
import type { ColourMode } from './stage-specs';

export interface PickEvent {
  /** Layer row index, or −1 for the combined row. */
  layer: number;
  x: number;
  y: number;
}

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
  /** Receives the plot's DOM node (for PNG export). */
  onGraphDiv?(el: HTMLElement | null): void;
}

/** Performance marks around every re-render, read by the UI benchmark (bench/preview-ui.bench.ts). */
export const RENDER_MEASURE = 'preview:stages-render';
export const DATA_MARK = 'preview:stages-data';

export function StageHeatmaps({ maps, geometries, combinedGeometry, colourMode, marks, outlines, zoomRevision, title, onPick, onGraphDiv }: Props) {
  const wrapRef = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);
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

  const figure = useMemo(() => {
    if (width <= 0) return null;
    performance.mark(DATA_MARK);
    return buildStageFigure(maps, { width, colourMode, geometries, combinedGeometry, marks, outlines, zoomRevision, title });
  }, [maps, width, colourMode, geometries, combinedGeometry, marks, outlines, zoomRevision, title]);

  const measured = () => {
    try {
      performance.measure(RENDER_MEASURE, DATA_MARK);
    } catch {
      /* mark cleared by the benchmark between runs */
    }
  };

  return (
    <div className="stage-heatmaps" ref={wrapRef} data-testid="stage-heatmaps">
      {figure && (
        <Plot
          data={figure.data}
          layout={figure.layout}
          config={{ displaylogo: false, responsive: false, scrollZoom: false, doubleClick: 'reset', modeBarButtonsToRemove: ['lasso2d', 'select2d', 'autoScale2d', 'toImage'] }}
          style={{ width: '100%', height: figure.height }}
          onInitialized={(_f, el) => {
            onGraphDiv?.(el);
            measured();
          }}
          onUpdate={measured}
          onPurge={() => onGraphDiv?.(null)}
          onClick={(e: { points?: Array<{ x: number; y: number; data: { xaxis?: string } }> }) => {
            const p = e.points?.[0];
            if (!p || !onPick) return;
            const axisId = p.data.xaxis === 'x' || !p.data.xaxis ? 1 : Number(p.data.xaxis.slice(1));
            const sub = figure.subplots.find((s) => s.axis === axisId);
            if (sub) onPick({ layer: sub.layer, x: p.x, y: p.y });
          }}
        />
      )}
    </div>
  );
}
