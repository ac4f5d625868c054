import { requireDirectory } from '@/backend/projects/project-folder';
import type { HandlerMap } from '../types';

export const dismcliHandlers: HandlerMap<
  | 'dismcli.runner.get'
  | 'dismcli.runner.save'
  | 'dismcli.runner.build'
  | 'dismcli.dials.get'
  | 'dismcli.dials.set'
  | 'dismcli.run'
  | 'dismcli.events'
> = {
  'dismcli.runner.get': async ({ projectDir }, ctx) => ctx.dismcli.runner(await requireDirectory(projectDir)),
  'dismcli.runner.save': async ({ projectDir, recipe }, ctx) => ctx.dismcli.saveRunner(await requireDirectory(projectDir), recipe),
  'dismcli.runner.build': async ({ projectDir, force }, ctx) => ctx.dismcli.buildRunner(await requireDirectory(projectDir), force),
  'dismcli.dials.get': async ({ projectDir }, ctx) => ctx.dismcli.dials(await requireDirectory(projectDir)),
  'dismcli.dials.set': async ({ projectDir, choice, customUrl }, ctx) =>
    ctx.dismcli.setDials(await requireDirectory(projectDir), choice, customUrl),
  'dismcli.run': async ({ projectDir, command, template, bindEngine }, ctx) =>
    ctx.dismcli.run({ projectDir: await requireDirectory(projectDir), command, template, bindEngine }),
  'dismcli.events': ({ jobId }, ctx) => ctx.dismcli.events(jobId),
};
