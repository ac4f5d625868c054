import { useState } from 'react';
import type { PatternSpec } from '@/shared/preset/model-preset';
import { NumberField } from './NumberField';
import { patternSize } from './tuning-format';

/** "1 1 1\n0 1 0" → [[1,1,1],[0,1,0]], or the reason it is not a rectangular matrix of numbers. */
export function parseMatrix(text: string): PatternSpec | string {
  const rows = text
    .trim()
    .split(/\n|;/)
    .map((r) => r.trim())
    .filter(Boolean)
    .map((r) => r.split(/[\s,]+/).map(Number));
  if (!rows.length) return 'enter at least one row';
  if (rows.some((r) => r.some((v) => !Number.isFinite(v)))) return 'only numbers, separated by spaces; one row per line';
  if (rows.some((r) => r.length !== rows[0].length)) return `rows have different lengths (${rows.map((r) => r.length).join(', ')})`;
  return rows;
}

export function matrixText(p: PatternSpec): string {
  if ('ones' in p) return Array.from({ length: p.ones[0] }, () => Array(p.ones[1]).fill(1).join(' ')).join('\n');
  return p.map((r) => r.join(' ')).join('\n');
}

/**
 * A flagging / clustering shape: a block of rows × columns of bins (the usual case, {"ones": [r, c]})
 * or an explicit matrix; its size is also said in ladders × modules.
 */
export function PatternField({ label, value, onChange }: { label: string; value: PatternSpec; onChange(p: PatternSpec): void }) {
  const [text, setText] = useState(() => matrixText(value));
  const [error, setError] = useState<string | null>(null);
  const ones = 'ones' in value;
  return (
    <fieldset className="pattern-field">
      <legend>{label}</legend>
      {ones ? (
        <div className="field-row">
          <NumberField
            label="rows (φ)"
            integer
            min={1}
            value={value.ones[0]}
            onChange={(r) => onChange({ ones: [r, value.ones[1]] })}
            hint="Height of the block in map bins along φ: 2 bins are one ladder."
          />
          <NumberField
            label="columns (z)"
            integer
            min={1}
            value={value.ones[1]}
            onChange={(c) => onChange({ ones: [value.ones[0], c] })}
            hint="Width of the block in map bins along z: 8 bins are one module."
          />
          <span className="pattern-size muted" data-testid="pattern-size">
            = {patternSize(value)}
          </span>
          <button
            type="button"
            className="link-button small-link"
            onClick={() => {
              setText(matrixText(value));
              onChange(parseMatrix(matrixText(value)) as PatternSpec);
            }}
          >
            custom matrix…
          </button>
        </div>
      ) : (
        <div>
          <textarea
            className="mono pattern-matrix"
            aria-label={`${label} matrix`}
            rows={Math.min(6, value.length + 1)}
            value={text}
            aria-invalid={error ? true : undefined}
            onChange={(e) => {
              setText(e.target.value);
              const p = parseMatrix(e.target.value);
              if (typeof p === 'string') setError(p);
              else {
                setError(null);
                onChange(p);
              }
            }}
          />
          {error && <div className="field-error">{error}</div>}
          <button
            type="button"
            className="link-button small-link"
            onClick={() => onChange({ ones: [value.length, value[0]?.length ?? 1] })}
          >
            back to a full block ({patternSize(value)})
          </button>
        </div>
      )}
    </fieldset>
  );
}
