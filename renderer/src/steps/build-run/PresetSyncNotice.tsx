import { useCallback, useEffect, useState } from 'react';
import type { LocalBuildResult, PresetSyncState } from '@/shared/api/contract';
import { useApi } from '@/renderer/src/api/ApiContext';
import { ErrorCard } from '@/renderer/src/components/ErrorCard';

/**
 * DISM Studio's PixelNMF handler reads its preset from model.npz; after tuning in the Preview step
 * that copy is stale. Say so, and offer to carry preset.json over (then rebuild).
 */
export function PresetSyncNotice({
  templateFile,
  resourceKey,
  buildRevision,
  onBuilt,
}: {
  templateFile: string;
  resourceKey?: string;
  buildRevision: string | null;
  onBuilt(r: LocalBuildResult): void;
}) {
  const api = useApi();
  const [state, setState] = useState<PresetSyncState | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const check = useCallback(() => {
    api.invoke('modelServer.presetSync', { templateFile, ...(resourceKey ? { resourceKey } : {}) }).then(setState, () => setState(null));
  }, [api, templateFile, resourceKey]);
  useEffect(check, [check, buildRevision]);

  if (!state?.applicable || state.inSync) return null;
  const apply = async () => {
    setBusy(true);
    setError(null);
    try {
      setState(await api.invoke('modelServer.presetSync', { templateFile, ...(resourceKey ? { resourceKey } : {}), apply: true }));
      onBuilt(await api.invoke('modelServer.buildLocal', { templateFile }));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="warning-card" role="status" data-testid="preset-out-of-sync">
      <p>
        <strong>The model server’s model file embeds a different preset than the project’s preset.json.</strong> The Preview uses
        preset.json, so the server would flag other lumisections. What differs:
      </p>
      <ul className="preset-differences" data-testid="preset-differences">
        {(state.differences ?? []).map((d) => (
          <li key={d} className="mono">
            {d}
          </li>
        ))}
      </ul>
      <p className="muted mono">{state.modelFile}</p>
      <button type="button" className="button small" onClick={apply} disabled={busy}>
        Update the model file from preset.json and build again
      </button>
      <span className="muted"> (the current file is kept as model.npz.dism-studio.bak)</span>
      {error !== null && <ErrorCard title="Could not update the model file" error={error} />}
    </div>
  );
}
