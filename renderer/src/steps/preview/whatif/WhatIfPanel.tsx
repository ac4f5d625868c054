import { signed } from '@/shared/pixel-geometry';
import { Spinner } from '@/renderer/src/components/Spinner';
import { NumberField } from '../tuning/NumberField';
import { WHATIF_LABEL, type PickedPosition, type WhatIfKind, type WhatIfSpec } from './injection';

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
export function WhatIfPanel({ layerNames, draft, pickError, busy, outcome, error, onChange, onApply, onClear }: Props) {
  const set = (patch: Partial<WhatIfDraft>) => onChange({ ...draft, ...patch });
  const ready = draft.position !== null && draft.layers.length > 0;
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
          <span className="muted">click a map to choose</span>
        )}
        {pickError && <div className="field-error">{pickError}</div>}
      </div>
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
        <button type="button" className="button" disabled={!outcome || busy} onClick={onClear}>
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
