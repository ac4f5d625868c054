import { ApiError } from '../../../shared/api/errors';
import { listDir, summarizeProject } from '../../projects/project-folder';
import type { HandlerMap } from '../types';

export const projectHandlers: HandlerMap<'projects.recent' | 'projects.open' | 'projects.forget' | 'projects.pickFolder' | 'fs.listDir'> = {
  'projects.recent': (_i, ctx) => ctx.settings.recent(),
  'projects.open': async ({ dir }, ctx) => {
    const summary = await summarizeProject(dir);
    if (!summary.isDemo) await ctx.settings.rememberProject(summary.dir, summary.name);
    return summary;
  },
  'projects.forget': ({ dir }, ctx) => ctx.settings.forgetProject(dir),
  'projects.pickFolder': async ({ title }, ctx) => {
    if (!ctx.host.pickFolder) throw new ApiError('UNSUPPORTED', 'This host has no native folder picker; use the folder browser.', undefined, 'UnsupportedError');
    return { dir: await ctx.host.pickFolder(title) };
  },
  'fs.listDir': ({ dir, showFiles }) => listDir(dir, showFiles ?? false),
};
