import { useRef, useState } from 'react';
import { useApi } from '../api/ApiContext';
import { useEscapeKey } from '../components/Modal';
import { reportError, useAppStore } from '../store/app-store';

export function StatusBar() {
  const api = useApi();
  const engine = useAppStore((s) => s.engine);
  const setEngine = useAppStore((s) => s.setEngine);
  const connected = useAppStore((s) => s.connected);
  const project = useAppStore((s) => s.project);
  const [open, setOpen] = useState(false);
  const [checking, setChecking] = useState(false);
  const toggle = useRef<HTMLButtonElement>(null);
  // Escape closes the pop-up and gives the keyboard back to its button.
  useEscapeKey(() => {
    setOpen(false);
    toggle.current?.focus();
  }, open);

  const recheck = async () => {
    setChecking(true);
    try {
      setEngine(await api.invoke('engine.status', { refresh: true }));
    } catch (err) {
      reportError('Could not check the container engine', err);
    } finally {
      setChecking(false);
    }
  };

  const state = checking ? 'checking' : (engine?.state ?? 'checking');
  const label =
    state === 'connected'
      ? `Engine: connected — ${engine?.kind ?? 'docker'} ${engine?.version ?? ''}`
      : state === 'unreachable'
        ? `Engine: not reachable (tried ${engine?.tried.map((t) => `${t.address}: ${t.outcome}`).join(', ') || 'nothing'})`
        : 'Engine: checking…';

  return (
    <footer className="status-bar">
      <button
        ref={toggle}
        className={`engine-status engine-${state}`}
        data-testid="engine-status"
        onClick={() => setOpen((o) => !o)}
        aria-expanded={open}
      >
        <span className="dot" aria-hidden />
        {label}
      </button>
      {!connected && (
        <span className="status-warning" role="alert">
          Back end disconnected — reconnecting…
        </span>
      )}
      <span className="status-spacer" />
      {project && (
        <span className="status-project" title={project.dir}>
          {project.isDemo ? 'Demo project' : project.dir}
        </span>
      )}
      {open && engine && (
        <div className="engine-popover" role="dialog" aria-label="Container engine">
          <div className="engine-popover-head">
            <strong>{state === 'connected' ? 'Container engine connected' : 'Container engine not reachable'}</strong>
            <button className="button small" onClick={recheck} disabled={checking}>
              {checking ? 'Checking…' : 'Re-check'}
            </button>
          </div>
          {engine.state === 'connected' && (
            <p>
              {engine.kind} {engine.version} (API {engine.apiVersion}) at <code>{engine.address}</code>
            </p>
          )}
          <table className="engine-tried">
            <caption>What was tried</caption>
            <tbody>
              {engine.tried.map((t) => (
                <tr key={t.address}>
                  <td>{t.source}</td>
                  <td>
                    <code>{t.address}</code>
                  </td>
                  <td className={`outcome outcome-${t.outcome}`}>
                    {t.outcome}
                    {t.detail ? ` — ${t.detail}` : ''}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {engine.advice.length > 0 && (
            <ul className="engine-advice">
              {engine.advice.map((a) => (
                <li key={a}>{a}</li>
              ))}
            </ul>
          )}
          <p className="muted">Checked {new Date(engine.checkedAt).toLocaleTimeString()}; re-checked every 15 s.</p>
        </div>
      )}
    </footer>
  );
}
