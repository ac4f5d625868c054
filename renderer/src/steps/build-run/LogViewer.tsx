import { useEffect, useMemo, useRef, useState } from 'react';
import type { JobLogLine } from '../../../../shared/api/contract';
import { filterLog, splitMatches } from './log-filter';

/** Live container log: follow (auto-scroll) or pause (freeze the view), search, stdout/stderr colours. */
export function LogViewer({ lines }: { lines: JobLogLine[] }) {
  const [pausedAt, setPausedAt] = useState<number | null>(null);
  const [query, setQuery] = useState('');
  const [onlyMatches, setOnlyMatches] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  const { shown, matches, newWhilePaused } = useMemo(() => filterLog(lines, { pausedAt, query, onlyMatches }), [lines, pausedAt, query, onlyMatches]);
  const q = query.trim().toLowerCase();
  const paused = pausedAt !== null;

  useEffect(() => {
    if (!paused && ref.current) ref.current.scrollTop = ref.current.scrollHeight;
  }, [shown.length, paused]);

  const togglePause = () => setPausedAt(paused ? null : lines.length ? lines[lines.length - 1].seq : 0);

  return (
    <div className="server-log">
      <div className="server-log-toolbar">
        <button type="button" className="button small" onClick={togglePause} aria-pressed={paused}>
          {paused ? `Follow${newWhilePaused ? ` (${newWhilePaused} new)` : ''}` : 'Pause'}
        </button>
        <input type="search" placeholder="Search the log" aria-label="Search the log" value={query} onChange={(e) => setQuery(e.target.value)} />
        {q && <span className="muted" role="status">{matches} match{matches === 1 ? '' : 'es'}</span>}
        <label className="inline-check">
          <input type="checkbox" checked={onlyMatches} onChange={(e) => setOnlyMatches(e.target.checked)} /> only matching lines
        </label>
        <span className="server-log-legend">
          <span className="log-stdout">stdout</span> <span className="log-stderr">stderr</span> <span className="log-info">DISM Studio</span>
        </span>
      </div>
      <div ref={ref} className="log-view server-log-lines" role="log" aria-label="Model server log" tabIndex={0}>
        {shown.length === 0 ? (
          <span className="muted">{q && onlyMatches ? 'No matching lines.' : 'No output yet.'}</span>
        ) : (
          shown.map((l) => (
            <div key={l.seq} className={`log-line log-${l.stream}`} data-stream={l.stream}>
              {q ? splitMatches(l.text, q).map((part, i) => (i % 2 ? <mark key={i}>{part}</mark> : part)) : l.text}
            </div>
          ))
        )}
      </div>
    </div>
  );
}
