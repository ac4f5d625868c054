import { useEffect, useState } from 'react';
import type { LocalBuildResult, ServerRun } from '@/shared/api/contract';
import { useApi } from '@/renderer/src/api/ApiContext';
import { useJob } from '@/renderer/src/api/use-job';
import { EmptyState } from '@/renderer/src/components/EmptyState';
import { LogView } from '@/renderer/src/components/LogView';
import { useAppStore } from '@/renderer/src/store/app-store';
import { InferenceCard } from './InferenceCard';
import { LocalBuildCard } from './LocalBuildCard';
import { PresetSyncNotice } from './PresetSyncNotice';
import { ServerCard } from './ServerCard';
import './build-run.css';
import { MessageText } from '@/renderer/src/components/MessageText';

function joinPath(dir: string, rel: string): string {
  return `${dir.replace(/[\\/]+$/, '')}/${rel}`;
}

/** Step 4: local build, start-api on the local container engine, live logs, test inference. */
export function BuildRunStep() {
  const project = useAppStore((s) => s.project);
  const engine = useAppStore((s) => s.engine);
  const [templateRel, setTemplateRel] = useState<string | null>(null);
  const [build, setBuild] = useState<LocalBuildResult | null>(null);
  const [resourceKey, setResourceKey] = useState<string | undefined>(undefined);
  const api = useApi();
  // The model server runs as a job in the back end: the newest run of the project, re-attached
  // when the step is shown again; each change of the run is a chunk, its container log the job's log.
  const server = useJob('model-server', {
    scope: project?.dir,
    history: (id) => api.invoke('modelServer.get', { id }).then((run) => [{ seq: 0, data: { type: 'model-server' as const, run } }]),
  });
  /** What modelServer.start answered, until the job's own state arrives. */
  const [started, setStarted] = useState<ServerRun | null>(null);
  const run = server.chunks.at(-1)?.data.run ?? (started && started.id === server.jobId ? started : null);
  const attach = (r: ServerRun) => {
    setStarted(r);
    server.attach(r.id);
  };

  useEffect(() => {
    setTemplateRel(project?.templates[0] ?? null);
    setBuild(null);
    setResourceKey(undefined);
  }, [project]);
  useEffect(() => {
    if (run && !resourceKey) setResourceKey(run.resourceKey);
  }, [run, resourceKey]);

  if (!project) return <EmptyState title="No project open" message="Open a project in the Model step first." />;
  if (!templateRel) return <EmptyState title="No template.yaml in this project" message="Create one in the Template step." />;
  const templateFile = joinPath(project.dir, templateRel);
  const onBuilt = (r: LocalBuildResult) => {
    setBuild(r);
    if (!resourceKey || !r.resources.some((x) => x.key === resourceKey)) setResourceKey(r.resources[0]?.key);
  };
  const resources = build?.resources ?? [];

  return (
    <section className="step build-run-step">
      <header className="step-header">
        <h1>Build &amp; Run</h1>
        <p className="muted">
          Build the model server locally and run it on this machine’s container engine, as DIALS would, then send it the sample data.
        </p>
        {engine?.state === 'unreachable' && (
          <div className="problem-card" role="alert">
            <p>
              <strong>The container engine is not reachable.</strong> Starting the model server needs Docker or Podman.
            </p>
            <ul>
              {engine.advice.map((a) => (
                <li key={a}>
                  <MessageText text={a} />
                </li>
              ))}
            </ul>
          </div>
        )}
        <div className="template-picker">
          {project.templates.length > 1 && (
            <label>
              Template{' '}
              <select
                value={templateRel}
                onChange={(e) => {
                  setTemplateRel(e.target.value);
                  setBuild(null);
                }}
              >
                {project.templates.map((t) => (
                  <option key={t} value={t}>
                    {t}
                  </option>
                ))}
              </select>
            </label>
          )}
          {resources.length > 1 && (
            <label>
              Resource{' '}
              <select value={resourceKey ?? resources[0].key} onChange={(e) => setResourceKey(e.target.value)}>
                {resources.map((r) => (
                  <option key={r.key} value={r.key}>
                    {r.key} ({r.type})
                  </option>
                ))}
              </select>
            </label>
          )}
        </div>
      </header>
      <PresetSyncNotice templateFile={templateFile} resourceKey={resourceKey} buildRevision={build?.builtAt ?? null} onBuilt={onBuilt} />
      <LocalBuildCard templateFile={templateFile} result={build} onBuilt={onBuilt} />
      <ServerCard templateFile={templateFile} resourceKey={resourceKey} run={run} onStarted={attach} />
      <div className="card">
        <h2>Container log</h2>
        {run ? (
          <LogView lines={server.lines} label="Model server log" />
        ) : (
          <p className="muted">
            Start the model server to see its output here. The log is kept while you use other steps and saved with the run in the project.
          </p>
        )}
      </div>
      <InferenceCard projectDir={project.dir} templateFile={templateFile} resourceKey={resourceKey} run={run} />
    </section>
  );
}
