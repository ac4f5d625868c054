import { useRef, useState } from 'react';
import type { EngineCandidate } from '@/shared/api/contract';
import { PodmanServiceOffer } from '@/renderer/src/components/PodmanServiceOffer';
import { useApi } from '../api/ApiContext';
import { useEscapeKey } from '../components/Modal';
import { reportError, useAppStore } from '../store/app-store';

/** What happened at each place discovery looked, in plain words. */
const OUTCOME: Record<EngineCandidate['outcome'], string> = {
  ok: 'answered — in use',
  missing: 'not there',
  'permission-denied': 'permission denied',
  refused: 'there, but nothing answers',
  timeout: 'no answer in time',
  error: 'error',
};

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
  const tried = engine?.tried.length ?? 0;
  const label =
    state === 'connected'
      ? `Engine: connected — ${engine?.kind ?? 'docker'} ${engine?.version ?? ''}${engine?.podmanService ? ' (started by DISM Studio)' : ''}`
      : state === 'unreachable'
        ? `Engine: not reachable — ${tried} place${tried === 1 ? '' : 's'} tried${engine?.podmanOffer ? '; Podman can be started' : ''}`
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
            <span>
              <button className="button small" onClick={recheck} disabled={checking}>
                {checking ? 'Checking…' : 'Re-check'}
              </button>{' '}
              <button className="button small" onClick={() => setOpen(false)} aria-label="Close">
                ✕
              </button>
            </span>
          </div>
          {engine.state === 'connected' && (
            <p>
              {engine.kind} {engine.version} (API {engine.apiVersion}) at <code>{engine.address}</code>
              {engine.rootless ? ' · rootless: containers run as you' : ''}
              {engine.selinux ? ' · SELinux: your folders are mounted with :z (relabelled)' : ''}
            </p>
          )}
          <PodmanServiceOffer engine={engine} />
          {(engine.notes ?? []).map((n) => (
            <p key={n} className="engine-note">
              {n}
            </p>
          ))}
          {engine.advice.length > 0 && (
            <ul className="engine-advice">
              {engine.advice.map((a) => (
                <li key={a}>{a}</li>
              ))}
            </ul>
          )}
          <table className="engine-tried">
            <caption>Where DISM Studio looked, in order (as the docker command does)</caption>
            <tbody>
              {engine.tried.map((t) => (
                <tr key={`${t.source} ${t.address}`} data-outcome={t.outcome}>
                  <td>{t.source}</td>
                  <td>
                    <code>{t.address}</code>
                  </td>
                  <td className={`outcome outcome-${t.outcome}`} title={t.detail}>
                    {OUTCOME[t.outcome]}
                    {t.detail && t.outcome !== 'ok' && t.detail !== 'no socket at this path' ? ` — ${t.detail}` : ''}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="muted">Checked {new Date(engine.checkedAt).toLocaleTimeString()}; re-checked every 15 s.</p>
        </div>
      )}
    </footer>
  );
}
