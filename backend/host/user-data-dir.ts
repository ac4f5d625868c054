import os from 'node:os';
import path from 'node:path';

/**
 * Same folder for Electron and the browser host, so both see the same recent projects and drafts.
 * DISM_STUDIO_USER_DATA overrides it (tests, portable installs).
 */
export function defaultUserDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DISM_STUDIO_USER_DATA) return path.resolve(env.DISM_STUDIO_USER_DATA);
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Application Support', 'dism-studio');
  if (process.platform === 'win32') return path.join(env.APPDATA ?? path.join(os.homedir(), 'AppData', 'Roaming'), 'dism-studio');
  return path.join(env.XDG_CONFIG_HOME ?? path.join(os.homedir(), '.config'), 'dism-studio');
}
