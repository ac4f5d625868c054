import { useEffect, useState } from 'react';
import type { DialsGoldenJson, DialsModel } from '@/shared/api/contract/dials';
import type { Agreement } from '@/shared/dials/agreement';
import { useApi } from '@/renderer/src/api/ApiContext';
import { ErrorCard } from '@/renderer/src/components/ErrorCard';
import { useDialsData } from './dials-data-store';

/**
 * DIALS's own verdicts next to the preview: the models registered in DIALS, one model's production
 * flags for the fetched runs, and how far the preview agrees with them, with every disagreement
 * listed (click → that lumisection).
 */
export function DialsProductionCard({
  projectDir,
  agreement,
  onSelect,
}: {
  projectDir: string;
  /** The preview compared with the saved flags (null until there are flags and results). */
  agreement: Agreement | null;
  onSelect(position: number): void;
}) {
  const api = useApi();
  const { data, refresh } = useDialsData();
  const production = data?.production ?? null;
  const [models, setModels] = useState<DialsModel[] | null>(null);
  const [modelId, setModelId] = useState<number | null>(production?.model.modelId ?? null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const loadModels = () => {
    setError(null);
    api.invoke('dials.models', { projectDir }).then(
      (ms) => {
        setModels(ms);
        setModelId((cur) => cur ?? production?.model.modelId ?? ms.find((m) => m.active)?.modelId ?? ms[0]?.modelId ?? null);
      },
      (e) => setError(e),
    );
  };

  useEffect(() => {
    if (production) setModelId(production.model.modelId);
  }, [production]);

  async function getFlags() {
    if (modelId === null) return;
    setBusy(true);
    setError(null);
    try {
      await api.invoke('dials.flags', { projectDir, modelId });
      await refresh(api, projectDir);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="card dials-production-card" data-testid="dials-production">
      <div className="dials-data-head">
        <h2>DIALS production</h2>
        {production ? (
          <span className="muted">
            model {production.model.modelId} <span className="mono">{production.model.filename}</span>
            {production.model.active ? ' (active)' : ''} · flags of runs {production.runs.join(', ')} · asked{' '}
            {new Date(production.fetchedAt).toLocaleString()}
          </span>
        ) : (
          <span className="muted">Compare the preview with what DIALS's own model flagged on these runs.</span>
        )}
        <span className="dials-data-actions">
          {models === null ? (
            <button type="button" className="button" onClick={loadModels}>
              {production ? 'Another model…' : 'Choose a DIALS model…'}
            </button>
          ) : (
            <>
              <select aria-label="DIALS model" value={modelId ?? ''} onChange={(e) => setModelId(Number(e.target.value))}>
                {models.map((m) => (
                  <option key={m.modelId} value={m.modelId}>
                    {m.modelId} · {m.filename}
                    {m.active ? ' (active)' : ''}
                  </option>
                ))}
              </select>
              <button type="button" className="button primary" disabled={busy || modelId === null} onClick={() => void getFlags()}>
                {busy ? 'Asking DIALS…' : 'Get DIALS flags'}
              </button>
            </>
          )}
        </span>
      </div>
      {models !== null && models.length === 0 && <p className="muted">No model is registered in this DIALS workspace.</p>}
      {error !== null && <ErrorCard title="DIALS production flags" error={error} />}
      {production && production.goldenJson && (
        <p className="muted" data-testid="dials-golden">
          DIALS's cert and golden JSON of this model for these runs ({goodCount(production.goldenJson)} lumisections good by it) are saved
          with the flags in <span className="mono">data/dials/dials-production.json</span>.
        </p>
      )}
      {production?.warnings.map((w) => (
        <p key={w} className="dials-warning">
          {w}
        </p>
      ))}
      {production && agreement && (
        <div className="dials-agreement">
          <p data-testid="dials-agreement">
            <strong>
              Preview agrees with DIALS on {agreement.agree} of {agreement.compared} lumisections
            </strong>
            {agreement.disagreements.length > 0
              ? ` — ${agreement.disagreements.length} disagree${agreement.disagreements.length === 1 ? 's' : ''}:`
              : '.'}
            {agreement.flagsNotInPreview > 0 && (
              <span className="muted"> ({agreement.flagsNotInPreview} DIALS flags are for lumisections this preview does not have.)</span>
            )}
          </p>
          {agreement.disagreements.length > 0 && (
            <ul className="dials-disagreements" data-testid="dials-disagreements">
              {agreement.disagreements.map((d) => (
                <li key={d.position}>
                  <button type="button" className="link-button" onClick={() => onSelect(d.position)}>
                    Run {d.run} · LS {d.ls}
                  </button>{' '}
                  {d.dials ? (
                    <>
                      <span className="tag tag-dials">DIALS flagged</span> (mse {d.mse?.toPrecision(3)}), preview not
                    </>
                  ) : (
                    <>
                      <span className="tag tag-flag">preview flagged</span>, DIALS not
                    </>
                  )}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </div>
  );
}

function goodCount(golden: DialsGoldenJson): number {
  return Object.values(golden)
    .flat()
    .reduce((n, [a, b]) => n + b - a + 1, 0);
}
