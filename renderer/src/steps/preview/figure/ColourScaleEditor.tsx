import { useEffect, useRef, useState } from 'react';
import { COLOUR_MAP_IDS, COLOUR_MAP_LABEL, cssGradient, stopsFor, type ColourMapId } from '@/shared/plot/colour-maps';
import {
  DEFAULT_COLUMN_SCALE,
  LOG_ZERO_NOTE,
  manualRangeProblem,
  type ColumnScale,
  type RangeMode,
  type ZScale,
} from '@/shared/plot/colour-scale';
import type { StageSpec } from '@/shared/plot/stage-specs';

interface Props {
  stage: StageSpec;
  value: ColumnScale;
  /** The range drawn now (shown as placeholders for a manual range). */
  drawn: { lo: number; hi: number };
  onChange(next: ColumnScale): void;
  /** Same scale and colour map for every column. */
  onApplyToAll(next: ColumnScale): void;
  onClose(): void;
  style?: React.CSSProperties;
}

const parse = (s: string): number | null => (s.trim() === '' ? null : Number(s.trim().replace('−', '-')));

/**
 * One stage column's colour scale: linear or log z, the range (the stage's fixed range, from the
 * data, or typed in), and the colour map. Every valid change redraws at once.
 */
export function ColourScaleEditor({ stage, value, drawn, onChange, onApplyToAll, onClose, style }: Props) {
  const ref = useRef<HTMLDivElement>(null);
  const [minText, setMinText] = useState(value.min === null ? '' : String(value.min));
  const [maxText, setMaxText] = useState(value.max === null ? '' : String(value.max));
  const min = parse(minText);
  const max = parse(maxText);
  const problem = value.range === 'manual' ? manualRangeProblem(value.scale, min, max) : null;

  useEffect(() => {
    ref.current?.querySelector<HTMLElement>('input:checked, button')?.focus();
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    const onDown = (e: PointerEvent) => {
      const t = e.target as Element | null;
      if (ref.current && t && !ref.current.contains(t) && !t.closest('[data-colour-bar]')) onClose();
    };
    window.addEventListener('keydown', onKey);
    window.addEventListener('pointerdown', onDown);
    return () => {
      window.removeEventListener('keydown', onKey);
      window.removeEventListener('pointerdown', onDown);
    };
  }, [onClose]);

  const set = (patch: Partial<ColumnScale>) => onChange({ ...value, ...patch });
  const setManual = (a: string, b: string) => {
    setMinText(a);
    setMaxText(b);
    const lo = parse(a);
    const hi = parse(b);
    if (!manualRangeProblem(value.scale, lo, hi)) onChange({ ...value, range: 'manual', min: lo, max: hi });
  };
  const id = `scale-${stage.key}`;
  return (
    <div
      ref={ref}
      className="colour-scale-editor card"
      role="dialog"
      aria-label={`Colour scale: ${stage.title}`}
      data-testid={`colour-scale-editor-${stage.key}`}
      style={style}
    >
      <div className="cse-head">
        <strong>{stage.title}</strong>
        <button type="button" className="link-button" onClick={onClose} aria-label="Close">
          ✕
        </button>
      </div>
      <fieldset>
        <legend>Scale</legend>
        {(['linear', 'log'] as ZScale[]).map((z) => (
          <label key={z} className="check">
            <input type="radio" name={`${id}-z`} checked={value.scale === z} onChange={() => set({ scale: z })} />{' '}
            {z === 'linear' ? 'Linear' : 'Log'}
          </label>
        ))}
        {value.scale === 'log' && (
          <p className="muted cse-note">
            Log z: {LOG_ZERO_NOTE} (left grey, as matplotlib’s LogNorm and ROOT’s COLZ do). Auto range starts at the smallest value &gt; 0;
            a minimum ≤ 0 becomes 10⁻³ × the maximum.
          </p>
        )}
      </fieldset>
      <fieldset>
        <legend>Range</legend>
        {(['fixed', 'auto', 'manual'] as RangeMode[]).map((r) => (
          <label
            key={r}
            className="check"
            title={r === 'fixed' && !stage.fixedRange ? 'This stage has no fixed range: it is always taken from the data' : undefined}
          >
            <input
              type="radio"
              name={`${id}-range`}
              checked={value.range === r}
              disabled={r === 'fixed' && !stage.fixedRange}
              onChange={() => (r === 'manual' ? setManual(minText, maxText) : set({ range: r }))}
            />{' '}
            {r === 'fixed'
              ? `Fixed${stage.fixedRange ? ` (${stage.fixedRange(3).join('–')})` : ''}`
              : r === 'auto'
                ? 'Auto (this LS)'
                : 'Manual'}
          </label>
        ))}
        <div className="cse-manual">
          <label>
            min{' '}
            <input
              aria-label={`${stage.title} minimum`}
              inputMode="decimal"
              value={minText}
              placeholder={String(Number(drawn.lo.toPrecision(3)))}
              aria-invalid={problem?.field === 'min' || undefined}
              onChange={(e) => setManual(e.target.value, maxText)}
              size={8}
            />
          </label>
          <label>
            max{' '}
            <input
              aria-label={`${stage.title} maximum`}
              inputMode="decimal"
              value={maxText}
              placeholder={String(Number(drawn.hi.toPrecision(3)))}
              aria-invalid={problem?.field === 'max' || undefined}
              onChange={(e) => setManual(minText, e.target.value)}
              size={8}
            />
          </label>
        </div>
        {problem ? (
          <p className="field-error" role="alert">
            {problem.message}
          </p>
        ) : (
          value.range === 'manual' && <p className="muted cse-note">An empty end is taken from the data.</p>
        )}
      </fieldset>
      <fieldset>
        <legend>Colour map</legend>
        <select
          aria-label={`${stage.title} colour map`}
          value={value.colourMap}
          onChange={(e) => set({ colourMap: e.target.value as ColourMapId })}
        >
          {COLOUR_MAP_IDS.map((c) => (
            <option key={c} value={c}>
              {COLOUR_MAP_LABEL[c]}
            </option>
          ))}
        </select>
        <div className="cse-swatch" style={{ background: cssGradient(stopsFor(value.colourMap, stage.defaultMap)) }} />
      </fieldset>
      <div className="cse-actions">
        <button type="button" className="button small" onClick={() => onApplyToAll(value)}>
          Scale and colour map for every column
        </button>
        <button
          type="button"
          className="button small"
          onClick={() => {
            setMinText('');
            setMaxText('');
            onChange(DEFAULT_COLUMN_SCALE);
          }}
        >
          Reset
        </button>
      </div>
    </div>
  );
}
