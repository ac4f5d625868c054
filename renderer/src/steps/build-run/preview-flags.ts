import type { DismApi } from '@/shared/api/client';
import { waitForJob } from '@/renderer/src/api/use-job';
import { usePreviewStore } from '../preview/preview-store';

export interface PreviewFlags {
  flags: boolean[];
  source: 'preview-step' | 'preview-run';
}

/** The in-app preview's flags for the project: from the Preview step if it has them, else a fresh preview run. */
export async function previewFlagsFor(api: DismApi, projectDir: string, signal?: AbortSignal): Promise<PreviewFlags> {
  const s = usePreviewStore.getState();
  // savedItems: flags with the saved preset (what a build ships), not an unsaved tuning draft.
  if (s.info?.projectDir === projectDir && s.phase === 'ready' && s.savedItems.length === s.info.total) {
    const flags: boolean[] = [];
    for (const it of s.savedItems) flags[it.index] = it.flagged;
    return { flags, source: 'preview-step' };
  }
  const started = await api.invoke('pipeline.run', { projectDir });
  try {
    const job = await waitForJob(api, 'pipeline.run', started.jobId, signal);
    if (job.state !== 'succeeded') throw new Error(job.error?.message ?? `The preview run ${job.state}`);
    const r = await api.invoke('pipeline.results', { sessionId: started.sessionId, limit: 100_000 });
    const flags: boolean[] = [];
    for (const it of r.items) flags[it.index] = it.flagged;
    return { flags, source: 'preview-run' };
  } finally {
    // only the flags were needed: the back end can drop the run (and stop it if it was aborted)
    void api.invoke('pipeline.release', { sessionId: started.sessionId }).catch(() => undefined);
  }
}
