import { useState } from 'react';
import type { ArtifactPart, ExportFormat, ExportResult, ExportSummary } from '../../../../shared/api/contract';
import { useApi } from '../../api/ApiContext';
import { FolderBrowser } from '../../shell/FolderBrowser';
import { reportError } from '../../store/app-store';
import { useJob } from '../../api/use-job';

const EXT: Record<ExportFormat, string> = { folder: '', zip: '.zip', 'tar.gz': '.tar.gz' };

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
  const [confirmTarget, setConfirmTarget] = useState<string | null>(null);
  const [jobId, setJobId] = useState<string | null>(null);
  const job = useJob(jobId);
  const result = job.snapshot?.state === 'succeeded' ? (job.snapshot.result as ExportResult) : null;

  const target = joinPath(folder, `${name}${EXT[format]}`);

  async function exportNow(overwrite: boolean) {
    setConfirmTarget(null);
    try {
      const started = await api.invoke('export.run', { projectDir: summary.projectDir, to: target, parts, ...(overwrite ? { overwrite: true } : {}) });
      setJobId(started.id);
    } catch (e) {
      if ((e as { code?: string }).code === 'TARGET_EXISTS') setConfirmTarget(target);
      else reportError('Export failed', e);
    }
  }

  if (available.length === 0) return <p className="muted">Nothing to export yet: run a build (local or official) first.</p>;
  return (
    <div className="export-form">
      <fieldset className="radio-row">
        <legend>What</legend>
        {summary.parts.map((p) => (
          <label key={p.part}>
            <input type="checkbox" disabled={!p.exists} checked={parts.includes(p.part)} onChange={(e) => setExcluded(e.target.checked ? excluded.filter((x) => x !== p.part) : [...excluded, p.part])} />
            <code>{p.part}/</code> {p.exists ? <span className="muted">({p.files} files, {formatBytes(p.bytes)})</span> : <span className="muted">(not there yet)</span>}
          </label>
        ))}
      </fieldset>
      <div className="form-grid">
        <label htmlFor="export-format">As</label>
        <select id="export-format" value={format} onChange={(e) => setFormat(e.target.value as ExportFormat)}>
          <option value="zip">.zip archive</option>
          <option value="tar.gz">.tar.gz archive</option>
          <option value="folder">folder</option>
        </select>
        <label htmlFor="export-folder">Into folder</label>
        <div className="folder-path">
          <input id="export-folder" value={folder} onChange={(e) => setFolder(e.target.value)} spellCheck={false} />
          <button className="button" type="button" onClick={() => setChoosing(true)}>Choose…</button>
        </div>
        <label htmlFor="export-name">Name</label>
        <div className="name-row">
          <input id="export-name" value={name} onChange={(e) => setName(e.target.value)} spellCheck={false} />
          <span className="muted">{EXT[format]}</span>
        </div>
      </div>
      <p className="muted">Export to <code data-testid="export-target">{target}</code>, with <code>manifest.json</code> listing every file, its size and SHA-256.</p>
      <div className="actions">
        <button className="button primary" disabled={job.running || parts.length === 0 || !name.trim()} onClick={() => void exportNow(false)}>Export</button>
        {job.running && <button className="button danger" onClick={() => void api.invoke('jobs.cancel', { id: jobId! })}>Cancel</button>}
      </div>
      {job.snapshot?.state === 'failed' && <p className="field-error" role="alert">{job.snapshot.error?.message}</p>}
      {job.running && job.snapshot?.progress != null && <progress max={1} value={job.snapshot.progress} aria-label="Export progress" />}
      {result && (
        <div className="success-card" data-testid="export-result">
          <strong>Exported</strong> {result.manifest.files.length} files ({formatBytes(result.manifest.totalBytes)}) to <code>{result.target}</code>{result.replaced ? ' — replaced the previous export' : ''}
          <details>
            <summary>Manifest</summary>
            <table className="manifest-table">
              <thead><tr><th>File</th><th>Size</th><th>SHA-256</th></tr></thead>
              <tbody>{result.manifest.files.map((f) => <tr key={f.path}><td><code>{f.path}</code></td><td>{formatBytes(f.size)}</td><td><code className="hash">{f.sha256}</code></td></tr>)}</tbody>
            </table>
          </details>
        </div>
      )}
      {confirmTarget && (
        <div className="modal-backdrop" role="presentation">
          <div className="modal" role="dialog" aria-label="Replace existing export">
            <h2>Replace the existing export?</h2>
            <p><code className="path">{confirmTarget}</code> already exists. Replacing it deletes what is there now.</p>
            <div className="modal-actions">
              <button className="button" onClick={() => setConfirmTarget(null)}>Keep it</button>
              <button className="button danger" onClick={() => void exportNow(true)}>Replace</button>
            </div>
          </div>
        </div>
      )}
      {choosing && <FolderBrowser title="Choose where to export" initialDir={folder} onCancel={() => setChoosing(false)} onChoose={(d) => { setFolder(d); setChoosing(false); }} />}
    </div>
  );
}
