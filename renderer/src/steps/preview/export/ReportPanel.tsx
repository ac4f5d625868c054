import { useState } from 'react';
import type { ReportSelection } from '@/shared/api/contract/inspect';
import type { PlotSettings } from '@/shared/plot/plot-settings';
import { useApi } from '@/renderer/src/api/ApiContext';
import { useJob } from '@/renderer/src/api/use-job';
import { ErrorCard } from '@/renderer/src/components/ErrorCard';
import type { TimelineLs } from '../timeline/timeline-model';
import { parseLsList } from './ls-list';

interface Props {
  projectDir: string;
  sessionId: string | null;
  /** The run has finished (a report needs every lumisection). */
  ready: boolean;
  modelName: string;
  plot: PlotSettings;
  items: readonly TimelineLs[];
  /** The LS on screen. */
  shown: TimelineLs | null;
  onClose(): void;
}

function defaultFile(projectDir: string): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}_${p(d.getHours())}${p(d.getMinutes())}`;
  return `${projectDir.replace(/[\\/]+$/, '')}/reports/preview-report_${stamp}.pdf`;
}

/**
 * The PDF report: which lumisections (every flagged one, the one shown, or a list), where, and the
 * job writing it — progress, cancel, and where the file went. The job lives in the back end: the
 * panel re-attaches to it when the step is shown again.
 */
export function ReportPanel({ projectDir, sessionId, ready, modelName, plot, items, shown, onClose }: Props) {
  const api = useApi();
  const job = useJob('preview.report', { scope: projectDir });
  const flagged = items.filter((i) => i.flagged).length;
  const [which, setWhich] = useState<'flagged' | 'shown' | 'list'>(flagged ? 'flagged' : 'shown');
  const [list, setList] = useState('');
  const [file, setFile] = useState(() => defaultFile(projectDir));
  const [error, setError] = useState<unknown>(null);
  const [confirmReplace, setConfirmReplace] = useState(false);
  const parsed = which === 'list' ? parseLsList(list, items) : null;
  const selection: ReportSelection | null =
    which === 'flagged'
      ? { kind: 'flagged' }
      : which === 'shown'
        ? shown
          ? { kind: 'positions', positions: [shown.index] }
          : null
        : parsed && 'positions' in parsed
          ? { kind: 'positions', positions: parsed.positions }
          : null;
  const pages = which === 'flagged' ? flagged : which === 'shown' ? 1 : parsed && 'positions' in parsed ? parsed.positions.length : 0;

  const write = async (overwrite: boolean) => {
    if (!sessionId || !selection) return;
    setError(null);
    setConfirmReplace(false);
    try {
      job.attach(await api.invoke('preview.report', { sessionId, file, select: selection, plot, modelName, overwrite }));
    } catch (err) {
      if ((err as { code?: string }).code === 'OUTPUT_EXISTS') setConfirmReplace(true);
      else setError(err);
    }
  };
  const snap = job.snapshot;
  const running = job.running;
  return (
    <div className="card report-panel" data-testid="report-panel">
      <div className="report-head">
        <h2>PDF report</h2>
        <button type="button" className="link-button" onClick={onClose} aria-label="Close the report panel">
          ✕
        </button>
      </div>
      <p className="muted">
        A summary page (counts, the timeline, the runs), then one page per lumisection: the stage maps of every layer drawn as on screen,
        why it is or is not flagged, and the run, LS, model, preset and data it comes from.
      </p>
      <fieldset disabled={running}>
        <legend>Lumisections</legend>
        <label className="check">
          <input type="radio" name="report-which" checked={which === 'flagged'} onChange={() => setWhich('flagged')} /> Every flagged one (
          {flagged})
        </label>
        <label className="check">
          <input type="radio" name="report-which" checked={which === 'shown'} disabled={!shown} onChange={() => setWhich('shown')} /> The
          one shown{shown ? ` (Run ${shown.run} · LS ${shown.ls})` : ''}
        </label>
        <label className="check">
          <input type="radio" name="report-which" checked={which === 'list'} onChange={() => setWhich('list')} /> These:
        </label>
        <input
          aria-label="Lumisections for the report"
          className="report-list"
          placeholder="398100:7-12, 398101:3"
          value={list}
          onFocus={() => setWhich('list')}
          onChange={(e) => setList(e.target.value)}
          aria-invalid={(parsed && 'error' in parsed && list !== '') || undefined}
        />
        {parsed && 'error' in parsed && list !== '' && <p className="field-error">{parsed.error}</p>}
      </fieldset>
      <label className="report-file">
        PDF file
        <input aria-label="Report file" className="mono" value={file} onChange={(e) => setFile(e.target.value)} disabled={running} />
      </label>
      <div className="actions">
        <button
          type="button"
          className="button primary"
          disabled={!ready || !selection || running || !file.trim()}
          onClick={() => void write(false)}
        >
          Write the report ({pages + 1} page{pages ? 's' : ''})
        </button>
        {!ready && <span className="muted">Available when the preview has finished.</span>}
      </div>
      {running && snap && (
        <div className="report-progress" role="status" data-testid="report-progress">
          <div className="progress-bar" aria-hidden>
            <span style={{ width: `${Math.round((snap.progress ?? 0) * 100)}%` }} />
          </div>
          <span>{snap.message}</span>
          <button type="button" className="button small" onClick={() => void job.cancel()}>
            Cancel
          </button>
        </div>
      )}
      {snap?.state === 'succeeded' && snap.result && (
        <div className="success-card" data-testid="report-done">
          Wrote <span className="mono">{snap.result.file}</span> — {snap.result.pages} pages, {(snap.result.bytes / 2 ** 20).toFixed(1)} MB
          {snap.result.withoutMaps ? ` (${snap.result.withoutMaps} lumisections without stage maps: they were no longer kept)` : ''}.
        </div>
      )}
      {snap?.state === 'cancelled' && <p className="muted">The report was cancelled; no file was written.</p>}
      {snap?.state === 'failed' && <ErrorCard title="The report could not be written" error={snap.error} />}
      {error !== null && <ErrorCard title="The report could not be started" error={error} />}
      {confirmReplace && (
        <div className="modal-backdrop" role="presentation">
          <div className="modal" role="dialog" aria-label="Replace the existing report">
            <h2>Replace the existing file?</h2>
            <p>
              <code className="path">{file}</code> already exists. Writing the report replaces it once the new report is complete.
            </p>
            <div className="modal-actions">
              <button type="button" className="button" onClick={() => setConfirmReplace(false)}>
                Keep it
              </button>
              <button type="button" className="button danger" onClick={() => void write(true)}>
                Replace
              </button>
            </div>
          </div>
        </div>
      )}
    </div>
  );
}
