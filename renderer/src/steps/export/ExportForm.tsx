import { useEffect, useRef, useState } from 'react';
import type { ArtifactPart, ExportFormat, ExportSummary } from '@/shared/api/contract';
import { useApi } from '@/renderer/src/api/ApiContext';
import { ErrorCard } from '@/renderer/src/components/ErrorCard';
import { FolderBrowser } from '@/renderer/src/components/FolderBrowser';
import { reportError } from '@/renderer/src/store/app-store';
import { useJob } from '@/renderer/src/api/use-job';
import { MessageText } from '@/renderer/src/components/MessageText';
import { Modal } from '@/renderer/src/components/Modal';

const EXT: Record<ExportFormat, string> = { folder: '', zip: '.zip', 'tar.gz': '.tar.gz' };

/** What TARGET_EXISTS says is there (backend/export/export-target.ts). */
interface ReplaceQuestion {
  target: string;
  kind?: 'folder' | 'archive';
  files?: number;
  createdAt?: string;
}

/** Answers to export.run that are about the chosen target: shown next to it, not as a failure toast. */
const REFUSALS = new Set(['INVALID_TARGET', 'NOT_FOUND']);

function parentOf(dir: string): string {
  const sep = dir.includes('\\') && !dir.includes('/') ? '\\' : '/';
  const trimmed = dir.replace(/[\\/]+$/, '');
  const i = trimmed.lastIndexOf(sep);
  return i > 0 ? trimmed.slice(0, i) : sep;
}

function joinPath(dir: string, name: string): string {
  const sep = dir.includes('\\') && !dir.includes('/') ? '\\' : '/';
  return `${dir.replace(/[\\/]+$/, '')}${sep}${name}`;
}

export function formatBytes(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MB` : n >= 1024 ? `${(n / 1024).toFixed(1)} kB` : `${n} B`;
}

/** Export .dism-artifacts to a folder or archive; an existing target is replaced only after the user confirms. */
export function ExportForm({ summary }: { summary: ExportSummary }) {
  const api = useApi();
  const available = summary.parts.filter((p) => p.exists).map((p) => p.part);
  // What the user unticked; parts that appear later (e.g. after packaging) are included by default.
  const [excluded, setExcluded] = useState<ArtifactPart[]>([]);
  const parts = available.filter((p) => !excluded.includes(p));
  const [format, setFormat] = useState<ExportFormat>('zip');
  const [folder, setFolder] = useState(parentOf(summary.projectDir));
  const [name, setName] = useState(summary.suggestedName);
  const [choosing, setChoosing] = useState(false);
  const [confirm, setConfirm] = useState<ReplaceQuestion | null>(null);
  /** Why the back end will not export to this target (inside the project, not an export, …), shown next to it. */
  const [refusal, setRefusal] = useState<string | null>(null);
  // The project's latest export: a running one keeps its progress and Cancel when the step is shown again.
  const job = useJob('export', { scope: summary.projectDir });
  const result = job.snapshot?.state === 'succeeded' ? (job.snapshot.result ?? null) : null;

  const target = joinPath(folder, `${name}${EXT[format]}`);

  async function exportNow(overwrite: boolean) {
    setConfirm(null);
    setRefusal(null);
    try {
      const started = await api.invoke('export.run', {
        projectDir: summary.projectDir,
        to: target,
        parts,
        ...(overwrite ? { overwrite: true } : {}),
      });
      job.attach(started);
    } catch (e) {
      const err = e as { code?: string; message?: string; details?: unknown };
      if (err.code === 'TARGET_EXISTS') setConfirm({ target, ...(err.details as Omit<ReplaceQuestion, 'target'>) });
      else if (err.code && REFUSALS.has(err.code)) setRefusal(err.message ?? String(e));
      else reportError('Export failed', e);
    }
  }
  // The answer appears above the Export button; on a small window make sure it is in view.
  const refusalRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (refusal) refusalRef.current?.scrollIntoView({ block: 'nearest' });
  }, [refusal]);
  /** A changed target needs a new answer from the back end. */
  const edit =
    <T,>(set: (v: T) => void) =>
    (v: T) => {
      setRefusal(null);
      set(v);
    };

  if (available.length === 0) return <p className="muted">Nothing to export yet: run a build (local or official) first.</p>;
  return (
    <div className="export-form">
      <fieldset className="radio-row">
        <legend>What</legend>
        {summary.parts.map((p) => (
          <label key={p.part}>
            <input
              type="checkbox"
              disabled={!p.exists}
              checked={parts.includes(p.part)}
              onChange={(e) => setExcluded(e.target.checked ? excluded.filter((x) => x !== p.part) : [...excluded, p.part])}
            />
            <code>{p.part}/</code>{' '}
            {p.exists ? (
              <span className="muted">
                ({p.files} files, {formatBytes(p.bytes)})
              </span>
            ) : (
              <span className="muted">(not there yet)</span>
            )}
          </label>
        ))}
      </fieldset>
      <div className="form-grid">
        <label htmlFor="export-format">As</label>
        <select id="export-format" value={format} onChange={(e) => edit(setFormat)(e.target.value as ExportFormat)}>
          <option value="zip">.zip archive</option>
          <option value="tar.gz">.tar.gz archive</option>
          <option value="folder">folder</option>
        </select>
        <label htmlFor="export-folder">Into folder</label>
        <div className="folder-path">
          <input
            id="export-folder"
            value={folder}
            onChange={(e) => edit(setFolder)(e.target.value)}
            spellCheck={false}
            aria-invalid={refusal ? true : undefined}
            aria-describedby={refusal ? 'export-refusal' : undefined}
          />
          <button className="button" type="button" onClick={() => setChoosing(true)}>
            Choose…
          </button>
        </div>
        <label htmlFor="export-name">Name</label>
        <div className="name-row">
          <input
            id="export-name"
            value={name}
            onChange={(e) => edit(setName)(e.target.value)}
            spellCheck={false}
            aria-invalid={refusal ? true : undefined}
            aria-describedby={refusal ? 'export-refusal' : undefined}
          />
          <span className="muted">{EXT[format]}</span>
        </div>
      </div>
      <p className="muted">
        Export to <code data-testid="export-target">{target}</code>, with <code>manifest.json</code> listing every file, its size and
        SHA-256.
      </p>
      {refusal && (
        <div className="problem-card" role="alert" id="export-refusal" data-testid="export-refusal" ref={refusalRef}>
          <strong>Not exported</strong>
          <p>
            <MessageText text={refusal} />
          </p>
        </div>
      )}
      <div className="actions">
        <button
          className="button primary"
          disabled={job.running || parts.length === 0 || !name.trim()}
          onClick={() => void exportNow(false)}
        >
          Export
        </button>
        {job.running && (
          <button className="button danger" onClick={() => void job.cancel()}>
            Cancel
          </button>
        )}
      </div>
      {job.snapshot?.state === 'failed' && <ErrorCard title="Export failed" error={job.snapshot.error} testId="export-failed" />}
      {job.running && job.snapshot?.progress != null && <progress max={1} value={job.snapshot.progress} aria-label="Export progress" />}
      {result && (
        <div className="success-card" data-testid="export-result">
          <strong>Exported</strong> {result.manifest.files.length} files ({formatBytes(result.manifest.totalBytes)}) to{' '}
          <code>{result.target}</code>
          {result.replaced ? ' — replaced the previous export' : ''}
          <details>
            <summary>Manifest</summary>
            <table className="manifest-table">
              <thead>
                <tr>
                  <th>File</th>
                  <th>Size</th>
                  <th>SHA-256</th>
                </tr>
              </thead>
              <tbody>
                {result.manifest.files.map((f) => (
                  <tr key={f.path}>
                    <td>
                      <code>{f.path}</code>
                    </td>
                    <td>{formatBytes(f.size)}</td>
                    <td>
                      <code className="hash">{f.sha256}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </details>
        </div>
      )}
      {confirm && (
        <Modal label="Replace existing export" onClose={() => setConfirm(null)}>
          <h2>Replace the existing export?</h2>
          <p>
            <code className="path">{confirm.target}</code> already exists:{' '}
            {confirm.kind === 'folder' ? (
              <>
                an earlier export folder{confirm.files !== undefined ? <> with {confirm.files} files</> : null}
                {confirm.createdAt ? <>, made {new Date(confirm.createdAt).toLocaleString()}</> : null}.
              </>
            ) : (
              <>an archive{confirm.createdAt ? <>, last written {new Date(confirm.createdAt).toLocaleString()}</> : null}.</>
            )}
          </p>
          <p>
            Replacing it deletes it — but only once the new export is complete; if the export fails or you cancel it, the existing one stays
            as it is.
          </p>
          <div className="modal-actions">
            <button className="button" onClick={() => setConfirm(null)}>
              Keep it
            </button>
            <button className="button danger" onClick={() => void exportNow(true)}>
              Replace
            </button>
          </div>
        </Modal>
      )}
      {choosing && (
        <FolderBrowser
          title="Choose where to export"
          initialDir={folder}
          onCancel={() => setChoosing(false)}
          onChoose={(d) => {
            edit(setFolder)(d);
            setChoosing(false);
          }}
        />
      )}
    </div>
  );
}
