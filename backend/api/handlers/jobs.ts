import type { HandlerMap } from '../types';

export const jobHandlers: HandlerMap<'jobs.list' | 'jobs.get' | 'jobs.cancel' | 'jobs.logs'> = {
  'jobs.list': (input, ctx) => ctx.jobs.list(input),
  'jobs.get': ({ id }, ctx) => ctx.jobs.get(id),
  'jobs.cancel': ({ id }, ctx) => ctx.jobs.cancel(id),
  'jobs.logs': ({ id, afterSeq, limit }, ctx) => ctx.jobs.logs(id, afterSeq, limit),
};
