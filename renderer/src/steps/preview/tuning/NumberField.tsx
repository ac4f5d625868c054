import { useEffect, useId, useState } from 'react';

interface Props {
  label: string;
  value: number;
  onChange(v: number): void;
  min?: number;
  integer?: boolean;
  /** Shown after the input, e.g. "Hz". */
  unit?: string;
  disabled?: boolean;
  title?: string;
}

/**
 * A number input that keeps what the user typed ("0.0", "1e-") while it is not a number yet, and
 * only reports values that are; an invalid entry is marked with the reason.
 */
export function NumberField({ label, value, onChange, min, integer, unit, disabled, title }: Props) {
  const id = useId();
  const [text, setText] = useState(String(value));
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (Number(text) !== value) setText(String(value));
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
  return (
    <label className="number-field" htmlFor={id} title={title}>
      <span className="number-field-label">{label}</span>
      <span className="number-field-input">
        <input
          id={id}
          type="text"
          inputMode="decimal"
          value={text}
          disabled={disabled}
          aria-invalid={error ? true : undefined}
          onChange={(e) => commit(e.target.value)}
        />
        {unit && <span className="muted">{unit}</span>}
      </span>
      {error && <span className="field-error">{error}</span>}
    </label>
  );
}
