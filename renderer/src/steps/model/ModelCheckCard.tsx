import { useEffect, useState } from 'react';
import type { CheckResult, MethodOutput, ModelCheckReport, ProjectSummary, VendorPlan, VendorResult } from '@/shared/api/contract';
import { modelCheckScope } from '@/shared/api/contract';
import { useApi } from '@/renderer/src/api/ApiContext';
import { useJob } from '@/renderer/src/api/use-job';
import { ErrorCard } from '@/renderer/src/components/ErrorCard';
import { LogView } from '@/renderer/src/components/LogView';
import './model-check.css';

type Targets = MethodOutput<'modelCheck.targets'>;

const ICON: Record<CheckResult['status'], string> = { ok: '✔', warning: '!', error: '✖', skipped: '–' };
const STATUS_WORD: Record<CheckResult['status'], string> = { ok: 'passed', warning: 'warning', error: 'failed', skipped: 'not run' };

/** The time a check ran, as the user reads it. */
function when(iso: string): string {
  return new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/**
 * "Will DIALS load it?": the model check of one template resource — green/red per check, each with
 * its fix — and the vendoring dialog (diff first, then write) with the two ways out for a pickle
 * that names moved modules.
 */
export function ModelCheckCard({ project }: { project: ProjectSummary }) {
  const api = useApi();
  const [targets, setTargets] = useState<Targets | null>(null);
  const [templateFile, setTemplateFile] = useState('');
  const [resourceKey, setResourceKey] = useState('');
  const [image, setImage] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [plan, setPlan] = useState<VendorPlan | null>(null);
  const [vendored, setVendored] = useState<VendorResult | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let alive = true;
    setTargets(null);
    api.invoke('modelCheck.targets', { projectDir: project.dir }).then(
      (t) => {
        if (!alive) return;
        setTargets(t);
        const first = t.find((x) => x.resources.some((r) => r.checkable));
        setTemplateFile(first?.templateFile ?? t[0]?.templateFile ?? '');
        setResourceKey(first?.resources.find((r) => r.checkable)?.key ?? '');
      },
      (err) => alive && setError(err),
    );
    return () => {
      alive = false;
    };
  }, [api, project.dir]);

  const scope = templateFile && resourceKey ? modelCheckScope(templateFile, resourceKey) : null;
  const check = useJob('model-check', { scope });
  const redump = useJob('model-redump', { scope });
  const report: ModelCheckReport | null = check.snapshot?.state === 'succeeded' ? (check.snapshot.result ?? null) : null;

  const target = { templateFile, resourceKey, ...(image.trim() ? { image: image.trim() } : {}) };
  const run = async (pull = false) => {
    setError(null);
    try {
      check.attach(await api.invoke('modelCheck.run', { ...target, ...(pull ? { pull: true } : {}) }));
    } catch (err) {
      setError(err);
    }
  };
  useEffect(() => {
    // A re-dump that finished: check again, so the panel shows what the server will now see.
    if (redump.snapshot?.state === 'succeeded') void run();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [redump.snapshot?.state]);

  const openPlan = async () => {
    setError(null);
    setVendored(null);
    try {
      setPlan(await api.invoke('modelCheck.vendorPlan', target));
    } catch (err) {
      setError(err);
    }
  };
  const applyPlan = async () => {
    if (!plan) return;
    setBusy(true);
    try {
      const r = await api.invoke('modelCheck.vendorApply', { ...target, planId: plan.planId });
      setVendored(r);
      setPlan(null);
      // Check again at once: with moved module paths the report then shows the pickle's two ways out.
      await run();
    } catch (err) {
      setError(err);
      setPlan(null);
    } finally {
      setBusy(false);
    }
  };
  const addAliases = async () => {
    setError(null);
    try {
      await api.invoke('modelCheck.addAliases', { templateFile, resourceKey });
      setVendored(null);
      await run();
    } catch (err) {
      setError(err);
    }
  };
  const startRedump = async () => {
    setError(null);
    try {
      redump.attach(await api.invoke('modelCheck.redump', target));
      setVendored(null);
    } catch (err) {
      setError(err);
    }
  };

  const template = targets?.find((t) => t.templateFile === templateFile);
  const rel = (f: string) => (f.startsWith(`${project.dir}/`) ? f.slice(project.dir.length + 1) : f);
  const running = check.running || redump.running;

  return (
    <div className="card model-check" data-testid="model-check">
      <h2>Will DIALS load it?</h2>
      <p className="muted">
        DIALS ships only the model folder (<code>CodeUri</code>). This checks that everything the handler and the pickled model import is in
        it or in the runtime image, loads the model there the way the server does, and compares library versions.
      </p>
      {targets && !targets.some((t) => t.resources.some((r) => r.checkable)) ? (
        <p className="muted">
          {targets.length ? 'No resource of this project has Python code (CodeUri) to check.' : 'This project has no template.yaml yet.'}
        </p>
      ) : (
        <form
          className="check-form"
          onSubmit={(e) => {
            e.preventDefault();
            void run();
          }}
        >
          {targets && targets.length > 1 && (
            <label>
              Template
              <select value={templateFile} onChange={(e) => setTemplateFile(e.target.value)}>
                {targets.map((t) => (
                  <option key={t.templateFile} value={t.templateFile}>
                    {rel(t.templateFile)}
                  </option>
                ))}
              </select>
            </label>
          )}
          {template && template.resources.length > 1 && (
            <label>
              Resource
              <select value={resourceKey} onChange={(e) => setResourceKey(e.target.value)}>
                {template.resources.map((r) => (
                  <option key={r.key} value={r.key} disabled={!r.checkable} title={r.why}>
                    {r.key} ({r.type})
                  </option>
                ))}
              </select>
            </label>
          )}
          <label>
            Runtime image (optional)
            <input value={image} onChange={(e) => setImage(e.target.value)} placeholder="from the template" spellCheck={false} />
          </label>
          <button className="button primary" type="submit" disabled={running || !resourceKey}>
            {check.running ? 'Checking…' : report ? 'Check again' : 'Check'}
          </button>
        </form>
      )}
      {template?.error && <ErrorCard title="This template cannot be read" error={{ message: template.error }} />}
      {error !== null && <ErrorCard title="The check could not run" error={error} />}
      {vendored && (
        <div className="vendored" role="status">
          <p>
            Vendored: {vendored.written.map((f) => rel(f)).join(', ')}.
            {vendored.backups.length > 0 && <> Previous versions kept as {vendored.backups.map((f) => rel(f)).join(', ')}.</>}
          </p>
          {vendored.pickleChanges.length > 0 && (
            <PickleWaysOut changes={vendored.pickleChanges} onRedump={startRedump} onAlias={addAliases} busy={running} />
          )}
        </div>
      )}
      {check.running && <p className="muted">{check.snapshot?.message || 'Checking…'}</p>}
      {check.snapshot?.state === 'failed' && <ErrorCard title="The check stopped" error={check.snapshot.error} />}
      {report && (
        <div className={`check-report ${report.errors ? 'has-errors' : report.warnings ? 'has-warnings' : 'all-ok'}`}>
          <p className="check-headline" role="status">
            <strong>{report.headline}</strong>{' '}
            <span className="muted">
              · {report.resourceKey} in <code>{report.image}</code>
              {report.imagePython ? ` (Python ${report.imagePython})` : ''} · checked {when(report.checkedAt)}
            </span>
          </p>
          <ul className="check-list">
            {report.checks.map((c) => (
              <CheckRow
                key={c.id}
                check={c}
                onVendor={openPlan}
                onRedump={startRedump}
                onAlias={addAliases}
                onPull={() => void run(true)}
                busy={running}
              />
            ))}
          </ul>
        </div>
      )}
      {redump.running && <p className="muted">{redump.snapshot?.message || 'Re-dumping the model…'}</p>}
      {redump.snapshot?.state === 'failed' && (
        <ErrorCard title="The re-dump failed; the model file was not changed" error={redump.snapshot.error} />
      )}
      {redump.snapshot?.state === 'succeeded' && redump.snapshot.result && (
        <p className="muted" role="status">
          Saved the model again from the vendored code ({redump.snapshot.result.renamed.map((r) => `${r.from} → ${r.to}`).join(', ')}); the
          previous file is kept as <code>{rel(redump.snapshot.result.backup ?? '')}</code>.
        </p>
      )}
      {(check.lines.length > 0 || redump.lines.length > 0) && (
        <details className="check-log">
          <summary>Output of the check containers</summary>
          <LogView lines={[...check.lines, ...redump.lines]} label="Model check output" />
        </details>
      )}
      {plan && <VendorDialog plan={plan} busy={busy} onApply={applyPlan} onClose={() => setPlan(null)} />}
    </div>
  );
}

function CheckRow(props: { check: CheckResult; onVendor(): void; onRedump(): void; onAlias(): void; onPull(): void; busy: boolean }) {
  const c = props.check;
  const [open, setOpen] = useState(c.status === 'error');
  const detail = c.findings.length > 0 || (c.traceback?.length ?? 0) > 0 || (c.versions?.length ?? 0) > 0;
  return (
    <li className={`check-row check-${c.status}`} data-check={c.id} data-status={c.status}>
      <div className="check-head">
        <span className="check-icon" aria-label={STATUS_WORD[c.status]}>
          {ICON[c.status]}
        </span>
        <div className="check-text">
          <strong>{c.title}</strong>
          <p>{c.summary}</p>
        </div>
        {detail && (
          <button type="button" className="link-button" onClick={() => setOpen(!open)} aria-expanded={open}>
            {open ? 'Hide details' : 'Details'}
          </button>
        )}
      </div>
      {open && detail && (
        <div className="check-detail">
          {c.findings.length > 0 && (
            <ul className="findings">
              {c.findings.map((f, i) => (
                <li key={i} className={`finding-${f.severity}`}>
                  {f.file && (
                    <code className="where">
                      {f.file}
                      {f.line ? `:${f.line}` : ''}
                    </code>
                  )}{' '}
                  {f.message}
                </li>
              ))}
            </ul>
          )}
          {c.versions && c.versions.length > 0 && (
            <table className="versions">
              <thead>
                <tr>
                  <th>Package</th>
                  <th>Model saved with</th>
                  <th>Runtime image has</th>
                </tr>
              </thead>
              <tbody>
                {c.versions.map((v) => (
                  <tr key={v.package} className={v.match ? '' : 'mismatch'}>
                    <td>{v.package}</td>
                    <td>{v.pickled}</td>
                    <td>{v.image ?? 'not installed'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {c.traceback && c.traceback.length > 0 && <pre className="traceback">{c.traceback.join('\n')}</pre>}
        </div>
      )}
      {c.status !== 'ok' && c.fixes.length > 0 && (
        <ul className="fixes">
          {c.fixes.map((f, i) => (
            <li key={i}>
              <span>Fix: {f.text}</span>{' '}
              {f.action === 'vendor' && (
                <button type="button" className="button small primary" onClick={props.onVendor} disabled={props.busy}>
                  Vendor…
                </button>
              )}
              {f.action === 'redump' && (
                <button type="button" className="button small primary" onClick={props.onRedump} disabled={props.busy}>
                  Re-dump the model
                </button>
              )}
              {f.action === 'alias' && (
                <button type="button" className="button small" onClick={props.onAlias} disabled={props.busy}>
                  Add alias modules
                </button>
              )}
              {f.action === 'pull-image' && (
                <button type="button" className="button small" onClick={props.onPull} disabled={props.busy}>
                  Pull and check
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {c.id === 'pickle' && c.status === 'error' && c.fixes.some((f) => f.action === 'vendor') && (
        <p className="muted small-note">
          After vendoring you choose how the pickled model finds its classes: re-dump it from the vendored code, or add alias modules.
        </p>
      )}
    </li>
  );
}

function PickleWaysOut(props: { changes: VendorResult['pickleChanges']; onRedump(): void; onAlias(): void; busy: boolean }) {
  return (
    <div className="problem-card pickle-ways-out" role="alert">
      <p>
        <strong>The pickled model still names the old module paths</strong> —{' '}
        {props.changes.map((c) => (
          <span key={c.pickled}>
            <code>{c.pickled}</code> is now <code>{c.becomes}</code>
            {c.paths.length ? ` (${c.paths.join(', ')})` : ''}.{' '}
          </span>
        ))}
        As it is, the model would not unpickle in DIALS. Choose one:
      </p>
      <div className="actions">
        <button type="button" className="button primary" onClick={props.onRedump} disabled={props.busy}>
          Re-dump the model (recommended)
        </button>
        <button type="button" className="button" onClick={props.onAlias} disabled={props.busy}>
          Add alias modules
        </button>
      </div>
      <p className="muted">
        Re-dump loads the model in the runtime image with the old names mapped to the vendored modules and saves it again (the old file is
        kept as <code>.dism-studio.bak</code>). Alias modules keep the old file and add small modules under the old names that point to the
        vendored ones.
      </p>
    </div>
  );
}

function VendorDialog(props: { plan: VendorPlan; busy: boolean; onApply(): void; onClose(): void }) {
  const { plan } = props;
  const refused = plan.refusals.length > 0;
  return (
    <div className="modal-backdrop" role="presentation">
      <div className="modal vendor-dialog" role="dialog" aria-label="Vendor the modules into the model folder">
        <h2>Vendor into the model folder</h2>
        {refused ? (
          <div className="problem-card" role="alert">
            <p>
              <strong>Vendoring cannot go ahead; nothing will be written.</strong>
            </p>
            <ul>
              {plan.refusals.map((r) => (
                <li key={r}>{r}</li>
              ))}
            </ul>
          </div>
        ) : plan.files.length === 0 ? (
          <p>The model folder imports nothing from outside it: there is nothing to vendor.</p>
        ) : (
          <>
            <p>
              These modules are copied into <code>{plan.codeDir}</code> as flat modules, and their imports rewritten. Replaced files are
              kept as <code>&lt;file&gt;.dism-studio.bak</code>.
            </p>
            <ul className="vendor-modules">
              {plan.modules.map((m) => (
                <li key={m.module}>
                  <code>{m.module}</code> ({m.from}) → <code>{m.flatName}.py</code>
                </li>
              ))}
            </ul>
            <div className="diffs">
              {plan.files.map((f) => (
                <pre key={f.path} className="diff" aria-label={`Changes to ${f.path}`}>
                  {f.diff.split('\n').map((line, i) => (
                    <span
                      key={i}
                      className={line.startsWith('+') ? 'add' : line.startsWith('-') ? 'del' : line.startsWith('@@') ? 'hunk' : ''}
                    >
                      {line}
                      {'\n'}
                    </span>
                  ))}
                </pre>
              ))}
            </div>
          </>
        )}
        {plan.notes.map((n) => (
          <p key={n} className="muted">
            Note: {n}
          </p>
        ))}
        <div className="modal-actions">
          <button className="button" onClick={props.onClose}>
            {refused ? 'Close' : 'Cancel'}
          </button>
          {!refused && plan.files.length > 0 && (
            <button className="button primary" onClick={props.onApply} disabled={props.busy}>
              {props.busy ? 'Writing…' : `Write ${plan.files.length} file${plan.files.length > 1 ? 's' : ''}`}
            </button>
          )}
        </div>
      </div>
    </div>
  );
}
