import { useState } from 'react';
import { useApi } from '@/renderer/src/api/ApiContext';
import { reportError, useAppStore } from '@/renderer/src/store/app-store';
import { ProjectPicker } from './ProjectPicker';
import { ImportJoblibCard } from './ImportJoblibCard';
import { ModelCheckCard } from './ModelCheckCard';

type DemoVariant = 'mlserver' | 'triton';

/** How each demo project is offered and described. */
const DEMO_TEXT: Record<DemoVariant, { open: string; short: string; about: string; offer: string }> = {
  mlserver: {
    open: 'Open the MLServer demo',
    short: 'the pixel-NMF model on MLServer, as the pixel team runs it in production.',
    about: 'Generated sample: synthetic BPix2–4 maps with labelled anomalies, NMF models, OMS metadata and a pixel-NMF template.',
    offer: 'The same maps with the production pixel-NMF model on MLServer:',
  },
  triton: {
    open: 'Open the Triton demo',
    short: 'an ONNX autoencoder on the same maps, served by Triton.',
    about:
      'Generated sample: the same synthetic BPix2–4 maps with an ONNX autoencoder served by Triton (Triton · ONNX template, anomaly score against AnomalyThreshold). The Preview shows the pixel-NMF pipeline on these maps.',
    offer: 'The same maps served by Triton, with an ONNX autoencoder:',
  },
};

/** Step 1: which project (model folder) we work on, and what was found in it. */
export function ModelStep() {
  const project = useAppStore((s) => s.project);
  const setStep = useAppStore((s) => s.setStep);
  const api = useApi();
  const [openingDemo, setOpeningDemo] = useState<DemoVariant | null>(null);
  const openDemo = async (variant: DemoVariant) => {
    setOpeningDemo(variant);
    try {
      const { project: demo } = await api.invoke('demo.open', { variant });
      useAppStore.getState().setProject(demo);
    } catch (err) {
      reportError('Could not open the demo project', err);
    } finally {
      setOpeningDemo(null);
    }
  };
  const otherDemo: DemoVariant | null = project?.isDemo ? (project.demoVariant === 'triton' ? 'mlserver' : 'triton') : null;
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
          <h2>{project.isDemo ? (project.demoVariant === 'triton' ? 'Demo project (Triton)' : 'Demo project') : project.name}</h2>
          <p>
            <code className="path">{project.dir}</code>
          </p>
          {project.isDemo && <p>{DEMO_TEXT[project.demoVariant ?? 'mlserver'].about}</p>}
          {otherDemo && (
            <p className="muted demo-offer">
              {DEMO_TEXT[otherDemo].offer}{' '}
              <button className="link-button" onClick={() => openDemo(otherDemo)} disabled={openingDemo !== null}>
                {openingDemo === otherDemo ? 'Preparing it…' : DEMO_TEXT[otherDemo].open}
              </button>
            </p>
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
          <div className="muted demo-offer">
            <p>No model at hand? Open a demo project: synthetic BPix2–4 maps with labelled anomalies and a ready model.</p>
            <ul>
              {(['mlserver', 'triton'] as const).map((v) => (
                <li key={v}>
                  <button className="link-button" onClick={() => openDemo(v)} disabled={openingDemo !== null}>
                    {openingDemo === v ? 'Preparing the demo project…' : DEMO_TEXT[v].open}
                  </button>{' '}
                  — {DEMO_TEXT[v].short}
                </li>
              ))}
            </ul>
          </div>
        )}
      </div>
    </section>
  );
}
