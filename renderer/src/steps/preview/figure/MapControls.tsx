import { useState } from 'react';
import { columnScale } from '@/shared/plot/panels';
import { withColumn, type GridMode } from '@/shared/plot/plot-settings';
import { ALL_STAGES, STAGE_KEYS, type StageKey } from '@/shared/plot/stage-specs';
import { changePlot, setCompare } from '../preview-actions';
import type { PreviewBackend } from '../preview-backend';
import { usePreviewStore, type CompareWith } from '../preview-store';

type CompareChoice = 'off' | CompareWith['kind'];

/**
 * Controls of the stage maps: every column's range at once (each column's own settings are behind
 * its colour bar), the grid, Compare, zoom reset and figure export.
 */
export function MapControls({ backend, onExport, disabled }: { backend: PreviewBackend; onExport(): void; disabled: boolean }) {
  const plot = usePreviewStore((s) => s.plot);
  const compare = usePreviewStore((s) => s.compare);
  const zoomRevision = usePreviewStore((s) => s.zoomRevision);
  const set = usePreviewStore((s) => s.set);
  const [lsText, setLsText] = useState(compare?.with.kind === 'ls' ? `${compare.with.run}:${compare.with.ls}` : '');
  const [lsBad, setLsBad] = useState(false);
  const ranges = STAGE_KEYS.map((k) => columnScale(plot.columns, k).range);
  const allRanges = (r: 'fixed' | 'auto') => {
    let next = plot;
    for (const k of STAGE_KEYS) next = withColumn(next, k, { range: r });
    changePlot(backend, next);
  };
  const choice: CompareChoice = compare ? compare.with.kind : 'off';
  const stage: StageKey = compare?.stage ?? 'loss';
  const compareTo = (kind: CompareChoice, st: StageKey = stage) => {
    if (kind === 'off') return setCompare(backend, null);
    if (kind === 'ls') {
      const m = lsText.trim().match(/^(\d+)\s*[:/ ]\s*(\d+)$/);
      setLsBad(!m && lsText.trim() !== '');
      if (!m) return set({ compare: { with: { kind: 'ls', run: NaN, ls: NaN }, stage: st }, compareMaps: null, compareError: null });
      return setCompare(backend, { with: { kind: 'ls', run: Number(m[1]), ls: Number(m[2]) }, stage: st });
    }
    setCompare(backend, { with: { kind }, stage: st });
  };
  return (
    <div className="map-controls preview-toolbar">
      <span className="segmented" role="group" aria-label="Colour range of every column">
        <button
          type="button"
          aria-pressed={ranges.every((r) => r === 'fixed')}
          onClick={() => allRanges('fixed')}
          title="The stages’ fixed ranges (raw counts: from the data)"
        >
          Fixed ranges
        </button>
        <button
          type="button"
          aria-pressed={ranges.every((r) => r === 'auto')}
          onClick={() => allRanges('auto')}
          title="Every range from this lumisection’s data"
        >
          Auto
        </button>
      </span>
      <label className="inline-label">
        Grid{' '}
        <select aria-label="Grid" value={plot.grid} onChange={(e) => changePlot(backend, { ...plot, grid: e.target.value as GridMode })}>
          <option value="off">off</option>
          <option value="modules">modules, ladders</option>
          <option value="rocs">+ every ROC</option>
        </select>
      </label>
      <label className="inline-label">
        Compare{' '}
        <select aria-label="Compare with" value={choice} onChange={(e) => compareTo(e.target.value as CompareChoice)} disabled={disabled}>
          <option value="off">off</option>
          <option value="previous">with the previous LS</option>
          <option value="average">with the run average</option>
          <option value="ls">with another LS…</option>
        </select>
      </label>
      {compare && (
        <>
          {choice === 'ls' && (
            <form
              className="goto-ls"
              onSubmit={(e) => {
                e.preventDefault();
                compareTo('ls');
              }}
            >
              <input
                aria-label="Compare with lumisection (run:LS)"
                placeholder="run:LS ⏎"
                value={lsText}
                aria-invalid={lsBad || undefined}
                onChange={(e) => setLsText(e.target.value)}
                size={12}
              />
            </form>
          )}
          <select aria-label="Stage to compare" value={stage} onChange={(e) => compareTo(choice, e.target.value as StageKey)}>
            {ALL_STAGES.map((s) => (
              <option key={s.key} value={s.key}>
                {s.title}
              </option>
            ))}
          </select>
        </>
      )}
      <button type="button" className="button" onClick={() => set({ zoomRevision: zoomRevision + 1 })} disabled={disabled}>
        Reset zoom
      </button>
      <button type="button" className="button" onClick={onExport} disabled={disabled}>
        Export figure…
      </button>
    </div>
  );
}
