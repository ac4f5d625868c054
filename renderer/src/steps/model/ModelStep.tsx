import { useState } from 'react';
import { useApi } from '@/renderer/src/api/ApiContext';
import { reportError, useAppStore } from '@/renderer/src/store/app-store';
import { ProjectPicker } from './ProjectPicker';
import { ImportJoblibCard } from './ImportJoblibCard';
import { ModelCheckCard } from './ModelCheckCard';

/** Step 1: which project (model folder) we work on, and what was found in it. */
export function ModelStep() {
  const project = useAppStore((s) => s.project);
  const setStep = useAppStore((s) => s.setStep);
  const api = useApi();
  const [openingDemo, setOpeningDemo] = useState(false);
  const openDemo = async () => {
    setOpeningDemo(true);
    try {
      const { project: demo } = await api.invoke('demo.open', {});
      useAppStore.getState().setProject(demo);
    } catch (err) {
      reportError('Could not open the demo project', err);
    } finally {
      setOpeningDemo(false);
    }
  };
  return (
    <section className="step model-step">
      <header className="step-header">
        <h1>Model</h1>
        <p className="muted">
          A project is the folder that holds your model code, weights and <code>template.yaml</code>.
        </p>
      </header>
      {project ? (
        <div className="card project-card">
          <h2>{project.isDemo ? 'Demo project' : project.name}</h2>
          <p>
            <code className="path">{project.dir}</code>
          </p>
          {project.isDemo && (
            <p>Generated sample: synthetic BPix2–4 maps with labelled anomalies, NMF models, OMS metadata and a pixel-NMF template.</p>
          )}
          <h3>Templates found</h3>
          {project.templates.length ? (
            <ul className="template-list">
              {project.templates.map((t) => (
                <li key={t}>
                  <code>{t}</code>
                </li>
              ))}
            </ul>
          ) : (
            <p className="muted">
              No <code>template.yaml</code> yet — create one in the Template step.
            </p>
          )}
          <div className="actions">
            <button className="button primary" onClick={() => setStep('template')}>
              Continue to Template →
            </button>
          </div>
        </div>
      ) : null}
      {project && <ModelCheckCard project={project} />}
      {project && !project.isDemo && <ImportJoblibCard project={project} />}
      <div className="card">
        <h2>{project ? 'Open another project' : 'Open a project'}</h2>
        <ProjectPicker compact={Boolean(project)} />
        {!project?.isDemo && (
          <p className="muted demo-offer">
            No model at hand?{' '}
            <button className="link-button" onClick={openDemo} disabled={openingDemo}>
              {openingDemo ? 'Preparing the demo project…' : 'Open the demo project'}
            </button>{' '}
            — synthetic BPix2–4 maps with labelled anomalies and a ready NMF model.
          </p>
        )}
      </div>
    </section>
  );
}
