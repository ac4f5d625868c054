import { useCallback, useEffect, useRef, useState } from 'react';
import type { RunnerInfo, RunnerRecipe } from '@/shared/api/contract';
import { useApi } from '@/renderer/src/api/ApiContext';
import { FolderBrowser } from '@/renderer/src/components/FolderBrowser';
import { reportError } from '@/renderer/src/store/app-store';
import { LogView } from '@/renderer/src/components/LogView';
import { useJob } from '@/renderer/src/api/use-job';
import { MessageText } from '@/renderer/src/components/MessageText';
import { generatedDockerfile } from '@/shared/dismcli/runner-dockerfile';

const STATE_TEXT: Record<RunnerInfo['imageState'], string> = {
  'up-to-date': 'built from this recipe',
  missing: 'not built yet — it is built before the first dismcli run',
  stale: 'an older image exists; this recipe changed and will be rebuilt',
};

/**
 * The Dockerfile DISM Studio builds to run dismcli, editable, with its image state and build log.
 * `runRevision` changes when a dismcli run starts or ends (it builds the image first when needed):
 * the image state is read again then.
 */
export function RunnerRecipeEditor({ projectDir, runRevision }: { projectDir: string; runRevision?: string | null }) {
  const api = useApi();
  const [info, setInfo] = useState<RunnerInfo | null>(null);
  const [draft, setDraftState] = useState<RunnerRecipe>({ kind: 'pip' });
  const [dockerfile, setDockerfile] = useState('');
  const [saving, setSaving] = useState(false);
  const [choosing, setChoosing] = useState(false);
  const build = useJob('dismcli.runner-build', { scope: projectDir });

  const show = useCallback((i: RunnerInfo) => {
    setInfo(i);
    setDraftState(i.recipe);
    setDockerfile(i.dockerfile);
  }, []);

  // Only the newest answer is shown: one asked when a run started may come back after the one asked
  // when it ended, and must not put "not built yet" back.
  const readSeq = useRef(0);
  useEffect(() => {
    const seq = ++readSeq.current;
    api.invoke('dismcli.runner.get', { projectDir }).then(
      (i) => {
        // The recipe and its Dockerfile are always taken; the image state only from the newest answer.
        if (seq === readSeq.current) show(i);
        else {
          setDraftState(i.recipe);
          setDockerfile(i.dockerfile);
        }
      },
      (e) => reportError('Could not read the dismcli runner recipe', e),
    );
  }, [api, projectDir, show]);

  // A finished image build, or a dismcli run (which builds the image first), changes the image state.
  useEffect(() => {
    if ((build.snapshot && build.snapshot.state !== 'running') || runRevision) {
      const seq = ++readSeq.current;
      api.invoke('dismcli.runner.get', { projectDir }).then(
        (i) => seq === readSeq.current && setInfo(i),
        () => undefined,
      );
    }
  }, [api, projectDir, build.snapshot, runRevision]);

  // The box shows the Dockerfile of the recipe as it is chosen now; one the user edited is kept.
  const customized = info !== null && dockerfile !== generatedDockerfile(draft);
  const setDraft = (next: RunnerRecipe) => {
    if (dockerfile === generatedDockerfile(draft)) setDockerfile(generatedDockerfile(next));
    setDraftState(next);
  };
  const dirty =
    info !== null &&
    (dockerfile !== info.dockerfile ||
      JSON.stringify({ ...draft, customDockerfile: undefined }) !== JSON.stringify({ ...info.recipe, customDockerfile: undefined }));

  async function save(resetDockerfile = false): Promise<RunnerInfo | null> {
    setSaving(true);
    try {
      const recipe: RunnerRecipe = { kind: draft.kind };
      if (draft.baseImage?.trim()) recipe.baseImage = draft.baseImage.trim();
      if (draft.kind === 'pip' && draft.cmsdismVersion?.trim()) recipe.cmsdismVersion = draft.cmsdismVersion.trim();
      if (draft.kind === 'pyinstaller' && draft.dismcliFolder?.trim()) recipe.dismcliFolder = draft.dismcliFolder.trim();
      if (customized && !resetDockerfile) recipe.customDockerfile = dockerfile;
      const saved = await api.invoke('dismcli.runner.save', { projectDir, recipe });
      show(saved);
      return saved;
    } catch (e) {
      reportError('Could not save the runner recipe', e);
      return null;
    } finally {
      setSaving(false);
    }
  }

  async function buildImage(force: boolean) {
    if (dirty && !(await save())) return;
    try {
      const job = await api.invoke('dismcli.runner.build', { projectDir, force });
      build.attach(job);
    } catch (e) {
      reportError('Could not build the runner image', e);
    }
  }

  if (!info) return <p className="muted">Reading the runner recipe…</p>;
  return (
    <div className="runner-editor">
      <fieldset className="radio-row">
        <legend>How to get dismcli</legend>
        <label>
          <input type="radio" name="runner-kind" checked={draft.kind === 'pip'} onChange={() => setDraft({ ...draft, kind: 'pip' })} />
          Install <code>cmsdism[docker]</code> from PyPI into a Python image
        </label>
        <label>
          <input
            type="radio"
            name="runner-kind"
            checked={draft.kind === 'pyinstaller'}
            onChange={() => setDraft({ ...draft, kind: 'pyinstaller' })}
          />
          Use my dismcli folder (PyInstaller build) on Ubuntu — the fix for <code>GLIBC_2.38 not found</code>
        </label>
      </fieldset>
      <div className="form-grid">
        <label htmlFor="runner-base">Base image</label>
        <input
          id="runner-base"
          value={draft.baseImage ?? ''}
          placeholder={draft.kind === 'pip' ? 'python:3.11-slim' : 'ubuntu:24.04'}
          onChange={(e) => setDraft({ ...draft, baseImage: e.target.value })}
          spellCheck={false}
        />
        {draft.kind === 'pip' ? (
          <>
            <label htmlFor="runner-version">cmsdism version</label>
            <input
              id="runner-version"
              value={draft.cmsdismVersion ?? ''}
              placeholder="latest"
              onChange={(e) => setDraft({ ...draft, cmsdismVersion: e.target.value })}
              spellCheck={false}
            />
          </>
        ) : (
          <>
            <label htmlFor="runner-folder">dismcli folder</label>
            <div className="folder-path">
              <input
                id="runner-folder"
                value={draft.dismcliFolder ?? ''}
                placeholder="/home/you/dismcli (holds dismcli and _internal/)"
                onChange={(e) => setDraft({ ...draft, dismcliFolder: e.target.value })}
                spellCheck={false}
              />
              <button className="button" type="button" onClick={() => setChoosing(true)}>
                Choose…
              </button>
            </div>
          </>
        )}
      </div>
      <label className="dockerfile-label" htmlFor="runner-dockerfile">
        Dockerfile{' '}
        <span className="muted">
          — saved with the recipe in the project at <code>{info.dockerfilePath}</code>
          {customized ? '; edited by you (the fields above only change the generated one)' : ''}
        </span>
      </label>
      <textarea
        id="runner-dockerfile"
        className="dockerfile"
        value={dockerfile}
        onChange={(e) => setDockerfile(e.target.value)}
        spellCheck={false}
        rows={Math.min(16, dockerfile.split('\n').length + 1)}
      />
      {info.problems.length > 0 && (
        <ul className="problem-list">
          {info.problems.map((p) => (
            <li key={p} className="field-error">
              <MessageText text={p} />
            </li>
          ))}
        </ul>
      )}
      <p className="runner-state" data-testid="runner-state">
        Image <code>{info.imageTag}</code>: {STATE_TEXT[info.imageState]}
      </p>
      <div className="actions">
        <button className="button" disabled={saving || !dirty} onClick={() => void save()}>
          Save recipe
        </button>
        {customized && (
          <button
            className="button"
            disabled={saving}
            onClick={() => {
              setDockerfile(generatedDockerfile(draft));
              void save(true);
            }}
          >
            Reset to generated Dockerfile
          </button>
        )}
        <button className="button" disabled={build.running || saving} onClick={() => void buildImage(info.imageState === 'up-to-date')}>
          {info.imageState === 'up-to-date' ? 'Rebuild image' : 'Build image'}
        </button>
        {build.running && (
          <button className="button danger" onClick={() => void build.cancel()}>
            Cancel build
          </button>
        )}
      </div>
      {build.jobId && (
        <div className="job-block">
          <p className="job-status" role="status">
            {build.snapshot?.state === 'failed' ? (
              <MessageText className="field-error" text={build.snapshot.error?.message ?? 'The image build failed.'} />
            ) : (
              build.snapshot?.message
            )}
          </p>
          {build.running && build.snapshot?.progress != null && (
            <progress max={1} value={build.snapshot.progress} aria-label="Image build progress" />
          )}
          <LogView lines={build.lines} label="Runner image build log" />
        </div>
      )}
      {choosing && (
        <FolderBrowser
          title="Choose your dismcli folder"
          initialDir={draft.dismcliFolder || undefined}
          onCancel={() => setChoosing(false)}
          onChoose={(dir) => {
            setDraft({ ...draft, dismcliFolder: dir });
            setChoosing(false);
          }}
        />
      )}
    </div>
  );
}
