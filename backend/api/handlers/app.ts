import os from 'node:os';
import type { HandlerMap } from '../types';

export const appHandlers: HandlerMap<'app.info'> = {
  'app.info': (_input, ctx) => ({
    name: 'DISM Studio',
    version: ctx.version,
    host: ctx.host.kind,
    platform: `${os.platform()}-${os.arch()}`,
    userDataDir: ctx.userDataDir,
    nativeDialogs: Boolean(ctx.host.pickFolder),
  }),
};
