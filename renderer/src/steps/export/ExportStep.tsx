import { useCallback, useEffect, useState } from 'react';
import type { ExportSummary } from '@/shared/api/contract';
import { useApi } from '@/renderer/src/api/ApiContext';
import { EmptyState } from '@/renderer/src/components/EmptyState';
import { ProjectLocationNotice } from '@/renderer/src/components/ProjectLocationNotice';
import { reportError, useAppStore } from '@/renderer/src/store/app-store';
import { DismcliPanel } from './DismcliPanel';
import { ExportForm } from './ExportForm';
import { RegistrationPanel } from './RegistrationPanel';
import './export.css';

function templateFolder(projectDir: string, template: string): string {
  const sep = projectDir.includes('\\') && !projectDir.includes('/') ? '\\' : '/';
  const parts = template.split(/[\\/]/).slice(0, -1);
  return parts.length ? [projectDir.replace(/[\\/]+$/, ''), ...parts].join(sep) : projectDir;
}

/** Step 5: official dismcli build/package in a container, export of .dism-artifacts, registration request. */
export function ExportStep() {
  const api = useApi();
  const project = useAppStore((s) => s.project);
  const [summary, setSummary] = useState<ExportSummary | null>(null);
  const [template, setTemplate] = useState(project?.templates[0] ?? '');
  useEffect(() => setTemplate(project?.templates[0] ?? ''), [project]);
  // dismcli, like the local build, puts .dism-artifacts next to the template.
  const artifactsDir = project ? templateFolder(project.dir, template) : null;

  const refresh = useCallback(() => {
    if (!artifactsDir) return;
    api.invoke('export.summary', { projectDir: artifactsDir }).then(setSummary, (e) => reportError('Could not read .dism-artifacts', e));
  }, [api, artifactsDir]);
  useEffect(refresh, [refresh]);

  if (!project) return <EmptyState title="No project open" message="Open a project in the Model step first." />;
  return (
    <section className="step export-step">
      <header className="step-header">
        <h1>Export</h1>
        <p className="muted">
          Run the official <code>dismcli build</code> and <code>dismcli package</code> (DIALS checks and login) in a container, then export{' '}
          <code>.dism-artifacts</code> and request the model registration.
        </p>
        <ProjectLocationNotice projectDir={project.dir} doing="dismcli runs in a container that mounts this folder." />
      </header>
      <div className="card">
        <h2>Official build and package with dismcli</h2>
        <DismcliPanel
          projectDir={project.dir}
          templates={project.templates}
          template={template}
          onTemplate={setTemplate}
          onFinished={refresh}
        />
      </div>
      <div className="card">
        <h2>Export .dism-artifacts</h2>
        {summary ? <ExportForm key={summary.projectDir} summary={summary} /> : <p className="muted">Reading .dism-artifacts…</p>}
      </div>
      <div className="card">
        <h2>Register the model in DIALS</h2>
        {summary && <RegistrationPanel summary={summary} />}
      </div>
    </section>
  );
}
