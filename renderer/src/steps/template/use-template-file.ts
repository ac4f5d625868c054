import { useCallback, useEffect, useRef } from 'react';
import type { DismApi } from '@/shared/api/client';
import { reportError, useAppStore } from '@/renderer/src/store/app-store';
import { diskText, selectDirty, useTemplateStore } from './template-store';

const POLL_MS = 2000;
const FS_CHECK_DELAY_MS = 700;
const DRAFT_DELAY_MS = 1000;

export const errorCount = (n: number) => `${n} error${n === 1 ? '' : 's'}`;

/** Save atomically through the back end; a conflict with the disk version opens the reload/keep offer. */
export function useSaveTemplate(api: DismApi) {
  return useCallback(
    async (force = false) => {
      const s = useTemplateStore.getState();
      if (!s.projectDir || !s.relPath || s.saving) return;
      const text = s.text;
      // Saving stays allowed with errors, but the user is told what it means.
      s.ensureParsed();
      const errors = useTemplateStore.getState().errorsTotal;
      s.setSaving(true);
      try {
        const r = await api.invoke('template.save', {
          projectDir: s.projectDir,
          path: s.relPath,
          text: diskText(text),
          baseHash: s.baseHash,
          force,
        });
        useTemplateStore.getState().markSaved(text, r.disk);
        const backup = r.backupPath ? `; the previous version is in ${r.backupPath.split(/[\\/]/).pop()}` : '';
        if (errors === 0) useAppStore.getState().notify({ kind: 'success', title: 'Saved', message: `${s.relPath} saved${backup}.` });
        else
          useAppStore.getState().notify({
            kind: 'warning',
            title: `Saved with ${errorCount(errors)}`,
            message: `${s.relPath} saved${backup}. It still has ${errorCount(errors)}: dismcli will refuse it (and the local build too) until ${errors === 1 ? 'it is' : 'they are'} fixed — see Problems.`,
          });
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
}

/**
 * Everything that runs behind the editor while a template is open: the back end's filesystem
 * checks, crash-recovery drafts, polling for changes on disk, Ctrl+S and the leave-page guard.
 */
export function useTemplateBackgroundSync(api: DismApi, projectDir: string | null, save: () => Promise<void>) {
  const text = useTemplateStore((s) => s.text);
  const dirty = useTemplateStore(selectDirty);

  // Filesystem checks (paths, Handler class, ONNX shapes) by the back end, shortly after typing stops.
  useEffect(() => {
    if (!projectDir) return;
    const t = setTimeout(() => {
      const s = useTemplateStore.getState();
      if (!s.relPath) return;
      api.invoke('template.validate', { projectDir: projectDir, path: s.relPath, text: s.text }).then(
        (r) => useTemplateStore.getState().text === s.text && useTemplateStore.getState().setFsResult(r.problems, r.notes),
        () => undefined,
      );
    }, FS_CHECK_DELAY_MS);
    return () => clearTimeout(t);
  }, [api, projectDir, text]);

  // Crash safety: unsaved edits go to a draft in the user-data dir.
  const hadDraft = useRef(false);
  useEffect(() => {
    if (!projectDir) return;
    const s = useTemplateStore.getState();
    const t = setTimeout(() => {
      if (!s.relPath) return;
      if (dirty) {
        hadDraft.current = true;
        api
          .invoke('template.saveDraft', { projectDir: projectDir, path: s.relPath, text: diskText(s.text), baseHash: s.baseHash })
          .catch(() => undefined);
      } else if (hadDraft.current) {
        hadDraft.current = false;
        api.invoke('template.discardDraft', { projectDir: projectDir, path: s.relPath }).catch(() => undefined);
      }
    }, DRAFT_DELAY_MS);
    return () => clearTimeout(t);
  }, [api, projectDir, text, dirty]);

  // Changes on disk by other programs: offer reload or keep.
  useEffect(() => {
    if (!projectDir) return;
    let busy = false;
    const check = async () => {
      const s = useTemplateStore.getState();
      if (busy || !s.relPath || s.saving || s.diskChange) return;
      busy = true;
      try {
        const d = await api.invoke('template.diskState', { projectDir: projectDir, path: s.relPath, knownHash: s.baseHash });
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
  }, [api, projectDir]);

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
}
