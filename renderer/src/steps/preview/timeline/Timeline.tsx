import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import { REASON_COLOUR } from '@/shared/pipeline/filter-reasons';
import {
  clampWindow,
  passesToggles,
  reasonCategory,
  REASON_LABEL,
  revealPosition,
  runSpans,
  tickPositions,
  zoomWindow,
  type ReasonCategory,
  type TimelineLs,
  type Toggles,
  type ViewWindow,
} from './timeline-model';

/**
 * The lumisection timeline on a canvas: one column per LS (input order, run boundaries marked),
 * the anomaly score as bars and three lanes (flagged before the filter, flagged, filtered with the
 * reason as colour). Wheel zooms, drag pans, click selects; it stays smooth for thousands of LS
 * because a redraw is one pass over the visible LS and nothing goes through React per frame.
 */

const GUTTER = 128;
const RIGHT = 10;
const RUN_BAND = 16;
const SCORE_H = 46;
const LANE_H = 11;
const LANE_GAP = 3;
const AXIS_H = 16;
const OVERVIEW_H = 12;
const LANES = ['Flagged before filter', 'Flagged', 'Filtered'] as const;
/** The optional lane with DIALS's own production flags (DialsProductionCard). */
const PRODUCTION_LANE = 'DIALS production';
const heightFor = (lanes: number) => RUN_BAND + SCORE_H + 6 + lanes * (LANE_H + LANE_GAP) + AXIS_H + OVERVIEW_H + 6;

export { REASON_COLOUR } from '@/shared/pipeline/filter-reasons';
const FLAG = '#c53030';
/** DIALS production flagged the LS / judged it good. */
export const PRODUCTION_FLAG = '#7a1fa2';
const PRODUCTION_GOOD = '#c9d1db';
const BEFORE = '#e07b00';
const SELECT = '#1f5fbf';
const MUTED = '#5f6b7a';

interface Props {
  items: readonly TimelineLs[];
  selected: number | null;
  toggles: Toggles;
  onSelect(position: number): void;
  /** LS positions whose flag differs from the saved preset (outlined). */
  changed?: ReadonlySet<number>;
  /** Per LS position, DIALS's production verdict: true flagged, false judged good, null not judged (adds the "DIALS production" lane). */
  production?: ReadonlyArray<boolean | null> | null;
}

interface Hover {
  pos: number;
  x: number;
  y: number;
}

export function Timeline({ items, selected, toggles, onSelect, changed, production }: Props) {
  const lanes: readonly string[] = production ? [...LANES, PRODUCTION_LANE] : LANES;
  const canvasHeight = heightFor(lanes.length);
  const wrapRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [width, setWidth] = useState(800);
  const [hover, setHover] = useState<Hover | null>(null);
  const view = useRef<ViewWindow>({ start: 0, span: Math.max(1, items.length) });
  const frame = useRef(0);
  const drag = useRef<{ x: number; start: number; moved: boolean } | null>(null);
  const propsRef = useRef({ items, selected, toggles, changed, width, production, lanes, canvasHeight });
  propsRef.current = { items, selected, toggles, changed, width, production, lanes, canvasHeight };

  const plotWidth = () => Math.max(10, propsRef.current.width - GUTTER - RIGHT);
  const posAt = (clientX: number): number => {
    const rect = canvasRef.current!.getBoundingClientRect();
    const v = view.current;
    return v.start + ((clientX - rect.left - GUTTER) / plotWidth()) * v.span;
  };

  const draw = useCallback(() => {
    frame.current = 0;
    const canvas = canvasRef.current;
    if (!canvas) return;
    const {
      items: all,
      selected: sel,
      toggles: tg,
      changed: diff,
      width: w,
      production: prod,
      lanes: laneNames,
      canvasHeight,
    } = propsRef.current;
    const dpr = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(canvasHeight * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(canvasHeight * dpr);
    }
    const ctx = canvas.getContext('2d')!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, canvasHeight);
    ctx.font = '11px system-ui, sans-serif';
    const n = all.length;
    const v = (view.current = clampWindow(view.current, Math.max(1, n)));
    const pw = Math.max(10, w - GUTTER - RIGHT);
    const colW = pw / v.span;
    const xOf = (pos: number) => GUTTER + (pos - v.start) * colW;
    const scoreTop = RUN_BAND;
    const laneTop = (k: number) => RUN_BAND + SCORE_H + 6 + k * (LANE_H + LANE_GAP);
    const axisTop = laneTop(laneNames.length);
    const overviewTop = axisTop + AXIS_H;

    // Lane labels and backgrounds.
    ctx.fillStyle = MUTED;
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'right';
    ctx.fillText('Score (final bins)', GUTTER - 8, scoreTop + SCORE_H / 2);
    laneNames.forEach((label, k) => {
      ctx.fillStyle = '#f1f3f6';
      ctx.fillRect(GUTTER, laneTop(k), pw, LANE_H);
      ctx.fillStyle = MUTED;
      ctx.fillText(label, GUTTER - 8, laneTop(k) + LANE_H / 2);
    });
    ctx.fillStyle = '#f7f8fa';
    ctx.fillRect(GUTTER, scoreTop, pw, SCORE_H);

    const first = Math.max(0, Math.floor(v.start));
    const last = Math.min(n, Math.ceil(v.start + v.span));
    let maxScore = 1;
    for (let i = first; i < last; i++) maxScore = Math.max(maxScore, all[i].score.finalBins);
    const scale = Math.log1p(maxScore);
    const barW = Math.max(1, colW - (colW > 4 ? 1 : 0));
    for (let i = first; i < last; i++) {
      const it = all[i];
      const x = xOf(i);
      ctx.globalAlpha = passesToggles(it, tg) ? 1 : 0.18;
      if (it.score.finalBins > 0) {
        const h = Math.max(2, (Math.log1p(it.score.finalBins) / scale) * (SCORE_H - 2));
        ctx.fillStyle = it.flagged ? FLAG : it.flaggedBeforeFilter ? BEFORE : '#9aa5b4';
        ctx.fillRect(x, scoreTop + SCORE_H - h, barW, h);
      }
      if (it.flaggedBeforeFilter) {
        ctx.fillStyle = BEFORE;
        ctx.fillRect(x, laneTop(0), barW, LANE_H);
      }
      if (it.flagged) {
        ctx.fillStyle = FLAG;
        ctx.fillRect(x, laneTop(1), barW, LANE_H);
      }
      if (!it.passedFilter) {
        ctx.fillStyle = REASON_COLOUR[reasonCategory(it.reasons[0]?.code ?? 'min_entries')];
        ctx.fillRect(x, laneTop(2), barW, LANE_H);
      }
      const verdict = prod?.[i];
      if (verdict !== undefined && verdict !== null) {
        ctx.fillStyle = verdict ? PRODUCTION_FLAG : PRODUCTION_GOOD;
        const h = verdict ? LANE_H : 3;
        ctx.fillRect(x, laneTop(3) + (LANE_H - h) / 2, barW, h);
      }
      if (diff?.has(i)) {
        ctx.globalAlpha = 1;
        ctx.strokeStyle = '#000';
        ctx.lineWidth = 1;
        ctx.strokeRect(x + 0.5, laneTop(1) - 1.5, Math.max(1, barW - 1), LANE_H + 3);
      }
    }
    ctx.globalAlpha = 1;

    // Run boundaries and run numbers.
    ctx.textAlign = 'left';
    for (const r of runSpans(all)) {
      if (r.to <= v.start || r.from >= v.start + v.span) continue;
      const x = xOf(r.from);
      if (r.from > 0 && x >= GUTTER) {
        ctx.strokeStyle = '#1d232b';
        ctx.setLineDash([3, 3]);
        ctx.beginPath();
        ctx.moveTo(Math.round(x) + 0.5, 2);
        ctx.lineTo(Math.round(x) + 0.5, axisTop);
        ctx.stroke();
        ctx.setLineDash([]);
      }
      const labelX = Math.max(GUTTER, x) + 3;
      const room = xOf(r.to) - labelX;
      if (room > 30) {
        ctx.fillStyle = '#1d232b';
        ctx.fillText(room > 70 ? `Run ${r.run}` : String(r.run), labelX, RUN_BAND / 2);
      }
    }
    ctx.fillStyle = MUTED;
    ctx.textAlign = 'right';
    ctx.fillText('Run', GUTTER - 8, RUN_BAND / 2);

    // LS axis.
    ctx.textAlign = 'center';
    ctx.fillStyle = MUTED;
    for (const p of tickPositions(v, Math.floor(pw / 70))) {
      if (p >= n) continue;
      const x = xOf(p) + colW / 2;
      ctx.fillRect(Math.round(x), axisTop, 1, 3);
      ctx.fillText(String(all[p].ls), x, axisTop + 9);
    }
    ctx.textAlign = 'right';
    ctx.fillText('LS', GUTTER - 8, axisTop + 9);

    // Overview of everything with the visible window.
    ctx.fillStyle = '#eef0f3';
    ctx.fillRect(GUTTER, overviewTop + 2, pw, OVERVIEW_H - 2);
    ctx.fillStyle = FLAG;
    if (n > 0) {
      for (let i = 0; i < n; i++)
        if (all[i].flagged) ctx.fillRect(GUTTER + (i / n) * pw, overviewTop + 2, Math.max(1, pw / n), OVERVIEW_H - 2);
      ctx.strokeStyle = SELECT;
      ctx.lineWidth = 1.5;
      ctx.strokeRect(GUTTER + (v.start / n) * pw, overviewTop + 1.5, Math.max(3, (v.span / n) * pw), OVERVIEW_H - 1);
    }
    ctx.fillStyle = MUTED;
    ctx.fillText('All', GUTTER - 8, overviewTop + OVERVIEW_H / 2 + 1);

    // Selection.
    if (sel !== null && sel >= first - 1 && sel < last + 1) {
      const x = xOf(sel);
      ctx.strokeStyle = SELECT;
      ctx.lineWidth = 2;
      ctx.strokeRect(x - 1, 1, Math.max(2, colW) + 2, axisTop - 1);
    }
  }, []);

  const schedule = useCallback(() => {
    if (!frame.current) frame.current = requestAnimationFrame(draw);
  }, [draw]);

  useLayoutEffect(() => {
    const el = wrapRef.current!;
    const ro = new ResizeObserver(() => setWidth(el.clientWidth));
    ro.observe(el);
    setWidth(el.clientWidth);
    return () => ro.disconnect();
  }, []);

  // A new data set shows everything; a changed selection is scrolled into view.
  const prevCount = useRef(items.length);
  useEffect(() => {
    if (prevCount.current !== items.length) {
      view.current = { start: 0, span: Math.max(1, items.length) };
      prevCount.current = items.length;
    }
    schedule();
  }, [items, toggles, changed, width, production, schedule]);
  useEffect(() => {
    if (selected !== null) view.current = revealPosition(view.current, items.length, selected);
    schedule();
  }, [selected, items.length, schedule]);
  useEffect(() => () => cancelAnimationFrame(frame.current), []);

  useEffect(() => {
    const canvas = canvasRef.current!;
    // Non-passive so the page does not scroll while zooming the timeline.
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const total = propsRef.current.items.length;
      if (!total) return;
      if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
        const d = (e.shiftKey ? e.deltaY : e.deltaX) / plotWidth();
        view.current = clampWindow({ start: view.current.start + d * view.current.span, span: view.current.span }, total);
      } else {
        view.current = zoomWindow(view.current, total, posAt(e.clientX), Math.exp(e.deltaY * 0.0015));
      }
      schedule();
    };
    canvas.addEventListener('wheel', onWheel, { passive: false });
    return () => canvas.removeEventListener('wheel', onWheel);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [schedule]);

  const overviewHit = (clientY: number) => {
    const rect = canvasRef.current!.getBoundingClientRect();
    return clientY - rect.top >= propsRef.current.canvasHeight - OVERVIEW_H - 6;
  };

  const onPointerDown = (e: React.PointerEvent) => {
    if (e.button !== 0) return;
    (e.target as Element).setPointerCapture(e.pointerId);
    const total = items.length;
    if (overviewHit(e.clientY) && total) {
      const rect = canvasRef.current!.getBoundingClientRect();
      const centre = ((e.clientX - rect.left - GUTTER) / plotWidth()) * total;
      view.current = clampWindow({ start: centre - view.current.span / 2, span: view.current.span }, total);
      schedule();
      drag.current = null;
      return;
    }
    drag.current = { x: e.clientX, start: view.current.start, moved: false };
  };
  const onPointerMove = (e: React.PointerEvent) => {
    const d = drag.current;
    if (d) {
      const dx = e.clientX - d.x;
      if (Math.abs(dx) > 3) d.moved = true;
      if (d.moved) {
        view.current = clampWindow({ start: d.start - (dx / plotWidth()) * view.current.span, span: view.current.span }, items.length);
        schedule();
      }
      setHover(null);
      return;
    }
    const rect = canvasRef.current!.getBoundingClientRect();
    const pos = Math.floor(posAt(e.clientX));
    if (e.clientX - rect.left < GUTTER || pos < 0 || pos >= items.length || overviewHit(e.clientY)) setHover(null);
    else setHover({ pos, x: e.clientX - rect.left, y: e.clientY - rect.top });
  };
  const onPointerUp = (e: React.PointerEvent) => {
    const d = drag.current;
    drag.current = null;
    if (!d || d.moved) return;
    const rect = canvasRef.current!.getBoundingClientRect();
    if (e.clientX - rect.left < GUTTER) return;
    const pos = Math.floor(posAt(e.clientX));
    if (pos >= 0 && pos < items.length) onSelect(pos);
  };

  const h = hover ? items[hover.pos] : null;
  return (
    <div className="timeline" ref={wrapRef}>
      <canvas
        ref={canvasRef}
        className="timeline-canvas"
        style={{ width: '100%', height: canvasHeight }}
        role="img"
        aria-label={`Lumisection timeline, ${items.length} lumisections`}
        data-testid="ls-timeline"
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerLeave={() => setHover(null)}
        onDoubleClick={() => {
          view.current = { start: 0, span: Math.max(1, items.length) };
          schedule();
        }}
      />
      {h && hover && (
        <div className="timeline-tooltip" style={{ left: Math.min(hover.x + 12, width - 260), top: hover.y + 14 }}>
          <strong>
            Run {h.run} · LS {h.ls}
          </strong>
          <div>
            {h.flagged ? (
              <span className="tag tag-flag">flagged</span>
            ) : h.flaggedBeforeFilter ? (
              <span className="tag tag-before">flagged, cleared by filter</span>
            ) : (
              <span className="tag">not flagged</span>
            )}
          </div>
          <div>
            score: {h.score.finalBins} final bins · max loss{' '}
            {h.score.maxLoss !== null && Number.isFinite(h.score.maxLoss) ? h.score.maxLoss.toPrecision(3) : '—'}
          </div>
          {production && production[hover.pos] !== null && production[hover.pos] !== undefined && (
            <div>DIALS production: {production[hover.pos] ? 'flagged' : 'not flagged'}</div>
          )}
          {h.reasons.map((r, i) => (
            <div key={i} className="timeline-reason" style={{ color: REASON_COLOUR[reasonCategory(r.code)] }}>
              {r.message}
            </div>
          ))}
        </div>
      )}
      <div className="timeline-legend">
        <span>
          <i style={{ background: BEFORE }} /> flagged before filter
        </span>
        <span>
          <i style={{ background: FLAG }} /> flagged
        </span>
        {(Object.keys(REASON_LABEL) as ReasonCategory[]).map((c) => (
          <span key={c}>
            <i style={{ background: REASON_COLOUR[c] }} /> filtered: {REASON_LABEL[c]}
          </span>
        ))}
        {production && (
          <span>
            <i style={{ background: PRODUCTION_FLAG }} /> flagged by DIALS production
          </span>
        )}
        {changed && changed.size > 0 && (
          <span>
            <i className="outlined" /> flag changed vs saved preset
          </span>
        )}
        <span className="muted">wheel: zoom · drag: pan · double-click: all · ←/→: previous/next</span>
      </div>
    </div>
  );
}
