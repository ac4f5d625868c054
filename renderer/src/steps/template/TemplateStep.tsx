import { useCallback, useEffect, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { useApi } from '@/renderer/src/api/ApiContext';
import { EmptyState } from '@/renderer/src/components/EmptyState';
import { Spinner } from '@/renderer/src/components/Spinner';
import { reportError, useAppStore } from '@/renderer/src/store/app-store';
import { applyText, redo, undo } from './editor-bridge';
import { TemplateForm } from './form/TemplateForm';
import { NewTemplateWizard } from './NewTemplateWizard';
import { ProblemsList } from './ProblemsList';
import { selectDirty, useTemplateStore } from './template-store';
import { YAML_SYNTAX_RULE } from '@/shared/template/problems';
import { errorCount, useSaveTemplate, useTemplateBackgroundSync } from './use-template-file';
import { YamlPane } from './YamlPane';
import './template.css';

/** Step 2: edit template.yaml in a form and as raw YAML, validated as you type, saved losslessly. */
export function TemplateStep() {
  const api = useApi();
  const project = useAppStore((s) => s.project);
  const templates = project?.templates ?? [];
  const [relPath, setRelPath] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [loading, setLoading] = useState(false);
  const [docKey, setDocKey] = useState(0);
  // Only what the toolbar and banners show: typing must not re-render the whole step.
  const store = useTemplateStore(
    useShallow((s) => ({
      projectDir: s.projectDir,
      relPath: s.relPath,
      saving: s.saving,
      draftOffer: s.draftOffer,
      diskChange: s.diskChange,
    })),
  );
  const dirty = useTemplateStore(selectDirty);
  // Over a limit the text is not parsed: a form of an empty document would mislead and edit wrongly.
  const limit = useTemplateStore((s) => s.limit);
  const errorsTotal = useTemplateStore((s) => s.errorsTotal);
  // While the YAML has a syntax error the form shows only what the parser could recover.
  const syntaxError = useTemplateStore((s) => s.problems.find((p) => p.rule === YAML_SYNTAX_RULE) ?? null);
  const current = relPath ?? templates[0] ?? null;
  const loadedHere = store.projectDir === project?.dir && store.relPath === current;

  const load = useCallback(
    async (rel: string) => {
      if (!project) return;
      setLoading(true);
      try {
        const opened = await api.invoke('template.open', { projectDir: project.dir, path: rel });
        useTemplateStore
          .getState()
          .loaded({ projectDir: project.dir, relPath: opened.relPath, text: opened.text, disk: opened.disk, draft: opened.draft });
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

  const save = useSaveTemplate(api);
  useTemplateBackgroundSync(api, loadedHere ? (project?.dir ?? null) : null, save);

  const create = async (rel: string, skeleton: string) => {
    if (!project) return;
    if (
      selectDirty(useTemplateStore.getState()) &&
      !window.confirm('Leave the current template with unsaved changes? (They stay in the recovery draft.)')
    )
      return;
    try {
      const opened = await api.invoke('template.create', { projectDir: project.dir, path: rel, text: skeleton });
      const summary = await api.invoke('projects.open', { dir: project.dir });
      useAppStore.getState().setProject(summary);
      useTemplateStore
        .getState()
        .loaded({ projectDir: project.dir, relPath: opened.relPath, text: opened.text, disk: opened.disk, draft: null });
      setRelPath(opened.relPath);
      setDocKey((k) => k + 1);
      setCreating(false);
    } catch (err) {
      reportError('Could not create the template', err);
    }
  };

  if (!project) return <EmptyState title="No project open" message="Open a project folder in the Model step first." />;

  const switchTo = (rel: string) => {
    if (
      selectDirty(useTemplateStore.getState()) &&
      !window.confirm('Discard unsaved changes to this template? (They stay in the recovery draft.)')
    )
      return;
    setRelPath(rel);
    void load(rel);
  };

  return (
    <section className="step template-step">
      <header className="template-toolbar">
        <h1>Template</h1>
        {templates.length > 0 && (
          <select aria-label="Template file" value={current ?? ''} onChange={(e) => switchTo(e.target.value)}>
            {templates.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        )}
        {dirty && (
          <span className="unsaved-marker" data-testid="unsaved-marker" title="Unsaved changes">
            ● Unsaved changes
          </span>
        )}
        {!dirty && loadedHere && (
          <span className="saved-marker muted">
            Saved
            {errorsTotal > 0 && (
              <span className="count-error" title="dismcli refuses a template with errors">
                {' '}
                · {errorCount(errorsTotal)}
              </span>
            )}
          </span>
        )}
        <span className="spacer" />
        <button type="button" className="button small" onClick={() => undo()} title="Undo (Ctrl+Z), in either pane">
          Undo
        </button>
        <button type="button" className="button small" onClick={() => redo()} title="Redo (Ctrl+Shift+Z)">
          Redo
        </button>
        <button type="button" className="button small" onClick={() => setCreating(true)}>
          New template…
        </button>
        <button
          type="button"
          className="button primary"
          disabled={!loadedHere || !dirty || store.saving}
          onClick={() => void save()}
          title="Save (Ctrl+S)"
        >
          {store.saving ? 'Saving…' : 'Save'}
        </button>
      </header>

      {store.draftOffer && loadedHere && (
        <div className="banner banner-info" role="alert">
          Unsaved edits from {new Date(store.draftOffer.savedAt).toLocaleString()} were recovered.
          <button
            type="button"
            className="button small"
            onClick={() => {
              applyText(store.draftOffer!.text);
              useTemplateStore.getState().setDraftOffer(null);
            }}
          >
            Restore them
          </button>
          <button
            type="button"
            className="button small"
            onClick={() => {
              useTemplateStore.getState().setDraftOffer(null);
              if (project && current) void api.invoke('template.discardDraft', { projectDir: project.dir, path: current });
            }}
          >
            Discard
          </button>
        </div>
      )}
      {store.diskChange && loadedHere && (
        <div className="banner banner-warning" role="alert" data-testid="disk-change">
          {store.diskChange.deleted ? `${current} was deleted on disk.` : `${current} was changed on disk by another program.`}
          {!store.diskChange.deleted && (
            <button
              type="button"
              className="button small"
              onClick={() => {
                const t = store.diskChange!.text ?? '';
                useTemplateStore.getState().keepMine();
                applyText(t);
                useTemplateStore.getState().markSaved(t, store.diskChange!.disk!);
              }}
            >
              Reload from disk
            </button>
          )}
          <button type="button" className="button small" onClick={() => useTemplateStore.getState().keepMine()}>
            Keep my version
          </button>
          <span className="muted">
            (Reload is undoable; keeping yours overwrites the file on the next save, the disk version is kept as{' '}
            {`${(current ?? '').split(/[\\/]/).pop()}.dism-studio.bak`}.)
          </span>
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
              {limit ? (
                <p className="form-unavailable" role="note">
                  {limit.rule === 'template-too-large' ? 'This template is too large' : 'This template nests too deeply'} for DISM Studio to
                  show it as a form (see Problems below). Its text is unchanged in the YAML pane.
                </p>
              ) : (
                <>
                  {syntaxError && (
                    <p className="banner banner-warning" role="note" data-testid="form-syntax-banner">
                      The YAML has a syntax error at line {syntaxError.line}: fix it in the YAML pane (see Problems below). Until then the
                      form shows only what could be read.
                    </p>
                  )}
                  <TemplateForm />
                </>
              )}
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
