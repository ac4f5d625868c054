import os from 'node:os';
import type { HandlerMap } from '../types';
import { ApiError } from '@/shared/api/errors';

export const appHandlers: HandlerMap<'app.info' | 'app.copyText'> = {
  'app.info': (_input, ctx) => ({
    name: 'DISM Studio',
    version: ctx.version,
    host: ctx.host.kind,
    platform: `${os.platform()}-${os.arch()}`,
    userDataDir: ctx.userDataDir,
    nativeDialogs: Boolean(ctx.host.pickFolder),
    nativeClipboard: Boolean(ctx.host.writeClipboard),
  }),
  'app.copyText': ({ text }, ctx) => {
    // The browser host's clipboard would be the server's (maybe a remote host's): never copy there.
    if (!ctx.host.writeClipboard)
      throw new ApiError(
        'NOT_AVAILABLE',
        'Copying through DISM Studio is only for the desktop app; in the browser, the page copies to your clipboard.',
        undefined,
        'NotAvailableError',
      );
    ctx.host.writeClipboard(text);
    return { copied: true as const };
  },
};
