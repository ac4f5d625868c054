import { useState } from 'react';
import type { ProjectSummary } from '@/shared/api/contract';
import { useApi } from '@/renderer/src/api/ApiContext';
import { useJob } from '@/renderer/src/api/use-job';
import { reportError } from '@/renderer/src/store/app-store';
import { ErrorCard } from '@/renderer/src/components/ErrorCard';
import { LogView } from '@/renderer/src/components/LogView';
import { Modal } from '@/renderer/src/components/Modal';

/**
 * Import a physicist's trained PixelNMF (.joblib) for the preview. The extraction runs in the
 * model's own runtime image, so no local Python is needed.
 */
export function ImportJoblibCard({ project }: { project: ProjectSummary }) {
  const api = useApi();
  const [template, setTemplate] = useState(project.templates[0] ?? '');
  const [resource, setResource] = useState('PixelNMF');
  const [image, setImage] = useState('');
  /** An earlier import would be replaced: the back end's words, shown until the user decides. */
  const [confirmReplace, setConfirmReplace] = useState<string | null>(null);
  const { snapshot, lines, running, attach, cancel } = useJob('import-joblib', { scope: project.dir });

  const start = async (overwrite = false) => {
    setConfirmReplace(null);
    try {
      const job = await api.invoke('models.importJoblib', {
        projectDir: project.dir,
        template,
        resource,
        ...(image.trim() ? { image: image.trim() } : {}),
        ...(overwrite ? { overwrite: true } : {}),
      });
      attach(job);
    } catch (err) {
      if ((err as { code?: string }).code === 'OUTPUT_EXISTS') setConfirmReplace((err as Error).message);
      else reportError('Could not start the import', err);
    }
  };

  const result = snapshot?.state === 'succeeded' ? (snapshot.result ?? null) : null;
  return (
    <div className="card import-joblib">
      <h2>Import a trained PixelNMF (.joblib) for the preview</h2>
      <p className="muted">
        Reads the pickled model in its runtime image (<code>Properties.Image</code>, or the image below) with <code>CodeUri</code> on the
        Python path, then writes one ONNX model per monitoring element and a preview preset next to the template.
      </p>
      {project.templates.length === 0 ? (
        <p className="muted">This project has no template.yaml yet.</p>
      ) : (
        <form
          className="import-form"
          onSubmit={(e) => {
            e.preventDefault();
            void start();
          }}
        >
          <label>
            Template
            <select value={template} onChange={(e) => setTemplate(e.target.value)}>
              {project.templates.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          </label>
          <label>
            Resource key
            <input value={resource} onChange={(e) => setResource(e.target.value)} spellCheck={false} required />
          </label>
          <label>
            Runtime image (optional)
            <input value={image} onChange={(e) => setImage(e.target.value)} placeholder="from Properties.Image" spellCheck={false} />
          </label>
          <button className="button primary" type="submit" disabled={running || !template || !resource}>
            {running ? 'Importing…' : 'Import for preview'}
          </button>
          {running && (
            <button className="button" type="button" onClick={() => void cancel()}>
              Cancel
            </button>
          )}
        </form>
      )}
      {snapshot?.state === 'failed' && <ErrorCard title="Import failed" error={snapshot.error} />}
      {result && (
        <div className="import-result" role="status">
          <p>
            Imported <strong>{result.className}</strong> with <code>{result.image}</code>; preview preset: <code>{result.presetFile}</code>
          </p>
          <ul>
            {result.layers.map((l) => (
              <li key={l.name}>
                <strong>{l.name}</strong>: {l.nComponents} components, input {l.xshape.join('×')}
              </li>
            ))}
          </ul>
          {result.warnings.map((w) => (
            <p key={w} className="muted">
              Note: {w}
            </p>
          ))}
        </div>
      )}
      {lines.length > 0 && <LogView lines={lines} label="Extraction output" />}
      {confirmReplace && (
        <Modal label="Replace the earlier import" onClose={() => setConfirmReplace(null)}>
          <h2>Replace the earlier import?</h2>
          <p>
            <code className="path">preview-{resource}/</code> next to the template already holds an imported model. Importing again replaces
            its ONNX models and arrays, and its <code>preset.json</code> — thresholds or filters you tuned in the Preview are lost from it
            (the current file is kept as <code>preset.json.dism-studio.bak</code>).
          </p>
          <p className="muted">Nothing is replaced until the new import is complete.</p>
          <div className="modal-actions">
            <button className="button" onClick={() => setConfirmReplace(null)}>
              Keep it
            </button>
            <button className="button danger" onClick={() => void start(true)}>
              Replace
            </button>
          </div>
        </Modal>
      )}
    </div>
  );
}
