import { useEffect, useId, useState } from 'react';
import { readableNumber } from './tuning-format';

interface Props {
  label: string;
  value: number;
  onChange(v: number): void;
  min?: number;
  integer?: boolean;
  /** Shown after the input, e.g. "Hz". */
  unit?: string;
  disabled?: boolean;
  /** One line saying what the value does, shown while the field is hovered or has the focus. */
  hint?: string;
}

/**
 * A number input that keeps what the user typed ("0.0", "1e-") while it is not a number yet, and
 * only reports values that are; an invalid entry is marked with the reason. A long value is shown
 * readably (166666.6666 → 1.667e5) with the exact one on hover; it stays exact until retyped.
 */
export function NumberField({ label, value, onChange, min, integer, unit, disabled, hint }: Props) {
  const id = useId();
  const [text, setText] = useState(() => readableNumber(value));
  const [error, setError] = useState<string | null>(null);
  const [hovered, setHovered] = useState(false);
  const [focused, setFocused] = useState(false);
  useEffect(() => {
    if (Number(text) !== value) setText(readableNumber(value));
    // Only follow outside changes (revert, load), not our own keystrokes.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [value]);
  const commit = (t: string) => {
    setText(t);
    const v = Number(t);
    if (t.trim() === '' || !Number.isFinite(v)) return setError('not a number');
    if (integer && !Number.isInteger(v)) return setError('must be a whole number');
    if (min !== undefined && v < min) return setError(`must be ≥ ${min}`);
    setError(null);
    if (v !== value) onChange(v);
  };
  const rounded = Number(text) !== value && readableNumber(value) === text;
  return (
    <div className="number-field" onMouseEnter={() => setHovered(true)} onMouseLeave={() => setHovered(false)}>
      <label className="number-field-label" htmlFor={id}>
        {label}
      </label>
      <span className="number-field-input">
        <input
          id={id}
          type="text"
          inputMode="decimal"
          value={text}
          disabled={disabled}
          title={rounded ? `Exact value: ${value}` : undefined}
          aria-invalid={error ? true : undefined}
          aria-describedby={hint ? `${id}-hint` : undefined}
          onFocus={() => setFocused(true)}
          onBlur={() => setFocused(false)}
          onChange={(e) => commit(e.target.value)}
        />
        {unit && <span className="muted">{unit}</span>}
      </span>
      {error && <span className="field-error">{error}</span>}
      {hint && (
        // The anchor marks where the hint starts (under the input); the hint itself spans the panel.
        <span className="field-hint-anchor">
          <span className="field-hint" role="tooltip" id={`${id}-hint`} hidden={!(hovered || focused)}>
            {hint}
          </span>
        </span>
      )}
    </div>
  );
}
