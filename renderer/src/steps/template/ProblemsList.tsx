import { cappedNote } from '@/shared/template/limits';
import { syntaxHiddenNote } from '@/shared/template/problems';
import { applyFix } from './fixes';
import { revealRange } from './editor-bridge';
import { useTemplateStore } from './template-store';
import { MessageText } from '@/renderer/src/components/MessageText';

/** Every problem with its position; clicking one selects it in the YAML and scrolls the form to it. */
export function ProblemsList() {
  const problems = useTemplateStore((s) => s.problems);
  const notes = useTemplateStore((s) => s.notes);
  const total = useTemplateStore((s) => s.problemsTotal);
  const errors = useTemplateStore((s) => s.errorsTotal);
  const capped = cappedNote(problems.length, total);
  const hiddenNote = syntaxHiddenNote(useTemplateStore((s) => s.hiddenBySyntax));
  const warnings = total - errors;
  const reveal = (from: number, to: number, path: string) => {
    revealRange(from, to);
    const field =
      document.querySelector(`[data-path="${CSS.escape(path)}"]`) ?? document.querySelector(`[data-path^="${CSS.escape(path)}"]`);
    field?.scrollIntoView({ block: 'center', behavior: 'smooth' });
  };
  return (
    <section className="problems-panel" aria-label="Problems">
      <header className="problems-head">
        <strong>Problems</strong>
        <span className={errors ? 'count-error' : 'count-ok'} data-testid="error-count">
          {errors} error{errors === 1 ? '' : 's'}
        </span>
        <span className="count-warning">
          {warnings} warning{warnings === 1 ? '' : 's'}
        </span>
        {errors === 0 && <span className="count-ok">✓ DISM will accept this template</span>}
      </header>
      <ul className="problems-list">
        {capped && (
          <li className="problem problem-note">
            <span className="problem-sev">note</span>
            <span className="problem-text">{capped}</span>
          </li>
        )}
        {problems.map((p, i) => (
          <li key={`${p.rule}-${p.from}-${i}`} className={`problem problem-${p.severity}`}>
            <button
              type="button"
              className="problem-loc link-button"
              onClick={() => reveal(p.from, p.to, p.segments.map(String).join('.'))}
              title="Show in YAML"
            >
              {p.line}:{p.column}
            </button>
            <span className="problem-sev">{p.severity}</span>
            <span className="problem-text">
              <MessageText className="problem-message" text={p.message} />
              {p.path && <code className="problem-path">{p.path}</code>}
              {p.detail && <MessageText className="problem-detail" text={p.detail} />}
            </span>
            {p.fix &&
              (p.fix.kind !== 'migrate-legacy-datatypes' ||
                problems.findIndex((q) => q.fix?.kind === 'migrate-legacy-datatypes') === i) && (
                <button type="button" className="button small" onClick={() => applyFix(p.fix!)}>
                  {p.fix.label}
                </button>
              )}
          </li>
        ))}
        {hiddenNote && (
          <li className="problem problem-note" data-testid="syntax-hidden-note">
            <span className="problem-sev">note</span>
            <span className="problem-text">{hiddenNote}</span>
          </li>
        )}
        {notes.map((n) => (
          <li key={n} className="problem problem-note">
            <span className="problem-sev">note</span>
            <span className="problem-text">{n}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}
