import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { JobLogLine } from '../../../../shared/api/contract';

/** Live container log: follow (auto-scroll) or pause (freeze the view), search, stdout/stderr colours. */
export function LogViewer({ lines }: { lines: JobLogLine[] }) {
  const [paused, setPaused] = useState(false);
  const [frozenAt, setFrozenAt] = useState(0);
  const [query, setQuery] = useState('');
  const [onlyMatches, setOnlyMatches] = useState(false);
  const ref = useRef<HTMLDivElement>(null);

  const visible = paused ? lines.filter((l) => l.seq <= frozenAt) : lines;
  const q = query.trim().toLowerCase();
  const matches = useMemo(() => (q ? visible.filter((l) => l.text.toLowerCase().includes(q)) : []), [visible, q]);
  const shown = q && onlyMatches ? matches : visible;
  const newWhilePaused = paused ? lines.length - visible.length : 0;

  useEffect(() => {
    if (!paused && ref.current) ref.current.scrollTop = ref.current.scrollHeight;
  }, [shown.length, paused]);

  const togglePause = () => {
    if (!paused) setFrozenAt(lines.length ? lines[lines.length - 1].seq : 0);
    setPaused(!paused);
  };

  return (
    <div className="server-log">
      <div className="server-log-toolbar">
        <button type="button" className="button small" onClick={togglePause} aria-pressed={paused}>
          {paused ? `Follow${newWhilePaused ? ` (${newWhilePaused} new)` : ''}` : 'Pause'}
        </button>
        <input type="search" placeholder="Search the log" aria-label="Search the log" value={query} onChange={(e) => setQuery(e.target.value)} />
        {q && <span className="muted" role="status">{matches.length} match{matches.length === 1 ? '' : 'es'}</span>}
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
              {q ? highlight(l.text, q) : l.text}
            </div>
          ))
        )}
      </div>
    </div>
  );
}

function highlight(text: string, q: string) {
  const parts: ReactNode[] = [];
  const lower = text.toLowerCase();
  let i = 0;
  let k = 0;
  for (let j = lower.indexOf(q); j >= 0; j = lower.indexOf(q, i)) {
    parts.push(text.slice(i, j), <mark key={k++}>{text.slice(j, j + q.length)}</mark>);
    i = j + q.length;
  }
  parts.push(text.slice(i));
  return parts;
}
