import { useAppStore } from '../store/app-store';
import { steps } from '../steps/registry';

export function WizardNav() {
  const step = useAppStore((s) => s.step);
  const setStep = useAppStore((s) => s.setStep);
  const project = useAppStore((s) => s.project);
  return (
    <nav className="wizard-nav" aria-label="Wizard steps">
      <ol>
        {steps.map((s, i) => (
          <li key={s.id}>
            <button
              className={`wizard-step${s.id === step ? ' active' : ''}`}
              aria-current={s.id === step ? 'step' : undefined}
              disabled={!project && s.id !== 'model'}
              title={!project && s.id !== 'model' ? 'Open a project first' : s.hint}
              onClick={() => setStep(s.id)}
              data-step={s.id}
            >
              <span className="wizard-step-index">{i + 1}</span>
              <span className="wizard-step-text">
                <span className="wizard-step-label">{s.label}</span>
                <span className="wizard-step-hint">{s.hint}</span>
              </span>
            </button>
          </li>
        ))}
      </ol>
    </nav>
  );
}
