import { useState } from 'react';
import type { LocalBuildResult } from '@/shared/api/contract';
import { useApi } from '@/renderer/src/api/ApiContext';
import { Spinner } from '@/renderer/src/components/Spinner';
import { ErrorCard } from '@/renderer/src/components/ErrorCard';
import { MessageText } from '@/renderer/src/components/MessageText';

/** Offline build of .dism-artifacts/build/, marked as a local build with what an official build adds. */
export function LocalBuildCard({
  templateFile,
  result,
  onBuilt,
}: {
  templateFile: string;
  result: LocalBuildResult | null;
  onBuilt(r: LocalBuildResult): void;
}) {
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
          {result ? 'Build again' : 'Build locally'}
        </button>
        {busy && <Spinner label="Building…" />}
      </div>
      {error !== null && <ErrorCard title="Local build failed" error={error} />}
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
