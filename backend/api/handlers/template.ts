import { TemplateDrafts } from '../../template/drafts';
import { createTemplate, locateTemplate, openTemplate, saveTemplate, templateDiskState } from '../../template/template-files';
import { TemplateValidator } from '../../template/template-validator';
import type { BackendContext, HandlerMap } from '../types';

const validators = new WeakMap<BackendContext, TemplateValidator>();

/** One validation thread per back end, stopped with it. */
function templateValidator(ctx: BackendContext): TemplateValidator {
  let v = validators.get(ctx);
  if (!v) {
    const created = new TemplateValidator();
    validators.set(ctx, created);
    ctx.onDispose(() => created.dispose());
    v = created;
  }
  return v;
}

const drafts = (userDataDir: string) => new TemplateDrafts(userDataDir);

export const templateHandlers: HandlerMap<
  'template.open' | 'template.save' | 'template.create' | 'template.diskState' | 'template.saveDraft' | 'template.discardDraft' | 'template.validate'
> = {
  'template.open': ({ projectDir, path }, ctx) => openTemplate(projectDir, path, drafts(ctx.userDataDir)),
  'template.save': ({ projectDir, path, text, baseHash, force }, ctx) => saveTemplate(projectDir, path, text, baseHash, force ?? false, drafts(ctx.userDataDir)),
  'template.create': ({ projectDir, path, text }, ctx) => createTemplate(projectDir, path, text, drafts(ctx.userDataDir)),
  'template.diskState': ({ projectDir, path, knownHash }) => templateDiskState(projectDir, path, knownHash),
  'template.saveDraft': async ({ projectDir, path, text, baseHash }, ctx) => {
    const { savedAt } = await drafts(ctx.userDataDir).save(locateTemplate(projectDir, path).file, text, baseHash);
    return { savedAt };
  },
  'template.discardDraft': async ({ projectDir, path }, ctx) => {
    await drafts(ctx.userDataDir).discard(locateTemplate(projectDir, path).file);
    return {};
  },
  'template.validate': ({ projectDir, path, text }, ctx) => templateValidator(ctx).validate(projectDir, path, text),
};
