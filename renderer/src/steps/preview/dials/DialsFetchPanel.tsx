import { useEffect, useMemo, useRef, useState } from 'react';
import type { DialsAccount, DialsFetchManifest, DialsSignInEvent, TemplateMe } from '@/shared/api/contract/dials';
import { formatRunSelection, parseRunSelection, type RunSelection } from '@/shared/dials/run-selection';
import { useApi } from '@/renderer/src/api/ApiContext';
import { useJob } from '@/renderer/src/api/use-job';
import { DeviceLoginBanner } from '@/renderer/src/components/DeviceLoginBanner';
import { DialsInstanceChoice } from '@/renderer/src/components/DialsInstanceChoice';
import { ErrorCard } from '@/renderer/src/components/ErrorCard';
import { errorText } from '@/renderer/src/components/error-text';
import { LogView } from '@/renderer/src/components/LogView';
import { useDialsData } from './dials-data-store';

const short = (me: string) => me.split('/').pop() ?? me;

function mb(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(bytes < 10 * 2 ** 20 ? 1 : 0)} MB`;
}

/**
 * Fetch sample maps from DIALS for the project's template, as a physicist would with cmsdials —
 * without the Python: the instance (the project's DIALS choice), the sign-in, the MEs of the
 * template's InputSignature, a dataset from DIALS's index, runs and LS limits; progress, cancel,
 * resume after an interruption, and errors that say what to do.
 */
export function DialsFetchPanel({
  projectDir,
  templates,
  onFetched,
}: {
  projectDir: string;
  templates: string[];
  onFetched(manifest: DialsFetchManifest): void;
}) {
  const api = useApi();
  const dialsData = useDialsData();
  const [instance, setInstance] = useState<string | null>(null);
  const [account, setAccount] = useState<DialsAccount | null>(null);
  const [accountError, setAccountError] = useState<unknown>(null);
  const [template, setTemplate] = useState(templates.includes('template.yaml') ? 'template.yaml' : (templates[0] ?? ''));
  const [mes, setMes] = useState<TemplateMe[] | null>(null);
  const [mesError, setMesError] = useState<string | null>(null);
  const [ticked, setTicked] = useState<Set<string>>(new Set());
  const [dataset, setDataset] = useState('');
  const [suggestions, setSuggestions] = useState<string[]>([]);
  const [runsText, setRunsText] = useState('');
  const [lsFirst, setLsFirst] = useState('');
  const [lsLast, setLsLast] = useState('');
  const [workspace, setWorkspace] = useState('');
  const [startError, setStartError] = useState<unknown>(null);

  const signIn = useJob('dials.sign-in', {
    scope: projectDir,
    history: (id) => api.invoke('dials.signInEvents', { jobId: id }).then((es) => es.map((e) => ({ seq: e.seq, data: e.event }))),
  });
  const fetchJob = useJob('dials.fetch', { scope: projectDir });

  const loadAccount = () => {
    setAccountError(null);
    api.invoke('dials.account', { projectDir }).then(setAccount, (e) => {
      setAccount(null);
      setAccountError(e);
    });
  };
  useEffect(loadAccount, [api, projectDir, instance]);

  const signInState = signIn.snapshot?.state;
  useEffect(() => {
    if (signInState === 'succeeded') loadAccount();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [signInState]);

  useEffect(() => {
    if (!template) return;
    setMes(null);
    setMesError(null);
    api.invoke('dials.templateMes', { projectDir, template }).then(
      (m) => {
        setMes(m);
        setTicked(new Set(m.map((x) => x.me)));
      },
      (e) => setMesError(errorText(e)),
    );
  }, [api, projectDir, template]);

  // Autocomplete from DIALS's dataset index while typing (signed in only).
  useEffect(() => {
    if (!account?.signedIn) return;
    const t = setTimeout(() => {
      api.invoke('dials.datasets', { projectDir, query: dataset, ...(workspace ? { workspace } : {}) }).then(
        (ds) => setSuggestions(ds.map((d) => d.dataset)),
        () => setSuggestions([]),
      );
    }, 250);
    return () => clearTimeout(t);
  }, [api, projectDir, dataset, workspace, account?.signedIn]);

  // A fetch that ends while this panel shows it: refresh what the project holds, and hand a new fetch on
  // (not one that had ended before the panel was opened).
  const fetchState = fetchJob.snapshot?.state;
  const sawRunning = useRef(false);
  useEffect(() => {
    if (fetchState === 'running') sawRunning.current = true;
    if (!fetchState || fetchState === 'running') return;
    void dialsData.refresh(api, projectDir);
    if (sawRunning.current && fetchState === 'succeeded' && fetchJob.snapshot?.result) onFetched(fetchJob.snapshot.result);
    sawRunning.current = false;
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [fetchState]);

  // An interrupted fetch: offer to continue it with its own request.
  const partial = dialsData.data?.partial ?? null;
  const manifest = dialsData.data?.manifest ?? null;

  let runs: RunSelection | null = null;
  let runsError: string | null = null;
  if (runsText.trim()) {
    try {
      runs = parseRunSelection(runsText);
    } catch (e) {
      runsError = (e as Error).message;
    }
  }
  const lsError = [lsFirst, lsLast].some((v) => v.trim() && !/^\d+$/.test(v.trim()))
    ? 'LS limits are whole numbers'
    : lsFirst.trim() && lsLast.trim() && Number(lsLast) < Number(lsFirst)
      ? 'the last LS comes before the first'
      : null;

  const device = useMemo(() => {
    let d: Extract<DialsSignInEvent, { type: 'device' }> | null = null;
    for (const c of signIn.chunks) if (c.data.type === 'device') d = c.data;
    return d;
  }, [signIn.chunks]);

  const progress = fetchJob.chunks.length ? fetchJob.chunks[fetchJob.chunks.length - 1].data : null;
  const signedIn = Boolean(account?.signedIn);
  const canFetch =
    signedIn && !fetchJob.running && Boolean(dataset.trim()) && runs !== null && !lsError && ticked.size > 0 && Boolean(template);

  async function startSignIn() {
    try {
      signIn.attach(await api.invoke('dials.signIn', { projectDir }));
    } catch (e) {
      setAccountError(e);
    }
  }

  async function signOut() {
    try {
      setAccount(await api.invoke('dials.signOut', { projectDir }));
    } catch (e) {
      setAccountError(e);
    }
  }

  async function startFetch(request?: {
    dataset: string;
    runs: RunSelection;
    mes: string[];
    ls: { first?: number; last?: number };
    workspace: string | null;
    template: string;
  }) {
    setStartError(null);
    const req = request ?? {
      dataset: dataset.trim(),
      runs: runs!,
      mes: [...ticked],
      ls: { ...(lsFirst.trim() ? { first: Number(lsFirst) } : {}), ...(lsLast.trim() ? { last: Number(lsLast) } : {}) },
      workspace: workspace || null,
      template,
    };
    let replace = false;
    if (manifest) {
      replace = window.confirm(
        `Replace the DIALS data of this project (${manifest.dataset}, runs ${manifest.runsFetched.join(', ')}) with the new fetch? The current files in data/dials/ are replaced once the new fetch is complete.`,
      );
      if (!replace) return;
    }
    try {
      const job = await api.invoke('dials.fetch', {
        projectDir,
        template: req.template,
        dataset: req.dataset,
        runs: req.runs,
        mes: req.mes,
        ls: req.ls,
        ...(req.workspace ? { workspace: req.workspace } : {}),
        ...(replace ? { replace: true } : {}),
      });
      fetchJob.attach(job);
    } catch (e) {
      setStartError(e);
    }
  }

  const error = fetchJob.snapshot?.state === 'failed' ? fetchJob.snapshot.error : startError;
  const needsSignIn = (error as { code?: string } | null)?.code === 'DIALS_SIGN_IN_REQUIRED';

  return (
    <div className="dials-panel" data-testid="dials-panel">
      <DialsInstanceChoice
        projectDir={projectDir}
        usedBy="Data comes from"
        onChange={(t) => setInstance(t.url)}
        disabled={fetchJob.running}
      />

      <div className="dials-account" data-testid="dials-account">
        {account === null && !accountError && <span className="muted">Checking the sign-in…</span>}
        {account && signedIn && (
          <>
            <span>
              Signed in{account.user ? ` as ${account.user}` : ''}
              {account.sessionExpiresAt && (
                <span className="muted"> · session until {new Date(account.sessionExpiresAt).toLocaleString()}</span>
              )}
            </span>
            <button type="button" className="button small" onClick={() => void signOut()} disabled={fetchJob.running}>
              Sign out
            </button>
          </>
        )}
        {account && !signedIn && (
          <>
            <span>Not signed in to DIALS.</span>
            <button type="button" className="button primary" onClick={() => void startSignIn()} disabled={signIn.running}>
              Sign in to DIALS
            </button>
            <span className="muted">
              As with cmsdials: you approve DISM Studio on the CERN sign-in page; the tokens stay in DISM Studio's settings folder.
            </span>
          </>
        )}
        {accountError !== null && <ErrorCard title="Could not check the DIALS sign-in" error={accountError} />}
      </div>
      {signIn.running && device && (
        <DeviceLoginBanner
          title="Sign in to DIALS"
          text="Open the CERN sign-in page, sign in and approve DISM Studio; this page continues by itself."
          url={device.url}
          userCode={device.userCode}
          expiresAt={device.expiresAt}
          buttonLabel="Open the CERN sign-in page"
          expiredText="Code expired — sign in again"
          testId="dials-sign-in-banner"
        />
      )}
      {signIn.snapshot?.state === 'failed' && <ErrorCard title="Sign-in failed" error={signIn.snapshot.error} />}

      <fieldset className="dials-form" disabled={!signedIn || fetchJob.running}>
        <legend>Fetch sample maps</legend>
        <div className="dials-grid">
          <label htmlFor="dials-template">Template</label>
          {templates.length > 1 ? (
            <select id="dials-template" value={template} onChange={(e) => setTemplate(e.target.value)}>
              {templates.map((t) => (
                <option key={t}>{t}</option>
              ))}
            </select>
          ) : (
            <span className="mono">{template || 'No template.yaml in the project'}</span>
          )}

          <span className="dials-label">Monitoring elements</span>
          <div className="dials-mes" role="group" aria-label="Monitoring elements">
            {mesError && <span className="field-error">{mesError}</span>}
            {mes?.map((m) => (
              <label key={m.me} className="check" title={m.me}>
                <input
                  type="checkbox"
                  checked={ticked.has(m.me)}
                  onChange={(e) => {
                    const next = new Set(ticked);
                    if (e.target.checked) next.add(m.me);
                    else next.delete(m.me);
                    setTicked(next);
                  }}
                />{' '}
                <strong>{m.input}</strong> <span className="muted mono">{short(m.me)}</span>
                {m.shape && <span className="muted"> ({m.shape.join(' × ')})</span>}
              </label>
            ))}
            {mes && ticked.size === 0 && <span className="field-error">tick at least one</span>}
          </div>

          <label htmlFor="dials-dataset">Dataset</label>
          <div>
            <input
              id="dials-dataset"
              className="dials-wide mono"
              list="dials-datasets"
              placeholder="/StreamExpress/Run2025F-Express-v1/DQMIO"
              value={dataset}
              onChange={(e) => setDataset(e.target.value)}
              spellCheck={false}
            />
            <datalist id="dials-datasets">
              {suggestions.map((d) => (
                <option key={d} value={d} />
              ))}
            </datalist>
          </div>

          <label htmlFor="dials-runs">Runs</label>
          <div>
            <input
              id="dials-runs"
              className="mono"
              placeholder="398100-398110 or 398100,398101"
              value={runsText}
              onChange={(e) => setRunsText(e.target.value)}
              aria-invalid={runsError ? true : undefined}
              spellCheck={false}
            />
            {runsError && <span className="field-error"> {runsError}</span>}
          </div>

          <span className="dials-label">Lumisections</span>
          <div className="dials-ls">
            <label>
              from{' '}
              <input
                aria-label="First LS"
                className="mono"
                size={6}
                placeholder="1"
                value={lsFirst}
                onChange={(e) => setLsFirst(e.target.value)}
              />
            </label>
            <label>
              to{' '}
              <input
                aria-label="Last LS"
                className="mono"
                size={6}
                placeholder="all"
                value={lsLast}
                onChange={(e) => setLsLast(e.target.value)}
              />
            </label>
            <span className="muted">of each run (optional)</span>
            {lsError && <span className="field-error"> {lsError}</span>}
          </div>

          <label htmlFor="dials-workspace">Workspace</label>
          <select id="dials-workspace" value={workspace} onChange={(e) => setWorkspace(e.target.value)}>
            <option value="">{account?.defaultWorkspace ? `your default (${account.defaultWorkspace})` : 'your default'}</option>
            {(account?.workspaces ?? []).map((w) => (
              <option key={w}>{w}</option>
            ))}
          </select>
        </div>
        <div className="actions">
          <button type="button" className="button primary" disabled={!canFetch} onClick={() => void startFetch()}>
            {manifest ? 'Fetch and replace the DIALS data' : 'Fetch from DIALS'}
          </button>
          {partial && !fetchJob.running && (
            <button
              type="button"
              className="button"
              onClick={() =>
                void startFetch({
                  dataset: partial.dataset,
                  runs: partial.runs,
                  mes: partial.mes,
                  ls: partial.ls,
                  workspace: partial.workspace,
                  template: partial.template,
                })
              }
            >
              Continue the interrupted fetch ({partial.dataset}, runs {formatRunSelection(partial.runs)}: {partial.pagesDone} of{' '}
              {partial.pagesTotal} pages saved)
            </button>
          )}
        </div>
        {!signedIn && account && <p className="muted">Sign in to DIALS first.</p>}
      </fieldset>

      {fetchJob.snapshot && (
        <div className="job-block" data-testid="dials-fetch">
          {fetchJob.running && (
            <div className="dials-progress" role="status" data-testid="dials-progress">
              <div className="progress-bar" aria-hidden>
                <span style={{ width: `${Math.round((fetchJob.snapshot.progress ?? 0) * 100)}%` }} />
              </div>
              {/* the job's message has pages, LS, MEs and the time left (the CLI prints the same line) */}
              <span>{fetchJob.snapshot.message}</span>
              {progress && progress.phase === 'maps' && (
                <span className="muted">
                  {mb(progress.bytes)}
                  {progress.resumedPages ? ` · ${progress.resumedPages} pages from the interrupted fetch` : ''}
                  {progress.retries ? ` · ${progress.retries} retries` : ''}
                </span>
              )}
              <button type="button" className="button small danger" onClick={() => void fetchJob.cancel()}>
                Cancel
              </button>
            </div>
          )}
          {fetchJob.snapshot.state === 'cancelled' && (
            <p className="job-status" role="status">
              Fetch cancelled. What was downloaded is kept: fetch the same again to continue.
            </p>
          )}
          {fetchJob.snapshot.state === 'succeeded' && fetchJob.snapshot.result && (
            <div className="success-card" data-testid="dials-fetch-result">
              <strong>
                Fetched {fetchJob.snapshot.result.lumisections} lumisections × {fetchJob.snapshot.result.mes.length} MEs
              </strong>{' '}
              of {fetchJob.snapshot.result.dataset}, runs {fetchJob.snapshot.result.runsFetched.join(', ')}, into <code>data/dials/</code>.
              {fetchJob.snapshot.result.runsWithoutData.length > 0 && (
                <ul>
                  {fetchJob.snapshot.result.runsWithoutData.map((r) => (
                    <li key={r.run}>
                      Run {r.run} left out: {r.reason}
                    </li>
                  ))}
                </ul>
              )}
              {fetchJob.snapshot.result.warnings.map((w, i) => (
                <p key={i} className="muted">
                  {w}
                </p>
              ))}
            </div>
          )}
          {fetchJob.lines.length > 0 && (
            <details>
              <summary>Requests and retries ({fetchJob.lines.length} lines)</summary>
              <LogView lines={fetchJob.lines} label="DIALS fetch log" />
            </details>
          )}
        </div>
      )}
      {error ? (
        <ErrorCard title="The DIALS fetch failed" error={error} testId="dials-fetch-error">
          {needsSignIn && (
            <button type="button" className="button primary" onClick={() => void startSignIn()} disabled={signIn.running}>
              Sign in to DIALS
            </button>
          )}
        </ErrorCard>
      ) : null}
    </div>
  );
}
