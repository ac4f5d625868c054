import { ApiError } from '@/shared/api/errors';
import { copyProject } from '@/backend/projects/copy-project';
import { listDir, summarizeProject } from '@/backend/projects/project-folder';
import type { HandlerMap } from '../types';

export const projectHandlers: HandlerMap<
  'projects.recent' | 'projects.open' | 'projects.forget' | 'projects.pickFolder' | 'projects.copy' | 'fs.listDir'
> = {
  'projects.recent': (_i, ctx) => ctx.settings.recent(),
  'projects.open': async ({ dir }, ctx) => {
    const summary = await summarizeProject(dir);
    const refusal = await ctx.opened.refusalToOpen(summary.dir);
    if (refusal) throw new ApiError('NOT_A_PROJECT_FOLDER', refusal, { dir: summary.dir }, 'NotAProjectFolderError');
    if (!summary.isDemo) await ctx.settings.rememberProject(summary.dir, summary.name);
    await ctx.opened.opened(summary.dir);
    return summary;
  },
  'projects.forget': async ({ dir }, ctx) => {
    await ctx.opened.forgotten(dir);
    return ctx.settings.forgetProject(dir);
  },
  'projects.pickFolder': async ({ title }, ctx) => {
    if (!ctx.host.pickFolder)
      throw new ApiError('UNSUPPORTED', 'This host has no native folder picker; use the folder browser.', undefined, 'UnsupportedError');
    return { dir: await ctx.host.pickFolder(title) };
  },
  'projects.copy': ({ projectDir, to }, ctx) =>
    ctx.jobs.start({
      kind: 'project.copy',
      title: `Copy the project to ${to}`,
      scope: projectDir,
      run: async (job) => {
        const result = await copyProject(projectDir, to, { signal: job.signal, onProgress: (f, m) => job.progress(f, m) });
        job.log(`Copied ${result.files} files (${result.bytes} bytes) from ${result.from} to ${result.to}`, 'info');
        if (result.skipped.length) job.log(`Left out (build outputs, made again by a build): ${result.skipped.join(', ')}`, 'info');
        return result;
      },
    }),
  'fs.listDir': ({ dir, showFiles }) => listDir(dir, showFiles ?? false),
};
