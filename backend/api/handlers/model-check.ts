import type { HandlerMap } from '../types';

export const modelCheckHandlers: HandlerMap<
  | 'modelCheck.targets'
  | 'modelCheck.run'
  | 'modelCheck.vendorPlan'
  | 'modelCheck.vendorApply'
  | 'modelCheck.addAliases'
  | 'modelCheck.redump'
> = {
  'modelCheck.targets': ({ projectDir }, ctx) => ctx.modelCheck.targets(projectDir),
  'modelCheck.run': (input, ctx) => ctx.modelCheck.start(input),
  'modelCheck.vendorPlan': ({ templateFile, resourceKey, image }, ctx) => ctx.modelCheck.plan(templateFile, resourceKey, image),
  'modelCheck.vendorApply': ({ templateFile, resourceKey, planId, image }, ctx) =>
    ctx.modelCheck.apply(templateFile, resourceKey, planId, image),
  'modelCheck.addAliases': ({ templateFile, resourceKey }, ctx) => ctx.modelCheck.aliases(templateFile, resourceKey),
  'modelCheck.redump': (input, ctx) => ctx.modelCheck.redump(input),
};
