import { useEffect, useId, useMemo, useRef, useState } from 'react';
import type { JobLogLine } from '@/shared/api/contract';
import { filterLog, splitMatches } from './log-filter';

/**
 * A job's live log, the same in every step: follows the end unless the user scrolled up to read or
 * paused it (the view freezes; new lines are counted), search with highlighted matches (optionally
 * only matching lines), stdout / stderr / DISM Studio's own lines in their colours.
 */
export function LogView({ lines, label }: { lines: JobLogLine[]; label: string }) {
  const [pausedAt, setPausedAt] = useState<number | null>(null);
  const [query, setQuery] = useState('');
  const [onlyMatches, setOnlyMatches] = useState(false);
  /** False once the user scrolled up: new lines do not pull the view away from what they read. */
  const [atEnd, setAtEnd] = useState(true);
  const ref = useRef<HTMLDivElement>(null);
  const id = useId();
  const { shown, matches, newWhilePaused } = useMemo(
    () => filterLog(lines, { pausedAt, query, onlyMatches }),
    [lines, pausedAt, query, onlyMatches],
  );
  const q = query.trim().toLowerCase();
  const paused = pausedAt !== null;

  useEffect(() => {
    if (!paused && atEnd && ref.current) ref.current.scrollTop = ref.current.scrollHeight;
  }, [shown, paused, atEnd]);

  const togglePause = () => setPausedAt(paused ? null : lines.length ? lines[lines.length - 1].seq : 0);

  return (
    <div className="log">
      <div className="log-toolbar">
        <button type="button" className="button small" onClick={togglePause} aria-pressed={paused} aria-controls={id}>
          {paused ? `Follow${newWhilePaused ? ` (${newWhilePaused} new)` : ''}` : 'Pause'}
        </button>
        <input
          type="search"
          placeholder="Search the log"
          aria-label="Search the log"
          aria-controls={id}
          value={query}
          onChange={(e) => setQuery(e.target.value)}
        />
        {q && (
          <span className="muted" role="status">
            {matches} match{matches === 1 ? '' : 'es'}
          </span>
        )}
        <label className="inline-check">
          <input type="checkbox" aria-controls={id} checked={onlyMatches} onChange={(e) => setOnlyMatches(e.target.checked)} /> only
          matching lines
        </label>
        <span className="log-legend">
          <span className="log-stdout">stdout</span> <span className="log-stderr">stderr</span>{' '}
          <span className="log-info">DISM Studio</span>
        </span>
      </div>
      <div
        ref={ref}
        id={id}
        className="log-view"
        role="log"
        aria-label={label}
        tabIndex={0}
        onScroll={(e) => {
          const el = e.currentTarget;
          setAtEnd(el.scrollHeight - el.scrollTop - el.clientHeight < 24);
        }}
      >
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
