import { useEffect, useMemo, useState } from 'react';
import { DialsInstanceChoice } from '@/renderer/src/components/DialsInstanceChoice';
import type { DismcliCommand, DismcliEvent, DismcliProblem } from '@/shared/api/contract';
import { useApi } from '@/renderer/src/api/ApiContext';
import { reportError } from '@/renderer/src/store/app-store';
import { LoginBanner } from './LoginBanner';
import { ErrorCard } from '@/renderer/src/components/ErrorCard';
import { LogView } from '@/renderer/src/components/LogView';
import { RunnerRecipeEditor } from './RunnerRecipeEditor';
import { useJob } from '@/renderer/src/api/use-job';
import { MessageText } from '@/renderer/src/components/MessageText';

function ProblemCard({ problem }: { problem: DismcliProblem }) {
  return (
    <div className="problem-card" role="alert">
      <strong>{problem.title}</strong>
      <p>
        <MessageText text={problem.message} />
      </p>
      {problem.hint && (
        <p className="muted">
          <MessageText text={problem.hint} />
        </p>
      )}
      {problem.lines.length > 1 && (
        <details>
          <summary>Output it was recognised from</summary>
          <pre className="log-view small">{problem.lines.join('\n')}</pre>
        </details>
      )}
    </div>
  );
}

/** Official `dismcli build` / `dismcli package` in the runner container, with the DIALS login and readable errors. */
export function DismcliPanel({
  projectDir,
  templates,
  template,
  onTemplate,
  onFinished,
}: {
  projectDir: string;
  templates: string[];
  template: string;
  onTemplate(t: string): void;
  onFinished(): void;
}) {
  const api = useApi();
  const [showRunner, setShowRunner] = useState(false);
  // The events kept in the back end bring the login URL back when the step is shown again.
  const run = useJob('dismcli.run', {
    scope: projectDir,
    history: (id) => api.invoke('dismcli.events', { jobId: id }).then((es) => es.map((e) => ({ seq: e.seq, data: e.event }))),
  });

  const events = run.chunks.map((c) => c.data);
  const login = useMemo(() => {
    let current: Extract<DismcliEvent, { type: 'login' }> | null = null;
    for (const e of events) {
      if (e.type === 'login') current = e;
      if (e.type === 'logged-in') current = null;
    }
    return current;
  }, [events]);
  const problems = events.filter((e): e is Extract<DismcliEvent, { type: 'problem' }> => e.type === 'problem').map((e) => e.problem);
  const result = run.snapshot?.state === 'succeeded' ? (run.snapshot.result ?? null) : null;

  const finishedState = run.snapshot?.state;
  useEffect(() => {
    if (finishedState && finishedState !== 'running') onFinished();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [finishedState]);

  async function start(command: DismcliCommand) {
    try {
      const job = await api.invoke('dismcli.run', { projectDir, command, ...(template ? { template } : {}) });
      run.attach(job);
    } catch (e) {
      reportError(`Could not start dismcli ${command}`, e);
    }
  }

  return (
    <div className="dismcli-panel">
      <DialsInstanceChoice projectDir={projectDir} usedBy="dismcli talks to" />

      <div className="form-grid">
        <label htmlFor="dismcli-template">Template</label>
        {templates.length ? (
          <select id="dismcli-template" value={template} onChange={(e) => onTemplate(e.target.value)}>
            {templates.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        ) : (
          <span className="muted">No template.yaml in the project yet.</span>
        )}
      </div>
      <div className="actions">
        <button className="button primary" disabled={run.running || !template} onClick={() => void start('build')}>
          Official build (dismcli build)
        </button>
        <button className="button" disabled={run.running || !template} onClick={() => void start('package')}>
          Package (dismcli package)
        </button>
        {run.running && (
          <button className="button danger" onClick={() => void run.cancel()}>
            Cancel
          </button>
        )}
        <button className="link-button" onClick={() => setShowRunner((v) => !v)} aria-expanded={showRunner}>
          {showRunner ? 'Hide' : 'Show'} the dismcli runner image recipe
        </button>
      </div>
      {showRunner && (
        <div className="card inset">
          <RunnerRecipeEditor projectDir={projectDir} runRevision={run.snapshot ? `${run.jobId}:${run.snapshot.state}` : null} />
        </div>
      )}

      {run.running && login && <LoginBanner url={login.url} expiresAt={login.expiresAt} />}
      {run.snapshot && (
        <div className="job-block">
          <p className={`job-status job-${run.snapshot.state}`} role="status" data-testid="dismcli-status">
            {run.snapshot.title}: {run.snapshot.state === 'failed' ? 'failed' : run.snapshot.message}
          </p>
          {problems.map((p, i) => (
            <ProblemCard key={i} problem={p} />
          ))}
          {run.snapshot.state === 'failed' && problems.length === 0 && <ErrorCard title="dismcli failed" error={run.snapshot.error} />}
          {result && (
            <div className="success-card" data-testid="dismcli-result">
              <strong>dismcli {result.command} succeeded</strong> — {result.artifacts.length} files in{' '}
              <code>.dism-artifacts/{result.command}</code>
              {result.command === 'build' && <span className="muted"> (the Build &amp; Run step now uses this official build)</span>}
              <ul className="artifact-list">
                {result.artifacts.map((a) => (
                  <li key={a}>
                    <code>{a}</code>
                  </li>
                ))}
              </ul>
            </div>
          )}
          <LogView lines={run.lines} label="dismcli output" />
        </div>
      )}
    </div>
  );
}
