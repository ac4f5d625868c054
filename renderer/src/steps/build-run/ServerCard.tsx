import { useEffect, useState } from 'react';
import type { LocalImage, ServerRun } from '@/shared/api/contract';
import { useApi } from '@/renderer/src/api/ApiContext';
import { ErrorCard } from '@/renderer/src/components/ErrorCard';
import { firstLineWhenListed, ModelProblems, problemsOf } from './ModelProblems';
import { portProblem, timeoutProblem, type BuildRunFields } from './build-run-store';

/** A run in these states has (or is getting) a container: Stop instead of Start. */
const ACTIVE_STATES: ReadonlyArray<ServerRun['state']> = ['preparing', 'pulling', 'starting', 'waiting', 'ready', 'stopping'];

const STATE_LABEL: Record<ServerRun['state'], string> = {
  preparing: 'Preparing',
  pulling: 'Pulling image',
  starting: 'Starting container',
  waiting: 'Waiting until ready',
  ready: 'Ready',
  stopping: 'Stopping',
  stopped: 'Stopped',
  exited: 'Container exited',
  failed: 'Failed',
};

interface Props {
  templateFile: string;
  resourceKey: string | undefined;
  run: ServerRun | null;
  onStarted(run: ServerRun): void;
  /** Image, port and timeout as typed (kept by the step across navigation). */
  fields: Pick<BuildRunFields, 'image' | 'port' | 'timeoutS'>;
  onFields(patch: Partial<BuildRunFields>): void;
  /** Starting may build first: the step re-reads the build. */
  onBuildChanged(): void;
}

/** start-api: image, port, start/stop, readiness progress, pull progress, and specific errors with a way out. */
export function ServerCard({ templateFile, resourceKey, run, onStarted, fields, onFields, onBuildChanged }: Props) {
  const api = useApi();
  const { image, port, timeoutS } = fields;
  const setImage = (v: string) => onFields({ image: v });
  const setPort = (v: string) => onFields({ port: v });
  const setTimeoutS = (v: string) => onFields({ timeoutS: v });
  const badPort = portProblem(port);
  const badTimeout = timeoutProblem(timeoutS);
  const [startError, setStartError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [localImages, setLocalImages] = useState<LocalImage[] | null>(null);
  const active = run !== null && ACTIVE_STATES.includes(run.state);
  const errorCode = run?.error?.code;

  useEffect(() => {
    if (errorCode !== 'IMAGE_NOT_AVAILABLE' || !run) return;
    api.invoke('modelServer.localImages', { like: run.image }).then(setLocalImages, () => setLocalImages([]));
  }, [api, errorCode, run]);

  const start = async (opts: { image?: string; fixPermissions?: boolean } = {}) => {
    setBusy(true);
    setStartError(null);
    setLocalImages(null);
    try {
      const chosen = opts.image ?? (image.trim() || undefined);
      const portNumber = port.trim() ? Number(port) : undefined;
      const r = await api.invoke('modelServer.start', {
        templateFile,
        ...(resourceKey ? { resourceKey } : {}),
        ...(chosen ? { image: chosen } : {}),
        ...(portNumber ? { port: portNumber } : {}),
        ...(Number(timeoutS) > 0 ? { readyTimeoutS: Number(timeoutS) } : {}),
        ...(opts.fixPermissions ? { fixPermissions: true } : {}),
      });
      if (opts.image) setImage(opts.image);
      onStarted(r);
      onBuildChanged();
    } catch (e) {
      setStartError(e);
    } finally {
      setBusy(false);
    }
  };

  const stop = async () => {
    if (!run) return;
    setBusy(true);
    try {
      await api.invoke('modelServer.stop', { id: run.id });
    } catch (e) {
      setStartError(e);
    } finally {
      setBusy(false);
    }
  };

  const tagAndStart = async (source: string) => {
    if (!run) return;
    try {
      await api.invoke('modelServer.tagImage', { source, target: run.image });
      await start({ image: run.image });
    } catch (e) {
      setStartError(e);
    }
  };

  return (
    <div className="card server-card">
      <h2>Model server (start-api)</h2>
      <div className="form-grid">
        <label htmlFor="ms-image">Image</label>
        <input
          id="ms-image"
          className="mono"
          placeholder="from the template (Properties.Image), else the framework default"
          value={image}
          onChange={(e) => setImage(e.target.value)}
          disabled={active}
        />
        <label htmlFor="ms-port">Port</label>
        <span>
          <input
            id="ms-port"
            type="number"
            min={1}
            max={65535}
            placeholder="default"
            className="port-input"
            value={port}
            onChange={(e) => setPort(e.target.value)}
            disabled={active}
            aria-invalid={badPort ? true : undefined}
            aria-describedby={badPort ? 'ms-port-problem' : undefined}
          />{' '}
          <span className="muted">
            on 127.0.0.1 (default 8080 for MLServer, 8000 for Triton); the next free port is used if it is taken
          </span>
          {badPort && (
            <span className="field-error" id="ms-port-problem" data-testid="port-problem">
              {badPort}
            </span>
          )}
        </span>
        <label htmlFor="ms-timeout">Ready timeout (s)</label>
        <input
          id="ms-timeout"
          type="number"
          min={1}
          max={3600}
          value={timeoutS}
          onChange={(e) => setTimeoutS(e.target.value)}
          disabled={active}
          aria-invalid={badTimeout ? true : undefined}
        />
        {badTimeout && (
          <span className="field-error form-grid-wide" data-testid="timeout-problem">
            {badTimeout}
          </span>
        )}
      </div>
      <div className="actions">
        {!active ? (
          <button type="button" className="button primary" onClick={() => start()} disabled={busy || !!badPort || !!badTimeout}>
            Start
          </button>
        ) : (
          <button type="button" className="button danger" onClick={stop} disabled={busy || run?.state === 'stopping'}>
            {run?.state === 'pulling' ? 'Cancel pull' : 'Stop'}
          </button>
        )}
      </div>
      {startError !== null && (
        <ErrorCard
          title="Could not start the model server"
          error={firstLineWhenListed(startError, problemsOf((startError as { details?: unknown }).details))}
        >
          <ModelProblems problems={problemsOf((startError as { details?: unknown }).details)} />
        </ErrorCard>
      )}
      {run && <RunStatus run={run} />}
      {run?.error && !active && (
        <ErrorCard
          title={
            run.error.code === 'MODEL_LOAD_FAILED'
              ? `${run.framework === 'Tritonserver' ? 'Triton' : 'The model server'} could not load the model`
              : run.state === 'exited'
                ? `The container exited${run.exitCode !== undefined ? ` with code ${run.exitCode}` : ''}`
                : 'The model server did not start'
          }
          error={firstLineWhenListed({ message: run.error.message, code: run.error.code }, run.problems ?? [])}
        >
          <ModelProblems problems={run.problems ?? []} />
          {run.error.code === 'IMAGE_NOT_AVAILABLE' && (
            <div className="image-choices">
              {localImages === null ? (
                <p className="muted">Looking for local images…</p>
              ) : localImages.length === 0 ? (
                <p className="muted">
                  No local image with a similar name. Load or tag one (see above), or type another image name and start again.
                </p>
              ) : (
                <>
                  <p>Local images with a similar name:</p>
                  <ul>
                    {localImages.map((li) => (
                      <li key={li.ref}>
                        <span className="mono">{li.ref}</span>{' '}
                        <button type="button" className="button small" onClick={() => start({ image: li.ref })}>
                          Use this image
                        </button>{' '}
                        <button type="button" className="button small" onClick={() => tagAndStart(li.ref)}>
                          Tag as {run.image} and start
                        </button>
                      </li>
                    ))}
                  </ul>
                </>
              )}
            </div>
          )}
          {run.error.code === 'MOUNT_NOT_READABLE' && (
            <button type="button" className="button small" onClick={() => start({ fixPermissions: true })}>
              Fix permissions (chmod -R a+rX) and start
            </button>
          )}
          {run.error.code === 'NOT_READY_TIMEOUT' && (
            <button
              type="button"
              className="button small"
              onClick={() => {
                setTimeoutS(String(Number(timeoutS || '180') * 2));
              }}
            >
              Double the timeout
            </button>
          )}
        </ErrorCard>
      )}
    </div>
  );
}

function RunStatus({ run }: { run: ServerRun }) {
  const pct = run.progress === null || run.progress === undefined ? null : Math.round(run.progress * 100);
  return (
    <div className={`run-status run-${run.state}`} data-testid="server-state" data-state={run.state}>
      <p>
        <span className={`state-badge state-${run.state}`}>{STATE_LABEL[run.state]}</span> <span className="mono">{run.image}</span>
        <span className="muted">
          {' '}
          ({run.imageSource === 'option' ? 'chosen here' : run.imageSource === 'template' ? 'Properties.Image' : 'framework default'})
        </span>
      </p>
      {run.url && (
        <p>
          URL:{' '}
          <a className="mono" href={run.url} target="_blank" rel="noreferrer" data-testid="server-url">
            {run.url}
          </a>{' '}
          <span className="muted">port {run.hostPort}</span>
        </p>
      )}
      {run.portNote && (
        <p className="port-note" role="status">
          {run.portNote}
        </p>
      )}
      {(run.state === 'waiting' || run.state === 'pulling') && (
        <div className="run-progress">
          <div
            className="progress-bar"
            role="progressbar"
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={pct ?? undefined}
            aria-label={run.state === 'pulling' ? 'Pull progress' : 'Readiness wait'}
          >
            <span style={{ width: `${pct ?? 5}%` }} />
          </div>
          <span className="muted">{run.message}</span>
        </div>
      )}
      {run.state === 'pulling' && run.pull && run.pull.layers.length > 0 && (
        <ul className="pull-layers" aria-label="Layers">
          {run.pull.layers.map((l) => (
            <li key={l.id}>
              <span className="mono">{l.id}</span> {l.status}
              {l.total ? ` ${Math.round(((l.current ?? 0) / l.total) * 100)}%` : ''}
            </li>
          ))}
        </ul>
      )}
      {run.state === 'ready' && run.readyMs !== undefined && (
        <p className="muted">Ready {(run.readyMs / 1000).toFixed(1)} s after Start.</p>
      )}
      {['stopped', 'exited', 'failed'].includes(run.state) && run.runDir && (
        <p className="muted">
          Logs saved in <span className="mono">{run.runDir}</span>
        </p>
      )}
    </div>
  );
}
