import { useEffect, useState } from 'react';
import type { DialsChoice, DialsTarget } from '@/shared/api/contract';
import { useApi } from '@/renderer/src/api/ApiContext';
import { reportError } from '@/renderer/src/store/app-store';
import './dials-instance.css';

const DIALS_LABELS: Record<DialsChoice, string> = { production: 'Production', development: 'Development', custom: 'Custom URL' };

/**
 * The project's DIALS instance: production, development or a custom URL, remembered per project.
 * One choice for everything that talks to DIALS — dismcli in the Export step and the DIALS data in
 * the Preview — so this control is the same in both places.
 */
export function DialsInstanceChoice({
  projectDir,
  usedBy,
  onChange,
  disabled,
}: {
  projectDir: string;
  /** "dismcli talks to" / "Data comes from" … */
  usedBy: string;
  onChange?(target: DialsTarget): void;
  disabled?: boolean;
}) {
  const api = useApi();
  const [dials, setDials] = useState<DialsTarget | null>(null);
  const [customUrl, setCustomUrl] = useState('');

  useEffect(() => {
    api.invoke('dismcli.dials.get', { projectDir }).then(
      (d) => {
        setDials(d);
        setCustomUrl(d.customUrl ?? '');
        onChange?.(d);
      },
      (e) => reportError('Could not read the DIALS choice', e),
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, projectDir]);

  async function choose(choice: DialsChoice, url = customUrl) {
    try {
      const d = await api.invoke('dismcli.dials.set', { projectDir, choice, ...(url.trim() ? { customUrl: url.trim() } : {}) });
      setDials(d);
      onChange?.(d);
    } catch (e) {
      reportError('DIALS URL not accepted', e);
    }
  }

  return (
    <div className="dials-instance">
      <fieldset className="radio-row" aria-label="DIALS instance" disabled={disabled}>
        <legend>DIALS instance</legend>
        {(['production', 'development', 'custom'] as const).map((c) => (
          <label key={c}>
            <input
              type="radio"
              name={`dials-${usedBy}`}
              checked={dials?.choice === c}
              onChange={() => void choose(c)}
              disabled={c === 'custom' && !customUrl.trim()}
            />
            {DIALS_LABELS[c]}
          </label>
        ))}
        <input
          aria-label="Custom DIALS URL"
          className="url-input"
          placeholder="https://…"
          value={customUrl}
          onChange={(e) => setCustomUrl(e.target.value)}
          onBlur={() => dials?.choice === 'custom' && customUrl.trim() && void choose('custom')}
          onKeyDown={(e) => e.key === 'Enter' && customUrl.trim() && void choose('custom')}
          spellCheck={false}
        />
      </fieldset>
      {dials && (
        <p className="muted">
          {usedBy} <code data-testid="dials-url">{dials.url}</code> (remembered for this project; the Preview's DIALS data and the Export
          step's dismcli use the same instance).
        </p>
      )}
    </div>
  );
}
