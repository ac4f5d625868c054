import { checkProjectLocation } from '@/backend/engine/project-location';
import type { HandlerMap } from '../types';

export const engineHandlers: HandlerMap<'engine.status' | 'engine.startPodmanService' | 'engine.checkProjectLocation'> = {
  'engine.status': async ({ refresh }, ctx) => {
    const current = ctx.engine.current();
    return refresh || current.state === 'checking' ? ctx.engine.refresh() : current;
  },
  'engine.startPodmanService': (_i, ctx) => ctx.engine.startPodmanService(),
  'engine.checkProjectLocation': async ({ projectDir, probe }, ctx) => {
    // The file-system check works without an engine; the probe mount needs one.
    const docker = probe === false ? null : await ctx.engine.client().catch(() => null);
    return checkProjectLocation(projectDir, docker, { probe });
  },
};
