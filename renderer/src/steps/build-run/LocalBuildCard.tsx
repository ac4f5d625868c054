import { useState } from 'react';
import type { BuildState, LocalBuildResult } from '@/shared/api/contract';
import { useApi } from '@/renderer/src/api/ApiContext';
import { Spinner } from '@/renderer/src/components/Spinner';
import { ErrorCard } from '@/renderer/src/components/ErrorCard';
import { MessageText } from '@/renderer/src/components/MessageText';

/**
 * Offline build of .dism-artifacts/build/, marked as a local build with what an official build adds;
 * or the official build (Export step) when that is what the folder holds now.
 */
export function LocalBuildCard({
  templateFile,
  state,
  onBuilt,
}: {
  templateFile: string;
  state: BuildState | null;
  onBuilt(r: LocalBuildResult): void;
}) {
  const result = state?.kind === 'local' ? (state.local ?? null) : null;
  const api = useApi();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const build = async () => {
    setBusy(true);
    setError(null);
    try {
      onBuilt(await api.invoke('modelServer.buildLocal', { templateFile }));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="card">
      <h2>Local build</h2>
      <p className="muted">
        Lays out <code>.dism-artifacts/build/</code> as <code>dismcli build</code> does, offline and without a DIALS login.
      </p>
      <div className="actions">
        <button type="button" className="button primary" onClick={build} disabled={busy}>
          {state && state.kind !== 'none' ? 'Build locally again' : 'Build locally'}
        </button>
        {busy && <Spinner label="Building…" />}
      </div>
      {error !== null && <ErrorCard title="Local build failed" error={error} />}
      {state?.kind === 'official' && state.official && (
        <p className="build-result">
          <span className="official-build-mark" data-testid="official-build-mark">
            official build — dismcli build, DIALS checks passed
          </span>{' '}
          <span className="muted">
            {state.buildDir} · {new Date(state.official.finishedAt).toLocaleString()} · {state.official.dialsUrl}
          </span>
        </p>
      )}
      {state?.kind === 'unknown' && (
        <p className="muted" data-testid="unknown-build">
          <code>{state.buildDir}</code> holds a build DISM Studio did not make (e.g. <code>dismcli build</code> run in a terminal). Build
          locally to replace it, or start the server with it as it is.
        </p>
      )}
      {result && (
        <div className="build-result">
          <p>
            <span className="local-build-mark" data-testid="local-build-mark">
              local build — DIALS checks not run
            </span>{' '}
            <span className="muted">
              {result.buildDir} · {new Date(result.builtAt).toLocaleTimeString()}
            </span>
          </p>
          <ul className="build-tree" aria-label="Build output">
            <li className="mono">template.yaml</li>
            {result.resources.map((r) => (
              <li key={r.key}>
                <span className="mono">{r.key}/</span>{' '}
                <span className="muted">
                  {r.type} · model {r.name}
                </span>
                <ul>
                  {r.files.map((f) => (
                    <li key={f} className="mono">
                      {f}
                    </li>
                  ))}
                </ul>
              </li>
            ))}
          </ul>
          {result.warnings.length > 0 && (
            <details>
              <summary>
                {result.warnings.length} template warning{result.warnings.length > 1 ? 's' : ''}
              </summary>
              <ul>
                {result.warnings.map((w) => (
                  <li key={w}>
                    <MessageText text={w} />
                  </li>
                ))}
              </ul>
            </details>
          )}
          <div className="official-build-adds">
            <strong>
              An official build (Export step, <code>dismcli build</code>) would also:
            </strong>
            <ul>
              {result.officialBuildAdds.map((a) => (
                <li key={a}>
                  <MessageText text={a} />
                </li>
              ))}
            </ul>
          </div>
        </div>
      )}
    </div>
  );
}
