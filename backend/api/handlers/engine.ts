import type { HandlerMap } from '../types';

export const engineHandlers: HandlerMap<'engine.status'> = {
  'engine.status': async ({ refresh }, ctx) => {
    const current = ctx.engine.current();
    return refresh || current.state === 'checking' ? ctx.engine.refresh() : current;
  },
};
