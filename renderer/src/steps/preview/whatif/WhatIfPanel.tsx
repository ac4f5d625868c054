import { useEffect, useId, useRef, useState } from 'react';
import { signed, type LayerGeometry } from '@/shared/pixel-geometry';
import { Spinner } from '@/renderer/src/components/Spinner';
import { NumberField } from '../tuning/NumberField';
import { positionFromFields, WHATIF_LABEL, type PickedPosition, type WhatIfKind, type WhatIfSpec } from './injection';

export interface WhatIfDraft {
  kind: WhatIfKind;
  position: PickedPosition | null;
  layers: string[];
  factor: number;
  ladders: number;
  modules: number;
}

export interface WhatIfOutcome {
  description: string;
  flaggedBefore: boolean;
  flaggedAfter: boolean;
  finalBinsAfter: number;
}

interface Props {
  layerNames: string[];
  /** The layers' map geometry: which ladders and modules a typed position may name. */
  geometries: LayerGeometry[];
  draft: WhatIfDraft;
  pickError: string | null;
  busy: boolean;
  outcome: WhatIfOutcome | null;
  error: string | null;
  onChange(d: WhatIfDraft): void;
  onApply(spec: WhatIfSpec): void;
  onClear(): void;
}

/** Inject a synthetic dead module / ROC row / hot region into the selected LS; the data on disk is never touched. */
export function WhatIfPanel({ layerNames, geometries, draft, pickError, busy, outcome, error, onChange, onApply, onClear }: Props) {
  const id = useId();
  const set = (patch: Partial<WhatIfDraft>) => onChange({ ...draft, ...patch });
  const ready = draft.position !== null && draft.layers.length > 0;
  // The position can be typed as well as clicked: layer, ladder, module (and ROC row for a dead ROC row).
  const [fields, setFields] = useState(() => ({
    layer: draft.position?.layer ?? geometries[0]?.name ?? '',
    ladder: draft.position ? String(draft.position.ladder) : '',
    module: draft.position ? String(draft.position.module) : '',
    rocRow: draft.position?.rocRow ?? 0,
  }));
  const [typedProblem, setTypedProblem] = useState<string | null>(null);
  const emitted = useRef<PickedPosition | null>(draft.position);
  useEffect(() => {
    // Follow a position picked on a map, and Clear / another lumisection (position gone); not our own typing.
    if (draft.position === emitted.current) return;
    emitted.current = draft.position;
    setTypedProblem(null);
    const p = draft.position;
    setFields((f) =>
      p ? { layer: p.layer, ladder: String(p.ladder), module: String(p.module), rocRow: p.rocRow } : { ...f, ladder: '', module: '' },
    );
  }, [draft.position]);
  const type = (patch: Partial<typeof fields>) => {
    const next = { ...fields, ...patch };
    setFields(next);
    const g = geometries.find((x) => x.name === next.layer);
    const r = g ? positionFromFields(g, next.ladder, next.module, next.rocRow) : null;
    const position = typeof r === 'string' ? null : r;
    setTypedProblem(typeof r === 'string' ? r : null);
    emitted.current = position;
    onChange({ ...draft, position });
  };
  const problem = typedProblem ?? pickError;
  return (
    <section className="whatif-panel" aria-label="What-if" data-testid="whatif-panel">
      <p className="muted">Applies to the selected lumisection only, in memory — your data files are never written.</p>
      <div className="field-row">
        <label className="number-field">
          <span className="number-field-label">Anomaly</span>
          <select value={draft.kind} aria-label="Anomaly kind" onChange={(e) => set({ kind: e.target.value as WhatIfKind })}>
            {(Object.keys(WHATIF_LABEL) as WhatIfKind[]).map((k) => (
              <option key={k} value={k}>
                {WHATIF_LABEL[k]}
              </option>
            ))}
          </select>
        </label>
      </div>
      <div className="field-row">
        {draft.kind === 'hot-region' && (
          <NumberField label="Factor" value={draft.factor} min={0} onChange={(v) => set({ factor: v })} unit="×" />
        )}
        {draft.kind !== 'dead-roc-row' && (
          <NumberField label="Ladders" value={draft.ladders} min={1} integer onChange={(v) => set({ ladders: v })} />
        )}
        <NumberField label="Modules (along z)" value={draft.modules} min={1} integer onChange={(v) => set({ modules: v })} />
      </div>
      <div className="whatif-position" data-testid="whatif-position">
        <span className="number-field-label">Position</span>{' '}
        {draft.position ? (
          <span>
            {draft.position.layer} ladder {signed(draft.position.ladder)} · module {signed(draft.position.module)}
            {draft.kind === 'dead-roc-row' && ` · ROC row ${draft.position.rocRow + 1}`}
          </span>
        ) : (
          <span className="muted">click a map, or type a ladder and module, to choose</span>
        )}
      </div>
      <div className="field-row whatif-position-fields">
        <div className="number-field">
          <label className="number-field-label" htmlFor={`${id}-layer`}>
            Layer
          </label>
          <select id={`${id}-layer`} value={fields.layer} onChange={(e) => type({ layer: e.target.value })}>
            {geometries.map((g) => (
              <option key={g.name} value={g.name}>
                {g.name}
              </option>
            ))}
          </select>
        </div>
        <div className="number-field">
          <label className="number-field-label" htmlFor={`${id}-ladder`}>
            Ladder
          </label>
          <input
            id={`${id}-ladder`}
            type="text"
            inputMode="numeric"
            size={4}
            value={fields.ladder}
            title="Signed ladder (φ) as on the maps' vertical axis; 0 is the centre gap"
            aria-invalid={/^Ladder|ladders/.test(typedProblem ?? '') || undefined}
            aria-describedby={problem ? `${id}-problem` : undefined}
            onChange={(e) => type({ ladder: e.target.value })}
          />
        </div>
        <div className="number-field">
          <label className="number-field-label" htmlFor={`${id}-module`}>
            Module
          </label>
          <input
            id={`${id}-module`}
            type="text"
            inputMode="numeric"
            size={4}
            value={fields.module}
            title="Signed module (z) as on the maps' horizontal axis; 0 is the centre gap"
            aria-invalid={/^Module|modules/.test(typedProblem ?? '') || undefined}
            aria-describedby={problem ? `${id}-problem` : undefined}
            onChange={(e) => type({ module: e.target.value })}
          />
        </div>
        {draft.kind === 'dead-roc-row' && (
          <div className="number-field">
            <label className="number-field-label" htmlFor={`${id}-roc`}>
              ROC row
            </label>
            <select id={`${id}-roc`} value={fields.rocRow} onChange={(e) => type({ rocRow: Number(e.target.value) })}>
              <option value={0}>1</option>
              <option value={1}>2</option>
            </select>
          </div>
        )}
      </div>
      {problem && (
        <div className="field-error" role="alert" id={`${id}-problem`} data-testid="whatif-position-problem">
          {problem}
        </div>
      )}
      <fieldset className="whatif-layers">
        <legend>Layers</legend>
        {layerNames.map((name) => (
          <label key={name} className="check">
            <input
              type="checkbox"
              checked={draft.layers.includes(name)}
              onChange={(e) =>
                set({
                  layers: e.target.checked
                    ? layerNames.filter((n) => n === name || draft.layers.includes(n))
                    : draft.layers.filter((n) => n !== name),
                })
              }
            />{' '}
            {name}
          </label>
        ))}
      </fieldset>
      <div className="actions">
        <button
          type="button"
          className="button primary"
          disabled={!ready || busy}
          onClick={() =>
            draft.position &&
            onApply({
              kind: draft.kind,
              position: draft.position,
              layers: draft.layers,
              factor: draft.factor,
              ladders: draft.ladders,
              modules: draft.modules,
            })
          }
        >
          Inject
        </button>
        <button type="button" className="button" disabled={(!outcome && !draft.position) || busy} onClick={onClear}>
          Clear
        </button>
        {busy && <Spinner label="Running the pipeline on the modified LS…" />}
      </div>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      {outcome && (
        <div className="whatif-outcome" data-testid="whatif-outcome">
          <p>{outcome.description}</p>
          <p>
            Before: <strong>{outcome.flaggedBefore ? 'flagged' : 'not flagged'}</strong> → with injection:{' '}
            <strong className={outcome.flaggedAfter ? 'verdict-flagged' : ''}>{outcome.flaggedAfter ? 'flagged' : 'not flagged'}</strong> (
            {outcome.finalBinsAfter} bins in the final map)
          </p>
        </div>
      )}
    </section>
  );
}
