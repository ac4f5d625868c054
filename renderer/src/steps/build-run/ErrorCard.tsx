import type { ReactNode } from 'react';

/** A back-end error shown with its own name and message (messages say what to do). */
export function ErrorCard({ title, error, children }: { title: string; error: unknown; children?: ReactNode }) {
  const e = error as { name?: string; message?: string; code?: string };
  const [first, ...rest] = String(e?.message ?? error).split('\n');
  return (
    <div className="problem-card" role="alert" data-code={e?.code}>
      <p>
        <strong>{title}</strong>
        {e?.name && !['Error', 'ApiError'].includes(e.name) ? <span className="muted"> · {e.name}</span> : null}
      </p>
      <p>{first}</p>
      {rest.length > 0 && <pre className="error-detail">{rest.join('\n')}</pre>}
      {children}
    </div>
  );
}
