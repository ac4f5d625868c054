import type { DismApi } from '@/shared/api/client';
import type { AppInfo } from '@/shared/api/contract';

let info: Promise<AppInfo> | null = null;

/**
 * Put text the user asked to copy on their clipboard. The desktop app's page has no clipboard
 * permission (every permission request is denied), so its main process writes it (app.copyText);
 * the browser host's page copies itself — on the user's machine, where the browser runs.
 * Rejects when neither works (then the caller selects the text for Ctrl+C).
 */
export async function copyText(api: DismApi, text: string): Promise<void> {
  info ??= api.invoke('app.info', {}).catch((err) => {
    info = null;
    throw err;
  });
  if ((await info).nativeClipboard) await api.invoke('app.copyText', { text });
  else await navigator.clipboard.writeText(text);
}
