import type { ModelPreset, ThresholdEntry } from '@/shared/preset/model-preset';
import { Spinner } from '@/renderer/src/components/Spinner';
import { NumberField } from './NumberField';
import { PatternField } from './PatternField';
import { STAGE_LABEL, type FlagChange, type PipelineStage } from './preset-diff';

const KNOWN_OMS_FLAGS = ['beams_stable', 'cms_active', 'bpix_ready', 'fpix_ready', 'tibtid_ready', 'tob_ready', 'tecp_ready', 'tecm_ready'];

export interface ReflagInfo {
  /** First stage re-run; null when the preset change did not affect any decision. */
  stage: PipelineStage | null;
  /** Wall time of the back-end re-run, ms. */
  ms: number;
  count: number;
}

interface Props {
  draft: ModelPreset;
  dirty: boolean;
  affected: PipelineStage | null;
  changes: FlagChange[];
  reflag: ReflagInfo | null;
  busy: boolean;
  saving: boolean;
  error: string | null;
  presetFile: string | null;
  onChange(p: ModelPreset): void;
  onSave(): void;
  onRevert(): void;
  onSelect(position: number): void;
}

/**
 * Edit the decision part of the preset (thresholds, patterns, combination, filters). Every edit is
 * applied at once to all lumisections from cached losses; the diff lists LS whose flag changed
 * against the saved preset.
 */
export function TuningPanel({
  draft,
  dirty,
  affected,
  changes,
  reflag,
  busy,
  saving,
  error,
  presetFile,
  onChange,
  onSave,
  onRevert,
  onSelect,
}: Props) {
  const set = (patch: Partial<ModelPreset>) => onChange({ ...draft, ...patch });
  const setThreshold = (i: number, patch: Partial<ThresholdEntry>) =>
    set({ thresholds: draft.thresholds.map((t, k) => (k === i ? { ...t, ...patch } : t)) });
  const f = draft.filters;
  const setFilters = (patch: Partial<ModelPreset['filters']>) => set({ filters: { ...f, ...patch } });
  const omsFlags = [...new Set([...KNOWN_OMS_FLAGS, ...f.omsBooleans])];
  const gained = changes.filter((c) => c.after).length;
  const lost = changes.length - gained;

  return (
    <section className="tuning-panel" aria-label="Tuning" data-testid="tuning-panel">
      <div className="tuning-status" aria-live="polite">
        {busy ? (
          <Spinner label="Re-flagging…" />
        ) : reflag ? (
          <span className="muted" data-testid="reflag-info">
            {reflag.stage
              ? `Re-flagged ${reflag.count} LS in ${reflag.ms.toFixed(0)} ms from ${STAGE_LABEL[reflag.stage]}.`
              : `Back to the saved decisions for ${reflag.count} LS (${reflag.ms.toFixed(0)} ms).`}
          </span>
        ) : (
          <span className="muted">Edits apply to every lumisection at once.</span>
        )}
        {affected === 'inference' && <div className="field-error">Layer or NMF input changes need a full re-run.</div>}
      </div>

      <h3>Anomalous bins and clusters</h3>
      {draft.thresholds.map((t, i) => (
        <div className="tuning-entry" key={i} data-testid={`threshold-entry-${i}`}>
          <div className="field-row">
            <NumberField
              label="Anomalous-bin threshold"
              value={t.lossThreshold}
              min={0}
              onChange={(v) => setThreshold(i, { lossThreshold: v })}
              hint="A bin is anomalous when (input − NMF reconstruction)² exceeds this value; higher = fewer anomalous bins."
            />
            <NumberField
              label="Cluster shape tolerance"
              value={t.filterThreshold}
              min={0}
              onChange={(v) => setThreshold(i, { filterThreshold: v })}
              hint="How far a group of anomalous bins may differ from the cluster shape and still count (sum of squared differences, TM_SQDIFF); 0 = exact shape only."
            />
            {draft.thresholds.length > 1 && (
              <button
                type="button"
                className="icon-button"
                aria-label={`Remove threshold entry ${i + 1}`}
                onClick={() => set({ thresholds: draft.thresholds.filter((_, k) => k !== i) })}
              >
                ×
              </button>
            )}
          </div>
          <PatternField label="Cluster shape" value={t.pattern} onChange={(p) => setThreshold(i, { pattern: p })} />
        </div>
      ))}
      <button
        type="button"
        className="button small"
        onClick={() => set({ thresholds: [...draft.thresholds, { ...draft.thresholds[draft.thresholds.length - 1] }] })}
      >
        + threshold entry
      </button>

      <h3>Combination and flagging</h3>
      <div className="field-row">
        <NumberField
          label="Layers that must agree"
          value={draft.combine.minLayers}
          min={1}
          integer
          hint="A bin reaches the final map only when at least this many layers have an anomalous cluster there (and the loss mask allows it)."
          onChange={(v) => set({ combine: { minLayers: v } })}
        />
        <NumberField
          label="Flagging shape tolerance"
          value={draft.flagging.threshold}
          min={0}
          hint="The LS is flagged when a flagging shape is found in the final map differing from it by less than this (TM_SQDIFF); 0 = exact shape only."
          onChange={(v) => set({ flagging: { ...draft.flagging, threshold: v } })}
        />
      </div>
      {draft.flagging.patterns.map((p, i) => (
        <div className="tuning-entry" key={i}>
          <PatternField
            label={`Flagging shape ${i + 1}`}
            value={p}
            onChange={(np) => set({ flagging: { ...draft.flagging, patterns: draft.flagging.patterns.map((q, k) => (k === i ? np : q)) } })}
          />
          {draft.flagging.patterns.length > 1 && (
            <button
              type="button"
              className="link-button small-link"
              onClick={() => set({ flagging: { ...draft.flagging, patterns: draft.flagging.patterns.filter((_, k) => k !== i) } })}
            >
              remove shape {i + 1}
            </button>
          )}
        </div>
      ))}
      <button
        type="button"
        className="button small"
        onClick={() => set({ flagging: { ...draft.flagging, patterns: [...draft.flagging.patterns, { ones: [1, 8] }] } })}
      >
        + flagging shape
      </button>

      <h3>Filters</h3>
      <div className="field-row">
        {Object.entries(f.minEntries).map(([layer, v]) => (
          <NumberField
            key={layer}
            label={`${layer}: min. entries`}
            value={v}
            min={0}
            hint={`The LS is kept only when the ${layer} map has more entries than this (too few hits = not enough statistics to judge).`}
            onChange={(nv) => setFilters({ minEntries: { ...f.minEntries, [layer]: nv } })}
          />
        ))}
      </div>
      <div className="field-row">
        <label className="check">
          <input type="checkbox" checked={f.minPileup !== null} onChange={(e) => setFilters({ minPileup: e.target.checked ? 25 : null })} />{' '}
          pileup cut
        </label>
        {f.minPileup !== null && (
          <NumberField
            label="Min. pileup"
            value={f.minPileup}
            min={0}
            onChange={(v) => setFilters({ minPileup: v })}
            hint="The LS is kept only when its OMS pileup is above this."
          />
        )}
      </div>
      <div className="field-row">
        <label className="check">
          <input
            type="checkbox"
            checked={f.hlt !== null}
            onChange={(e) => setFilters({ hlt: e.target.checked ? { triggerGlob: 'HLT_ZeroBias_v*', minRate: 5 } : null })}
          />{' '}
          HLT rate cut
        </label>
        {f.hlt !== null && (
          <>
            <label className="number-field">
              <span className="number-field-label">Trigger</span>
              <input
                className="mono"
                value={f.hlt.triggerGlob}
                onChange={(e) => e.target.value.trim() && setFilters({ hlt: { ...f.hlt!, triggerGlob: e.target.value.trim() } })}
              />
            </label>
            <NumberField
              label="Min. rate"
              unit="Hz"
              value={f.hlt.minRate}
              min={0}
              onChange={(v) => setFilters({ hlt: { ...f.hlt!, minRate: v } })}
              hint="The LS is kept only when the trigger's rate is above this."
            />
          </>
        )}
      </div>
      <fieldset className="oms-flags">
        <legend>OMS flags that must be true</legend>
        {omsFlags.map((flag) => (
          <label key={flag} className="check">
            <input
              type="checkbox"
              checked={f.omsBooleans.includes(flag)}
              onChange={(e) =>
                setFilters({ omsBooleans: e.target.checked ? [...f.omsBooleans, flag] : f.omsBooleans.filter((x) => x !== flag) })
              }
            />{' '}
            <code>{flag}</code>
          </label>
        ))}
      </fieldset>

      <h3>
        Changed vs saved preset{' '}
        <span className="count-badge" data-testid="diff-count">
          {changes.length}
        </span>
      </h3>
      {changes.length === 0 ? (
        <p className="muted">{dirty ? 'No lumisection changes its flag.' : 'The saved preset is in use.'}</p>
      ) : (
        <>
          <p className="muted">
            {lost} unflagged, {gained} newly flagged.
          </p>
          <ul className="diff-list" data-testid="diff-list">
            {changes.map((c) => (
              <li key={c.position}>
                <button type="button" className="link-button" onClick={() => onSelect(c.position)}>
                  Run {c.run} LS {c.ls}
                </button>{' '}
                <span className={c.after ? 'tag tag-flag' : 'tag'}>
                  {c.before ? 'flagged' : 'clean'} → {c.after ? 'flagged' : 'clean'}
                </span>
              </li>
            ))}
          </ul>
        </>
      )}
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      <div className="actions">
        <button type="button" className="button primary" disabled={!dirty || saving} onClick={onSave}>
          {saving ? 'Saving…' : 'Save preset'}
        </button>
        <button type="button" className="button" disabled={!dirty || saving} onClick={onRevert}>
          Revert
        </button>
      </div>
      {presetFile && (
        <p className="muted small">
          Saved to <code className="path">{presetFile}</code>
        </p>
      )}
    </section>
  );
}
