import { z } from 'zod';
import { method } from './define';

export const AppInfo = z.object({
  name: z.string(),
  version: z.string(),
  host: z.enum(['electron', 'browser', 'test']),
  platform: z.string(),
  userDataDir: z.string(),
  /** True when the host can show a native folder picker (Electron). */
  nativeDialogs: z.boolean(),
  /** True when app.copyText puts text on the clipboard (Electron: the renderer has no clipboard permission). */
  nativeClipboard: z.boolean(),
});
export type AppInfo = z.infer<typeof AppInfo>;

export const appMethods = {
  'app.info': method(z.object({}).strict(), AppInfo, 'Versions and host capabilities'),
  'app.copyText': method(
    z.object({ text: z.string().max(1_048_576) }).strict(),
    z.object({ copied: z.literal(true) }),
    'Put text the user asked to copy on the clipboard (desktop app only: the browser host copies in the browser, on the user’s machine)',
  ),
};
