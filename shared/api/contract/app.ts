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
});
export type AppInfo = z.infer<typeof AppInfo>;

export const appMethods = {
  'app.info': method(z.object({}).strict(), AppInfo, 'Versions and host capabilities'),
};
