import { useMemo, useState } from 'react';
import type { ServerRun } from '@/shared/api/contract';
import { useApi } from '@/renderer/src/api/ApiContext';
import { Spinner } from '@/renderer/src/components/Spinner';
import { ErrorCard } from '@/renderer/src/components/ErrorCard';
import { useAppStore } from '@/renderer/src/store/app-store';
import { requestOpen } from '../preview/preview-actions';
import { previewFlagsFor } from './preview-flags';
import { firstLineWhenListed, ModelProblems, problemsOf } from './ModelProblems';
import { inferencePage, inferenceRows } from './inference-rows';
import { useInferenceStore, type InferenceView } from './inference-store';

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
  const last = useInferenceStore((s) => (s.last?.projectDir === projectDir ? s.last : null));
  const result = last?.result ?? null;
  const ready = run?.state === 'ready';

  const send = async () => {
    if (!run) return;
    setError(null);
    useInferenceStore.getState().set(null);
    try {
      let flags: boolean[] | undefined;
      if (compare) {
        setBusy('Getting the preview’s flags…');
        flags = (await previewFlagsFor(api, projectDir)).flags;
      }
      setBusy('Sending the inference request…');
      const inferred = await api.invoke('modelServer.infer', {
        templateFile,
        ...(resourceKey ? { resourceKey } : {}),
        runId: run.id,
        ...(flags ? { previewFlags: flags } : {}),
      });
      useInferenceStore.getState().set({ projectDir, result: inferred, preview: flags ?? null, onlyDisagreements: false, page: 0 });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  };

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
              </div>
            ))}
          <InferenceTable view={last!} />
        </>
      )}
    </div>
  );
}

/**
 * Outputs per lumisection: the LS where the server and the preview disagree first, a filter to show
 * only those, a page at a time; a row opens its LS in the Preview.
 */
function InferenceTable({ view }: { view: InferenceView }) {
  const { result, preview: previewFlags, onlyDisagreements, page } = view;
  const { patch } = useInferenceStore.getState();
  const rows = useMemo(() => inferenceRows(result, previewFlags, onlyDisagreements), [result, previewFlags, onlyDisagreements]);
  const shown = inferencePage(rows, page);
  const disagreements = result.comparison?.disagreements.length ?? 0;
  // A comparison that could not be made (e.g. no FlaggingKey) has no agree/disagree column.
  const compared = Boolean(result.comparison && result.comparison.compared > 0);
  const open = (run: number | undefined, ls: number | undefined) => {
    if (run === undefined || ls === undefined) return;
    requestOpen(run, ls);
    useAppStore.getState().setStep('preview');
  };
  return (
    <div className="inference-table" data-testid="inference-table">
      <div className="inference-table-bar">
        {compared && (
          <label className="inline-check">
            <input
              type="checkbox"
              checked={onlyDisagreements}
              disabled={disagreements === 0}
              onChange={(e) => patch({ onlyDisagreements: e.target.checked, page: 0 })}
            />{' '}
            only the {disagreements} lumisection{disagreements === 1 ? '' : 's'} where server and preview disagree
          </label>
        )}
        <span className="muted" data-testid="inference-rows-shown">
          {shown.first}–{shown.last} of {rows.length}
        </span>
        <button type="button" className="button" onClick={() => patch({ page: shown.page - 1 })} disabled={shown.page === 0}>
          ← Previous
        </button>
        <button type="button" className="button" onClick={() => patch({ page: shown.page + 1 })} disabled={shown.page >= shown.pages - 1}>
          Next →
        </button>
      </div>
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
            {previewFlags && <th>preview flag</th>}
            {compared && <th>server vs preview</th>}
          </tr>
        </thead>
        <tbody>
          {shown.rows.map((l) => (
            <tr
              key={l.index}
              className={`clickable${l.disagrees ? ' row-differs' : ''}`}
              tabIndex={0}
              title={`Open run ${l.run} LS ${l.ls} in the Preview`}
              onClick={() => open(l.run, l.ls)}
              onKeyDown={(e) => (e.key === 'Enter' || e.key === ' ') && (e.preventDefault(), open(l.run, l.ls))}
            >
              <td>{l.run}</td>
              <td>{l.ls}</td>
              {result.outputNames.map((n) => (
                <td key={n}>{cell(l.outputs[n])}</td>
              ))}
              {result.decision && <td>{l.flagged === undefined ? '—' : String(l.flagged)}</td>}
              {previewFlags && <td>{l.preview === undefined ? '—' : String(l.preview)}</td>}
              {compared && <td>{l.disagrees ? 'disagree' : 'agree'}</td>}
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted">Click a row (or press Enter on it) to open that lumisection in the Preview.</p>
    </div>
  );
}
