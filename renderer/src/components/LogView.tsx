import { useEffect, useRef, useState } from 'react';
import type { JobLogLine } from '../../../shared/api/contract';

/** A live log that follows the end unless the user scrolled up to read. */
export function LogView({ lines, label }: { lines: JobLogLine[]; label: string }) {
  const ref = useRef<HTMLPreElement>(null);
  const [follow, setFollow] = useState(true);
  useEffect(() => {
    if (follow && ref.current) ref.current.scrollTop = ref.current.scrollHeight;
  }, [lines, follow]);
  return (
    <pre
      ref={ref}
      className="log-view"
      aria-label={label}
      tabIndex={0}
      onScroll={(e) => {
        const el = e.currentTarget;
        setFollow(el.scrollHeight - el.scrollTop - el.clientHeight < 24);
      }}
    >
      {lines.length === 0 ? <span className="muted">No output yet.</span> : lines.map((l) => (
        <div key={l.seq} className={`log-line log-${l.stream}`}>{l.text}</div>
      ))}
    </pre>
  );
}
