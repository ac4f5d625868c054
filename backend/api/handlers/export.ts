import { exportArtifacts, planExport } from '@/backend/export/export-artifacts';
import { exportSummary } from '@/backend/export/registration';
import { requireDirectory } from '@/backend/projects/project-folder';
import type { HandlerMap } from '../types';

export const exportHandlers: HandlerMap<'export.summary' | 'export.run'> = {
  'export.summary': async ({ projectDir }) => exportSummary(await requireDirectory(projectDir)),

  'export.run': async ({ projectDir, to, parts, overwrite }, ctx) => {
    const dir = await requireDirectory(projectDir);
    // Checked before the job starts so "already exists" comes back as an answer the UI can confirm.
    const plan = await planExport({ projectDir: dir, to, parts, overwrite });
    return ctx.jobs.start({
      kind: 'export',
      title: `Export .dism-artifacts to ${plan.target}`,
      scope: dir,
      run: (job) =>
        exportArtifacts({
          projectDir: dir,
          to,
          parts: plan.parts,
          overwrite,
          signal: job.signal,
          onProgress: (f, m) => job.progress(f, m),
        }),
    });
  },
};
