import type { ReactNode } from 'react';
import { errorName } from './error-text';
import { MessageText } from './MessageText';

/** A back-end error shown with its own name and message (messages say what to do); lines after the first as detail. */
export function ErrorCard({ title, error, testId, children }: { title: string; error: unknown; testId?: string; children?: ReactNode }) {
  const e = error as { message?: string; code?: string } | null | undefined;
  const name = errorName(error);
  const [first, ...rest] = String(e?.message ?? error).split('\n');
  return (
    <div className="problem-card" role="alert" data-code={e?.code} data-testid={testId}>
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
