import { requireDirectory } from '@/backend/projects/project-folder';
import type { HandlerMap } from '../types';

export const dialsHandlers: HandlerMap<
  | 'dials.account'
  | 'dials.signIn'
  | 'dials.signInEvents'
  | 'dials.signOut'
  | 'dials.templateMes'
  | 'dials.datasets'
  | 'dials.fetch'
  | 'dials.projectData'
  | 'dials.models'
  | 'dials.flags'
> = {
  'dials.account': async ({ projectDir }, ctx) => ctx.dials.account(await requireDirectory(projectDir)),
  'dials.signIn': async ({ projectDir }, ctx) => ctx.dials.signIn(await requireDirectory(projectDir)),
  'dials.signInEvents': ({ jobId }, ctx) => ctx.dials.signInEventsOf(jobId),
  'dials.signOut': async ({ projectDir }, ctx) => ctx.dials.signOut(await requireDirectory(projectDir)),
  'dials.templateMes': async ({ projectDir, template }, ctx) => ctx.dials.templateMes(await requireDirectory(projectDir), template),
  'dials.datasets': async ({ projectDir, query, workspace }, ctx) =>
    ctx.dials.datasets(await requireDirectory(projectDir), query, workspace),
  'dials.fetch': async (input, ctx) => ctx.dials.fetch({ ...input, projectDir: await requireDirectory(input.projectDir) }),
  'dials.projectData': async ({ projectDir }, ctx) => ctx.dials.projectData(await requireDirectory(projectDir)),
  'dials.models': async ({ projectDir, workspace }, ctx) => ctx.dials.models(await requireDirectory(projectDir), workspace),
  'dials.flags': async ({ projectDir, modelId }, ctx) => ctx.dials.flags(await requireDirectory(projectDir), modelId),
};
