import { useEffect, useState } from 'react';
import type { ProjectLocation } from '@/shared/api/contract';
import { useApi } from '@/renderer/src/api/ApiContext';
import { useJob } from '@/renderer/src/api/use-job';
import { useAppStore } from '@/renderer/src/store/app-store';
import { ErrorCard } from './ErrorCard';
import { useOpenProject } from './use-open-project';

function sizeText(bytes: number): string {
  return bytes < 1e6 ? `${Math.max(1, Math.round(bytes / 1e3))} kB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

/**
 * Before a build or a start: whether the container engine can mount the project folder (a project
 * on /eos or another FUSE or network file system, or a folder the engine's VM does not share),
 * with the fix — copying the project somewhere the engine can mount, in one click.
 * Shows nothing when the folder is fine.
 */
export function ProjectLocationNotice({ projectDir, doing }: { projectDir: string; doing: string }) {
  const api = useApi();
  const engine = useAppStore((s) => s.engine);
  const openProject = useOpenProject();
  const [location, setLocation] = useState<ProjectLocation | null>(null);
  const [to, setTo] = useState('');
  const [failure, setFailure] = useState<unknown>(null);
  const [opened, setOpened] = useState<string | null>(null);
  const copy = useJob('project.copy', { scope: projectDir });
  const engineKey = `${engine?.state}:${engine?.address ?? ''}`;

  useEffect(() => {
    let alive = true;
    setLocation(null);
    if (engineKey.startsWith('checking')) return;
    api.invoke('engine.checkProjectLocation', { projectDir }).then(
      (loc) => {
        if (!alive) return;
        setLocation(loc);
        setTo(loc.suggestedCopy ?? '');
      },
      // The check is advice: a failure of the check itself is not shown as a problem of the folder.
      () => undefined,
    );
    return () => {
      alive = false;
    };
  }, [api, projectDir, engineKey]);

  // The copy finished: work on it from now on.
  const copied = copy.snapshot?.state === 'succeeded' ? copy.snapshot.result : undefined;
  useEffect(() => {
    if (!copied || opened === copied.to) return;
    setOpened(copied.to);
    void openProject(copied.to).then(
      (project) =>
        project &&
        useAppStore.getState().notify({
          kind: 'success',
          title: 'Working on the copy now',
          message: `Copied ${copied.files} file${copied.files === 1 ? '' : 's'} (${sizeText(copied.bytes)}) from ${copied.from} to ${copied.to} and opened the copy. The original is unchanged.`,
        }),
    );
  }, [copied, opened, openProject]);

  if (!location || location.problems.length === 0) return null;
  const error = location.problems.some((p) => p.severity === 'error');
  const startCopy = async () => {
    setFailure(null);
    try {
      copy.attach(await api.invoke('projects.copy', { projectDir, to }));
    } catch (err) {
      setFailure(err);
    }
  };

  return (
    <div className={error ? 'problem-card location-notice' : 'warning-card location-notice'} role="alert" data-testid="project-location">
      {location.problems.map((p) => (
        <div key={p.kind} className="location-problem" data-kind={p.kind}>
          <p>
            <strong>{p.title}.</strong> {doing}
          </p>
          <p>{p.message}</p>
          <p>
            <strong>What to do:</strong> {p.fix}
          </p>
        </div>
      ))}
      <form
        className="location-copy"
        onSubmit={(e) => {
          e.preventDefault();
          void startCopy();
        }}
      >
        <label>
          Copy the project to{' '}
          <input
            type="text"
            value={to}
            onChange={(e) => setTo(e.target.value)}
            aria-label="Copy the project to"
            spellCheck={false}
            disabled={copy.running}
          />
        </label>
        <button className="button primary" type="submit" disabled={!to.trim() || copy.running}>
          {copy.running ? 'Copying…' : 'Copy and open the copy'}
        </button>
      </form>
      <p className="muted">
        Everything in {location.dir} is copied except build outputs (.dism-artifacts, made again by a build); the original stays as it is.
      </p>
      {copy.running && copy.snapshot && <p className="muted">{copy.snapshot.message || 'Copying…'}</p>}
      {copy.snapshot?.state === 'failed' && <ErrorCard title="The copy failed" error={copy.snapshot.error} />}
      {failure !== null && <ErrorCard title="The copy could not start" error={failure} />}
    </div>
  );
}
