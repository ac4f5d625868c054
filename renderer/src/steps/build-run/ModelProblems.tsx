import type { ModelProblem } from '@/shared/api/contract';
import { useAppStore } from '@/renderer/src/store/app-store';

/** A problem at a template field: a server's message traced back (ModelProblem) or a template check's (path, line, message). */
type FieldProblem = ModelProblem | { path: string; line: number; message: string };

/** The problems an error carries in its details (start refused by the file checks, a load failure, a refused request). */
export function problemsOf(details: unknown): FieldProblem[] {
  const list = (details as { problems?: unknown } | null | undefined)?.problems;
  return Array.isArray(list) ? (list as FieldProblem[]) : [];
}

/** The error with only its first line when its problems are listed separately (the other lines say the same). */
export function firstLineWhenListed(error: unknown, problems: FieldProblem[]): unknown {
  const e = error as { message?: unknown; name?: string; code?: string } | null;
  if (!problems.length || typeof e?.message !== 'string') return error;
  return { name: e.name, code: e.code, message: e.message.split('\n')[0] };
}

/**
 * Each problem next to the template field it came from (path and line in template.yaml): what it
 * means, and the server's own words when a server said it.
 */
export function ModelProblems({ problems }: { problems: FieldProblem[] }) {
  const setStep = useAppStore((s) => s.setStep);
  if (!problems.length) return null;
  return (
    <div className="model-problems">
      <ul aria-label="Problems by template field">
        {problems.map((p, i) => (
          <li key={i}>
            {p.path ? (
              <p className="field">
                <span className="mono">{p.path}</span>
                {p.line ? <span className="muted"> · template.yaml line {p.line}</span> : null}
              </p>
            ) : null}
            <p>{'explanation' in p ? p.explanation : p.message}</p>
            {'server' in p && (
              <p className="server-said">
                <span className="muted">The server said: </span>
                <span className="mono">{p.server}</span>
              </p>
            )}
          </li>
        ))}
      </ul>
      {problems.some((p) => p.path) && (
        <button type="button" className="button small" onClick={() => setStep('template')}>
          Open the Template step
        </button>
      )}
    </div>
  );
}
