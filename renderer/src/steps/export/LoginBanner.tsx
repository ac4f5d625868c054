import { useEffect, useState } from 'react';
import { openExternal } from '@/renderer/src/api/create-api';

function remaining(expiresAt: string, now: number): string {
  const s = Math.max(0, Math.round((Date.parse(expiresAt) - now) / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** The device login dismcli is waiting for: one big button that opens the browser, and the time left. */
export function LoginBanner({ url, expiresAt }: { url: string; expiresAt: string }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  const expired = Date.parse(expiresAt) <= now;
  return (
    <div className={`login-banner${expired ? ' expired' : ''}`} role="alert" aria-label="DIALS login">
      <div>
        <strong>dismcli is waiting for you to log in to DIALS.</strong>
        <p className="muted">Open the CERN login page, sign in and approve the device; dismcli continues by itself.</p>
        <p>
          <code className="path" data-testid="login-url">
            {url}
          </code>
        </p>
      </div>
      <div className="login-actions">
        <button className="button primary login-button" onClick={() => openExternal(url)} disabled={expired}>
          Log in to DIALS in the browser
        </button>
        <span className="login-countdown" data-testid="login-countdown">
          {expired ? 'Code expired — run again' : `${remaining(expiresAt, now)} left`}
        </span>
      </div>
    </div>
  );
}
