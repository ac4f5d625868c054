import { useEffect, useRef, type ReactNode } from 'react';
import { errorName } from './error-text';
import { MessageText } from './MessageText';

/**
 * A back-end error shown with its own name and message (messages say what to do); lines after the
 * first as detail. An error that appears is scrolled into view: it answers what the user just did,
 * and below the fold of a small window it would go unseen.
 */
export function ErrorCard({ title, error, testId, children }: { title: string; error: unknown; testId?: string; children?: ReactNode }) {
  const e = error as { message?: string; code?: string } | null | undefined;
  const name = errorName(error);
  const message = String(e?.message ?? error);
  const [first, ...rest] = message.split('\n');
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.scrollIntoView({ block: 'nearest' });
  }, [message]);
  // Content that arrives later (e.g. a list of choices) grows the card: keep it in view while the
  // user is looking at it (its top on screen), never pull the page back once they scrolled away.
  useEffect(() => {
    const el = ref.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(() => {
      const r = el.getBoundingClientRect();
      const bottom = el.closest('.app-main')?.getBoundingClientRect().bottom ?? window.innerHeight;
      if (r.top >= 0 && r.top < bottom && r.bottom > bottom) el.scrollIntoView({ block: 'nearest' });
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return (
    <div className="problem-card" role="alert" data-code={e?.code} data-testid={testId} ref={ref}>
      <p>
        <strong>{title}</strong>
        {name ? <span className="muted"> · {name}</span> : null}
      </p>
      <p>
        <MessageText text={first} />
      </p>
      {rest.length > 0 && (
        <pre className="error-detail">
          {rest.map((line, i) => (
            <span key={i}>
              <MessageText text={line} />
              {'\n'}
            </span>
          ))}
        </pre>
      )}
      {children}
    </div>
  );
}
