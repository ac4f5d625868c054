import { useEffect, useRef, useState } from 'react';
import { modelCheckScope } from '@/shared/api/contract';
import { useApi } from '@/renderer/src/api/ApiContext';
import { useJob } from '@/renderer/src/api/use-job';
import { useAppStore } from '@/renderer/src/store/app-store';

interface Props {
  projectDir: string;
  templateFile: string;
  resourceKey: string | undefined;
}

/**
 * "Will DIALS load it?" in one line, before a server is started: the newest model check of this
 * template resource (the Model step's, or one started here automatically when there is none), with
 * a way to check again and to the details in the Model step.
 */
export function ModelCheckLine({ projectDir, templateFile, resourceKey }: Props) {
  const api = useApi();
  const setStep = useAppStore((s) => s.setStep);
  const [key, setKey] = useState<string | null>(resourceKey ?? null);
  const [nothing, setNothing] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const autoStarted = useRef<string | null>(null);

  useEffect(() => {
    setNothing(null);
    if (resourceKey) {
      setKey(resourceKey);
      return;
    }
    let alive = true;
    api.invoke('modelCheck.targets', { projectDir }).then(
      (targets) => {
        if (!alive) return;
        const t = targets.find((x) => x.templateFile === templateFile);
        const r = t?.resources.find((x) => x.checkable);
        setKey(r?.key ?? null);
        if (!r) setNothing(t?.resources[0]?.why ?? 'no resource of this template has Python code to check');
      },
      () => undefined,
    );
    return () => {
      alive = false;
    };
  }, [api, projectDir, templateFile, resourceKey]);

  const scope = key ? modelCheckScope(templateFile, key) : null;
  const check = useJob('model-check', { scope });
  const start = async () => {
    if (!key) return;
    setError(null);
    try {
      check.attach(await api.invoke('modelCheck.run', { templateFile, resourceKey: key }));
    } catch (err) {
      setError((err as Error).message);
    }
  };
  // No check of this resource yet: run one, so the line says something before the server starts.
  useEffect(() => {
    if (!scope || autoStarted.current === scope) return;
    let alive = true;
    api.invoke('jobs.list', { kind: 'model-check', scope }).then(
      (jobs) => {
        if (alive && jobs.length === 0 && autoStarted.current !== scope) {
          autoStarted.current = scope;
          void start();
        }
      },
      () => undefined,
    );
    return () => {
      alive = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, scope]);

  if (nothing) return null;
  const report = check.snapshot?.state === 'succeeded' ? check.snapshot.result : undefined;
  const status = check.running
    ? 'running'
    : report
      ? report.errors
        ? 'error'
        : report.warnings
          ? 'warning'
          : 'ok'
      : check.snapshot?.state === 'failed' || error
        ? 'error'
        : 'idle';
  const icon = { ok: '✔', warning: '!', error: '✖', running: '…', idle: '–' }[status];
  const text = check.running
    ? `Checking… ${check.snapshot?.message ?? ''}`
    : report
      ? report.headline
      : check.snapshot?.state === 'failed'
        ? `The check could not run: ${check.snapshot.error?.message ?? ''}`
        : (error ?? 'Not checked yet.');
  return (
    <div className={`card check-line status-${status}`} data-testid="model-check-line" data-status={status}>
      <span className="check-icon" aria-hidden="true">
        {icon}
      </span>
      <span className="check-line-text">
        <strong>Will DIALS load it?</strong> {text}
        {report && (
          <span className="muted">
            {' '}
            · {report.resourceKey}, image {report.image}, checked{' '}
            {new Date(report.checkedAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}
          </span>
        )}
      </span>
      <button type="button" className="button small" onClick={() => void start()} disabled={check.running || !key}>
        Check again
      </button>
      <button type="button" className="button small" onClick={() => setStep('model')}>
        Details
      </button>
    </div>
  );
}
