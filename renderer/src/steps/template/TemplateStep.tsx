import { useCallback, useEffect, useRef, useState } from 'react';
import { useApi } from '../../api/ApiContext';
import { EmptyState } from '../../components/EmptyState';
import { Spinner } from '../../components/Spinner';
import { reportError, useAppStore } from '../../store/app-store';
import { applyText, redo, undo } from './editor-bridge';
import { TemplateForm } from './form/TemplateForm';
import { NewTemplateWizard } from './NewTemplateWizard';
import { ProblemsList } from './ProblemsList';
import { diskText, selectDirty, useTemplateStore } from './template-store';
import { YamlPane } from './YamlPane';
import './template.css';

const POLL_MS = 2000;
const FS_CHECK_DELAY_MS = 700;
const DRAFT_DELAY_MS = 1000;

/** Step 2: edit template.yaml in a form and as raw YAML, validated as you type, saved losslessly. */
export function TemplateStep() {
  const api = useApi();
  const project = useAppStore((s) => s.project);
  const templates = project?.templates ?? [];
  const [relPath, setRelPath] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [loading, setLoading] = useState(false);
  const [docKey, setDocKey] = useState(0);
  const store = useTemplateStore();
  const dirty = useTemplateStore(selectDirty);
  const current = relPath ?? templates[0] ?? null;
  const loadedHere = store.projectDir === project?.dir && store.relPath === current;

  const load = useCallback(
    async (rel: string) => {
      if (!project) return;
      setLoading(true);
      try {
        const opened = await api.invoke('template.open', { projectDir: project.dir, path: rel });
        useTemplateStore.getState().loaded({ projectDir: project.dir, relPath: opened.relPath, text: opened.text, disk: opened.disk, draft: opened.draft });
        setDocKey((k) => k + 1);
      } catch (err) {
        reportError(`Could not open ${rel}`, err);
      } finally {
        setLoading(false);
      }
    },
    [api, project],
  );

  useEffect(() => {
    if (current && !loadedHere && !loading) void load(current);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [current, project?.dir]);

  const save = useCallback(
    async (force = false) => {
      const s = useTemplateStore.getState();
      if (!s.projectDir || !s.relPath || s.saving) return;
      const text = s.text;
      s.setSaving(true);
      try {
        const r = await api.invoke('template.save', { projectDir: s.projectDir, path: s.relPath, text: diskText(text), baseHash: s.baseHash, force });
        useTemplateStore.getState().markSaved(text, r.disk);
        useAppStore.getState().notify({ kind: 'success', title: 'Saved', message: `${s.relPath} saved${r.backupPath ? '; the previous version is in template.yaml.bak' : ''}.`.replace('template.yaml.bak', `${s.relPath.split('/').pop()}.bak`) });
      } catch (err) {
        if ((err as { code?: string }).code === 'TEMPLATE_CHANGED_ON_DISK') {
          const d = await api.invoke('template.diskState', { projectDir: s.projectDir, path: s.relPath, knownHash: s.baseHash });
          useTemplateStore.getState().setDiskChange({ deleted: d.deleted, text: d.text, disk: d.disk });
        } else reportError('Could not save the template', err);
      } finally {
        useTemplateStore.getState().setSaving(false);
      }
    },
    [api],
  );

  // Filesystem checks (paths, Handler class, ONNX shapes) by the back end, shortly after typing stops.
  const text = store.text;
  useEffect(() => {
    if (!loadedHere || !project) return;
    const t = setTimeout(() => {
      const s = useTemplateStore.getState();
      if (!s.relPath) return;
      api.invoke('template.validate', { projectDir: project.dir, path: s.relPath, text: s.text }).then(
        (r) => useTemplateStore.getState().text === s.text && useTemplateStore.getState().setFsResult(r.problems, r.notes),
        () => undefined,
      );
    }, FS_CHECK_DELAY_MS);
    return () => clearTimeout(t);
  }, [api, project, text, loadedHere]);

  // Crash safety: unsaved edits go to a draft in the user-data dir.
  const hadDraft = useRef(false);
  useEffect(() => {
    if (!loadedHere || !project) return;
    const s = useTemplateStore.getState();
    const t = setTimeout(() => {
      if (!s.relPath) return;
      if (dirty) {
        hadDraft.current = true;
        api.invoke('template.saveDraft', { projectDir: project.dir, path: s.relPath, text: diskText(s.text), baseHash: s.baseHash }).catch(() => undefined);
      } else if (hadDraft.current) {
        hadDraft.current = false;
        api.invoke('template.discardDraft', { projectDir: project.dir, path: s.relPath }).catch(() => undefined);
      }
    }, DRAFT_DELAY_MS);
    return () => clearTimeout(t);
  }, [api, project, text, dirty, loadedHere]);

  // Changes on disk by other programs: offer reload or keep.
  useEffect(() => {
    if (!loadedHere || !project) return;
    let busy = false;
    const check = async () => {
      const s = useTemplateStore.getState();
      if (busy || !s.relPath || s.saving || s.diskChange) return;
      busy = true;
      try {
        const d = await api.invoke('template.diskState', { projectDir: project.dir, path: s.relPath, knownHash: s.baseHash });
        const now = useTemplateStore.getState();
        if (d.changed && !now.saving && now.baseHash === s.baseHash) now.setDiskChange({ deleted: d.deleted, text: d.text, disk: d.disk });
      } catch {
        /* the next poll retries */
      } finally {
        busy = false;
      }
    };
    const timer = setInterval(check, POLL_MS);
    window.addEventListener('focus', check);
    return () => {
      clearInterval(timer);
      window.removeEventListener('focus', check);
    };
  }, [api, project, loadedHere]);

  // Ctrl/Cmd+S saves from either pane.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === 's') {
        e.preventDefault();
        if (selectDirty(useTemplateStore.getState())) void save();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [save]);

  useEffect(() => {
    const warn = (e: BeforeUnloadEvent) => {
      if (selectDirty(useTemplateStore.getState())) e.preventDefault();
    };
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, []);

  const create = async (rel: string, skeleton: string) => {
    if (!project) return;
    if (selectDirty(useTemplateStore.getState()) && !window.confirm('Leave the current template with unsaved changes? (They stay in the recovery draft.)')) return;
    try {
      const opened = await api.invoke('template.create', { projectDir: project.dir, path: rel, text: skeleton });
      const summary = await api.invoke('projects.open', { dir: project.dir });
      useAppStore.getState().setProject(summary);
      useTemplateStore.getState().loaded({ projectDir: project.dir, relPath: opened.relPath, text: opened.text, disk: opened.disk, draft: null });
      setRelPath(opened.relPath);
      setDocKey((k) => k + 1);
      setCreating(false);
    } catch (err) {
      reportError('Could not create the template', err);
    }
  };

  if (!project) return <EmptyState title="No project open" message="Open a project folder in the Model step first." />;

  const switchTo = (rel: string) => {
    if (selectDirty(useTemplateStore.getState()) && !window.confirm('Discard unsaved changes to this template? (They stay in the recovery draft.)')) return;
    setRelPath(rel);
    void load(rel);
  };

  return (
    <section className="step template-step">
      <header className="template-toolbar">
        <h1>Template</h1>
        {templates.length > 0 && (
          <select aria-label="Template file" value={current ?? ''} onChange={(e) => switchTo(e.target.value)}>
            {templates.map((t) => <option key={t} value={t}>{t}</option>)}
          </select>
        )}
        {dirty && <span className="unsaved-marker" data-testid="unsaved-marker" title="Unsaved changes">● Unsaved changes</span>}
        {!dirty && loadedHere && <span className="saved-marker muted">Saved</span>}
        <span className="spacer" />
        <button type="button" className="button small" onClick={() => undo()} title="Undo (Ctrl+Z), in either pane">Undo</button>
        <button type="button" className="button small" onClick={() => redo()} title="Redo (Ctrl+Shift+Z)">Redo</button>
        <button type="button" className="button small" onClick={() => setCreating(true)}>New template…</button>
        <button type="button" className="button primary" disabled={!loadedHere || !dirty || store.saving} onClick={() => void save()} title="Save (Ctrl+S)">
          {store.saving ? 'Saving…' : 'Save'}
        </button>
      </header>

      {store.draftOffer && loadedHere && (
        <div className="banner banner-info" role="alert">
          Unsaved edits from {new Date(store.draftOffer.savedAt).toLocaleString()} were recovered.
          <button type="button" className="button small" onClick={() => { applyText(store.draftOffer!.text); useTemplateStore.getState().setDraftOffer(null); }}>Restore them</button>
          <button type="button" className="button small" onClick={() => { useTemplateStore.getState().setDraftOffer(null); if (project && current) void api.invoke('template.discardDraft', { projectDir: project.dir, path: current }); }}>Discard</button>
        </div>
      )}
      {store.diskChange && loadedHere && (
        <div className="banner banner-warning" role="alert" data-testid="disk-change">
          {store.diskChange.deleted ? `${current} was deleted on disk.` : `${current} was changed on disk by another program.`}
          {!store.diskChange.deleted && (
            <button type="button" className="button small" onClick={() => { const t = store.diskChange!.text ?? ''; useTemplateStore.getState().keepMine(); applyText(t); useTemplateStore.getState().markSaved(t, store.diskChange!.disk!); }}>
              Reload from disk
            </button>
          )}
          <button type="button" className="button small" onClick={() => useTemplateStore.getState().keepMine()}>Keep my version</button>
          <span className="muted">(Reload is undoable; keeping yours overwrites the file on the next save, the disk version goes to .bak.)</span>
        </div>
      )}

      {creating && templates.length > 0 && (
        <div className="modal-backdrop" role="presentation">
          <div className="modal new-template-modal">
            <NewTemplateWizard existing={templates} onCreate={create} onCancel={() => setCreating(false)} />
          </div>
        </div>
      )}
      {!templates.length && !loading ? (
        <NewTemplateWizard existing={templates} onCreate={create} />
      ) : !loadedHere ? (
        <Spinner label="Opening template…" />
      ) : (
        <>
          <div className="template-panes">
            <div className="pane form-pane" aria-label="Form">
              <TemplateForm />
            </div>
            <div className="pane source-pane">
              <YamlPane docKey={`${docKey}`} />
            </div>
          </div>
          <ProblemsList />
        </>
      )}
    </section>
  );
}
