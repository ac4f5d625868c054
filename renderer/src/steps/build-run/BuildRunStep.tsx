import { useCallback, useEffect, useRef, useState } from 'react';
import type { LocalBuildResult, ServerRun } from '@/shared/api/contract';
import { useApi } from '@/renderer/src/api/ApiContext';
import { useJob } from '@/renderer/src/api/use-job';
import { EmptyState } from '@/renderer/src/components/EmptyState';
import { PodmanServiceOffer } from '@/renderer/src/components/PodmanServiceOffer';
import { ProjectLocationNotice } from '@/renderer/src/components/ProjectLocationNotice';
import { LogView } from '@/renderer/src/components/LogView';
import { useAppStore } from '@/renderer/src/store/app-store';
import { InferenceCard } from './InferenceCard';
import { LocalBuildCard } from './LocalBuildCard';
import { ModelCheckLine } from './ModelCheckLine';
import { PresetSyncNotice } from './PresetSyncNotice';
import { ServerCard } from './ServerCard';
import './build-run.css';
import { MessageText } from '@/renderer/src/components/MessageText';
import { useBuildRunFields } from './build-run-store';

function joinPath(dir: string, rel: string): string {
  return `${dir.replace(/[\\/]+$/, '')}/${rel}`;
}

/** Step 4: local build, start-api on the local container engine, live logs, test inference. */
export function BuildRunStep() {
  const project = useAppStore((s) => s.project);
  const engine = useAppStore((s) => s.engine);
  // Kept per project while other steps are shown (build-run-store.ts); the build is re-read from the back end.
  const [fields, setFields] = useBuildRunFields(project?.dir, project?.templates[0] ?? null);
  const templateRel =
    fields.templateRel && project?.templates.includes(fields.templateRel) ? fields.templateRel : (project?.templates[0] ?? null);
  const { resourceKey, build } = fields;
  const setResourceKey = (k: string | undefined) => setFields({ resourceKey: k });
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

  const templateFile = project && templateRel ? joinPath(project.dir, templateRel) : null;
  // What .dism-artifacts/build holds now (a local build, an official one made in the Export step, none).
  // An answer is dropped when a newer build state arrived meanwhile (a local build that finished
  // before the first buildState answer came back must not be replaced by the older "none").
  const buildStateSeq = useRef(0);
  const refreshBuild = useCallback(() => {
    if (!templateFile) return;
    const seq = ++buildStateSeq.current;
    api.invoke('modelServer.buildState', { templateFile }).then(
      (state) => {
        if (seq === buildStateSeq.current) setFields({ build: state });
      },
      () => undefined,
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, templateFile]);
  useEffect(refreshBuild, [refreshBuild]);
  useEffect(() => {
    if (run && !resourceKey) setResourceKey(run.resourceKey);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [run, resourceKey]);

  if (!project) return <EmptyState title="No project open" message="Open a project in the Model step first." />;
  if (!templateRel || !templateFile)
    return <EmptyState title="No template.yaml in this project" message="Create one in the Template step." />;
  const onBuilt = (r: LocalBuildResult) => {
    buildStateSeq.current++;
    setFields({
      build: { kind: 'local', buildDir: r.buildDir, local: r },
      ...(!resourceKey || !r.resources.some((x) => x.key === resourceKey) ? { resourceKey: r.resources[0]?.key } : {}),
    });
  };
  const resources = build?.local?.resources ?? [];

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
            <PodmanServiceOffer engine={engine} />
          </div>
        )}
        <ProjectLocationNotice projectDir={project.dir} doing="The model server runs in a container that mounts this folder." />
        <div className="template-picker">
          {project.templates.length > 1 && (
            <label>
              Template{' '}
              <select value={templateRel} onChange={(e) => setFields({ templateRel: e.target.value, build: null })}>
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
      <ModelCheckLine projectDir={project.dir} templateFile={templateFile} resourceKey={resourceKey} />
      <PresetSyncNotice
        templateFile={templateFile}
        resourceKey={resourceKey}
        buildRevision={build?.local?.builtAt ?? build?.official?.finishedAt ?? null}
        onBuilt={onBuilt}
      />
      <LocalBuildCard templateFile={templateFile} state={build} onBuilt={onBuilt} />
      <ServerCard
        templateFile={templateFile}
        resourceKey={resourceKey}
        run={run}
        onStarted={attach}
        fields={fields}
        onFields={setFields}
        onBuildChanged={refreshBuild}
      />
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
