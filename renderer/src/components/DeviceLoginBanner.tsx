import { useEffect, useState } from 'react';
import { openExternal } from '@/renderer/src/api/create-api';
import './device-login.css';

function remaining(expiresAt: string, now: number): string {
  const s = Math.max(0, Math.round((Date.parse(expiresAt) - now) / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/**
 * A DIALS device sign-in waiting for the user: one big button that opens the CERN page, the code
 * it shows, and the time left. Used for dismcli's login (Export) and DISM Studio's own sign-in.
 */
export function DeviceLoginBanner({
  title,
  text,
  url,
  userCode,
  expiresAt,
  buttonLabel = 'Log in to DIALS in the browser',
  expiredText = 'Code expired — run again',
  testId,
}: {
  title: string;
  text: string;
  url: string;
  userCode?: string;
  expiresAt: string;
  buttonLabel?: string;
  expiredText?: string;
  testId?: string;
}) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  const expired = Date.parse(expiresAt) <= now;
  return (
    <div className={`login-banner${expired ? ' expired' : ''}`} role="alert" aria-label="DIALS login" data-testid={testId}>
      <div>
        <strong>{title}</strong>
        <p className="muted">{text}</p>
        {userCode && (
          <p>
            Code on the CERN page:{' '}
            <strong className="mono" data-testid="login-code">
              {userCode}
            </strong>
          </p>
        )}
        <p>
          <code className="path" data-testid="login-url">
            {url}
          </code>
        </p>
      </div>
      <div className="login-actions">
        <button className="button primary login-button" onClick={() => openExternal(url)} disabled={expired}>
          {buttonLabel}
        </button>
        <span className="login-countdown" data-testid="login-countdown">
          {expired ? expiredText : `${remaining(expiresAt, now)} left`}
        </span>
      </div>
    </div>
  );
}
