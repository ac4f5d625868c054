import { createTemplate, locateTemplate, openTemplate, saveTemplate, templateDiskState } from '@/backend/template/template-files';
import type { HandlerMap } from '../types';

export const templateHandlers: HandlerMap<
  | 'template.open'
  | 'template.save'
  | 'template.create'
  | 'template.diskState'
  | 'template.saveDraft'
  | 'template.discardDraft'
  | 'template.validate'
> = {
  'template.open': ({ projectDir, path }, ctx) => openTemplate(projectDir, path, ctx.drafts),
  'template.save': ({ projectDir, path, text, baseHash, force }, ctx) =>
    saveTemplate(projectDir, path, text, baseHash, force ?? false, ctx.drafts),
  'template.create': ({ projectDir, path, text }, ctx) => createTemplate(projectDir, path, text, ctx.drafts),
  'template.diskState': ({ projectDir, path, knownHash }) => templateDiskState(projectDir, path, knownHash),
  'template.saveDraft': async ({ projectDir, path, text, baseHash }, ctx) => {
    const { savedAt } = await ctx.drafts.save(locateTemplate(projectDir, path).file, text, baseHash);
    return { savedAt };
  },
  'template.discardDraft': async ({ projectDir, path }, ctx) => {
    await ctx.drafts.discard(locateTemplate(projectDir, path).file);
    return {};
  },
  'template.validate': ({ projectDir, path, text }, ctx) => ctx.templateValidator.validate(projectDir, path, text),
};
