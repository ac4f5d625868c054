import { useEffect } from 'react';
import { useApi, useApiEvent } from '../api/ApiContext';
import { reportError, useAppStore } from '../store/app-store';
import { isStepId } from '../steps/step-ids';
import { steps } from '../steps/registry';
import { leavePreviewOf } from '../steps/preview/preview-actions';
import { createApiPreviewBackend } from '../steps/preview/preview-backend-api';
import { Notices } from './Notices';
import { StatusBar } from './StatusBar';
import { WizardNav } from './WizardNav';

/** Keeps the current step in the URL hash (#/preview) so reloads and links land on the same step. */
function useStepInHash() {
  const step = useAppStore((s) => s.step);
  const setStep = useAppStore((s) => s.setStep);
  useEffect(() => {
    const fromHash = () => {
      const h = location.hash.replace(/^#\/?/, '');
      if (isStepId(h)) setStep(h);
    };
    fromHash();
    window.addEventListener('hashchange', fromHash);
    return () => window.removeEventListener('hashchange', fromHash);
  }, [setStep]);
  useEffect(() => {
    if (location.hash !== `#/${step}`) history.replaceState(null, '', `${location.pathname}${location.search}#/${step}`);
  }, [step]);
}

export function App() {
  const api = useApi();
  const step = useAppStore((s) => s.step);
  const project = useAppStore((s) => s.project);
  const setEngine = useAppStore((s) => s.setEngine);
  useStepInHash();

  // Opening another project releases the previous project's preview run in the back end.
  const projectDir = project?.dir ?? null;
  useEffect(() => {
    if (projectDir) leavePreviewOf(createApiPreviewBackend(api), projectDir);
  }, [api, projectDir]);

  useEffect(() => {
    api.invoke('engine.status', {}).then(setEngine, (e) => reportError('Could not check the container engine', e));
  }, [api, setEngine]);
  useApiEvent('engine.status', setEngine);

  useEffect(() => {
    const last = localStorage.getItem('dism.lastProject');
    if (!last || useAppStore.getState().project) return;
    api.invoke('projects.open', { dir: last }).then(
      (p) => useAppStore.getState().setProject(p),
      () => localStorage.removeItem('dism.lastProject'),
    );
  }, [api]);

  // No project ever opened (no last project, no recent ones): open the generated demo project.
  useEffect(() => {
    if (localStorage.getItem('dism.lastProject')) return;
    api
      .invoke('projects.recent', {})
      .then((recent) => (recent.length || useAppStore.getState().project ? null : api.invoke('demo.open', {})))
      .then(
        (r) => r && !useAppStore.getState().project && useAppStore.getState().setProject(r.project),
        (e) => reportError('Could not open the demo project', e),
      );
  }, [api]);

  const current = steps.find((s) => s.id === step) ?? steps[0];
  const Step = project || current.id === 'model' ? current.component : steps[0].component;
  return (
    <div className="app">
      <header className="app-header">
        <div className="brand">
          <span className="brand-mark" aria-hidden>
            ◆
          </span>
          <span className="brand-name">DISM Studio</span>
        </div>
        <WizardNav />
      </header>
      <main className="app-main" data-step={current.id}>
        <Step />
      </main>
      <Notices />
      <StatusBar />
    </div>
  );
}
