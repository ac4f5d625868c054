import { useState } from 'react';
import type { InferenceResult, ServerRun } from '@/shared/api/contract';
import { useApi } from '@/renderer/src/api/ApiContext';
import { Spinner } from '@/renderer/src/components/Spinner';
import { ErrorCard } from '@/renderer/src/components/ErrorCard';
import { previewFlagsFor } from './preview-flags';
import { firstLineWhenListed, ModelProblems, problemsOf } from './ModelProblems';

const ROWS = 300;

function cell(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toPrecision(5);
  if (Array.isArray(v)) return `[${v.length}…]`;
  return String(v);
}

/** Test inference: the DIALS-style request on the project's sample data, outputs per LS, and the LS where the server and the preview disagree. */
export function InferenceCard({
  projectDir,
  templateFile,
  resourceKey,
  run,
}: {
  projectDir: string;
  templateFile: string;
  resourceKey?: string;
  run: ServerRun | null;
}) {
  const api = useApi();
  const [compare, setCompare] = useState(true);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [result, setResult] = useState<InferenceResult | null>(null);
  const [preview, setPreview] = useState<boolean[] | null>(null);
  const [showAll, setShowAll] = useState(false);
  const ready = run?.state === 'ready';

  const send = async () => {
    if (!run) return;
    setError(null);
    setResult(null);
    try {
      let flags: boolean[] | undefined;
      if (compare) {
        setBusy('Getting the preview’s flags…');
        flags = (await previewFlagsFor(api, projectDir)).flags;
        setPreview(flags);
      }
      setBusy('Sending the inference request…');
      setResult(
        await api.invoke('modelServer.infer', {
          templateFile,
          ...(resourceKey ? { resourceKey } : {}),
          runId: run.id,
          ...(flags ? { previewFlags: flags } : {}),
        }),
      );
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  };

  const differing = new Set(result?.comparison?.disagreements.map((d) => d.index));
  const rows = result ? (showAll ? result.lumisections : result.lumisections.slice(0, ROWS)) : [];
  return (
    <div className="card inference-card">
      <h2>Test inference</h2>
      <p className="muted">
        Sends the project’s sample maps and OMS metadata as DIALS does (one [N, ny, nx] input per InputSignature entry, one input per
        metadata attribute named <code>&lt;Meta&gt;__&lt;Attr&gt;</code>, each with its DataType), in batches (for Triton at most
        MaxBatchSize lumisections each, when it is set).
      </p>
      <div className="actions">
        <button type="button" className="button primary" onClick={send} disabled={!ready || busy !== null}>
          Send test inference
        </button>
        <label className="inline-check">
          <input type="checkbox" checked={compare} onChange={(e) => setCompare(e.target.checked)} /> compare the FlaggingKey output with the
          preview’s flags
        </label>
        {!ready && <span className="muted">Start the model server first.</span>}
        {busy && <Spinner label={busy} />}
      </div>
      {error !== null && (
        <ErrorCard title="Test inference failed" error={firstLineWhenListed(error, problemsOf((error as { details?: unknown }).details))}>
          <ModelProblems problems={problemsOf((error as { details?: unknown }).details)} />
        </ErrorCard>
      )}
      {result && (
        <>
          <p data-testid="inference-summary">
            {result.lumisections.length} lumisections · {result.batches} request{result.batches > 1 ? 's' : ''} · {result.elapsedMs} ms ·
            outputs {result.outputNames.join(', ')}
            {result.savedTo && (
              <span className="muted">
                {' '}
                · saved to <span className="mono">{result.savedTo}</span>
              </span>
            )}
          </p>
          {result.decision && (
            <p className="decision" data-testid="inference-decision">
              DIALS would flag <strong>{result.decision.flagged}</strong> of {result.lumisections.length} lumisections:{' '}
              {result.decision.rule === 'FlaggingKey' ? (
                <>
                  FlaggingKey output <code>{result.decision.output}</code> true
                </>
              ) : (
                <>
                  MetricKey output <code>{result.decision.output}</code> above AnomalyThreshold {result.decision.threshold}
                </>
              )}
              .
            </p>
          )}
          {result.warnings && result.warnings.length > 0 && (
            <ul className="warnings">
              {result.warnings.map((w) => (
                <li key={w}>{w}</li>
              ))}
            </ul>
          )}
          {result.comparison &&
            (result.comparison.compared === 0 ? (
              <p className="muted" data-testid="flags-not-compared">
                {result.comparison.note ?? 'Nothing to compare with the preview.'}
              </p>
            ) : result.comparison.disagreements.length === 0 ? (
              <div className="success-card" data-testid="flags-agree">
                {result.flaggingKey} agrees with the preview on all {result.comparison.compared} lumisections.
                {result.comparison.note ? ` ${result.comparison.note}` : ''}
              </div>
            ) : (
              <div className="problem-card" data-testid="flags-disagree">
                <p>
                  <strong>
                    {result.comparison.disagreements.length} lumisection{result.comparison.disagreements.length > 1 ? 's' : ''} where{' '}
                    {result.flaggingKey} and the preview disagree
                  </strong>{' '}
                  ({result.comparison.agree}/{result.comparison.compared} agree)
                  {result.comparison.note ? ` — ${result.comparison.note}` : ''}
                </p>
                <p className="muted">
                  The preview uses the project’s saved preset; the model server uses what its handler loads (the demo handler: the preset
                  embedded in mlserver-model/model.npz). A tuned preset that was not carried into the model files shows up here.
                </p>
                <table className="data-table">
                  <thead>
                    <tr>
                      <th>run</th>
                      <th>LS</th>
                      <th>server</th>
                      <th>preview</th>
                    </tr>
                  </thead>
                  <tbody>
                    {result.comparison.disagreements.map((d) => (
                      <tr key={d.index}>
                        <td>{d.run}</td>
                        <td>{d.ls}</td>
                        <td>{String(d.server)}</td>
                        <td>{String(d.preview)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            ))}
          <table className="data-table per-ls" aria-label="Outputs per lumisection">
            <thead>
              <tr>
                <th>run</th>
                <th>LS</th>
                {result.outputNames.map((n) => (
                  <th key={n}>
                    {n}
                    {n === result.flaggingKey ? ' (FlaggingKey)' : ''}
                  </th>
                ))}
                {result.decision && <th>DIALS flag</th>}
                {preview && <th>preview flag</th>}
              </tr>
            </thead>
            <tbody>
              {rows.map((l) => (
                <tr key={l.index} className={differing.has(l.index) ? 'row-differs' : undefined}>
                  <td>{l.run}</td>
                  <td>{l.ls}</td>
                  {result.outputNames.map((n) => (
                    <td key={n}>{cell(l.outputs[n])}</td>
                  ))}
                  {result.decision && <td>{String(l.flagged ?? '')}</td>}
                  {preview && <td>{String(preview[l.index])}</td>}
                </tr>
              ))}
            </tbody>
          </table>
          {result.lumisections.length > ROWS && !showAll && (
            <button type="button" className="link-button" onClick={() => setShowAll(true)}>
              Show all {result.lumisections.length} lumisections
            </button>
          )}
        </>
      )}
    </div>
  );
}
