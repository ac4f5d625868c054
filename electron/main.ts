import { app, BrowserWindow, clipboard, dialog, ipcMain, protocol, session, shell } from 'electron';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBackend, type Backend } from '@/backend/api/create-backend';
import { defaultUserDataDir } from '@/backend/host/user-data-dir';
import { APP_SCHEME, APP_SCHEME_PRIVILEGES, RENDERER_URL, appProtocolHandler } from './app-protocol';
import { guardSession, guardWebContents, isAppPage } from './guards';
import { isSafeExternalUrl, secureWindowOptions } from './window-options';

// Thin adapter: window + IPC mapping. All logic lives in backend/ (plain Node).
const here = path.dirname(fileURLToPath(import.meta.url));
const preloadPath = path.join(here, 'preload.cjs');
const rendererRoot = path.join(here, '..', 'renderer');

// Must happen before the app is ready.
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { ...APP_SCHEME_PRIVILEGES } }]);
app.setPath('userData', defaultUserDataDir());
app.enableSandbox();
app.on('web-contents-created', (_event, contents) => guardWebContents(contents, (url) => void shell.openExternal(url)));

let backend: Backend | undefined;
let mainWindow: BrowserWindow | undefined;

async function createWindow(): Promise<void> {
  const win = new BrowserWindow(secureWindowOptions(preloadPath));
  mainWindow = win;
  win.once('ready-to-show', () => win.show());
  await win.loadURL(RENDERER_URL);
}

app.whenReady().then(async () => {
  guardSession(session.defaultSession);
  protocol.handle(APP_SCHEME, appProtocolHandler(rendererRoot));
  backend = await createBackend({
    host: {
      kind: 'electron',
      pickFolder: async (title) => {
        const r = await dialog.showOpenDialog(mainWindow!, { title: title ?? 'Open project folder', properties: ['openDirectory'] });
        return r.canceled ? null : (r.filePaths[0] ?? null);
      },
      // The renderer gets no clipboard permission (every permission is denied); Copy buttons come here.
      writeClipboard: (text) => clipboard.writeText(text),
    },
    userDataDir: app.getPath('userData'),
  });
  ipcMain.handle('dism:invoke', async (event, method: unknown, input: unknown) => {
    if (!event.senderFrame || !isAppPage(event.senderFrame.url)) {
      return { ok: false, error: { name: 'SecurityError', message: 'IPC from an untrusted frame was refused.' } };
    }
    return backend!.dispatch(method, input);
  });
  ipcMain.handle('dism:openExternal', async (event, url: unknown) => {
    if (!event.senderFrame || !isAppPage(event.senderFrame.url) || typeof url !== 'string' || !isSafeExternalUrl(url)) return false;
    await shell.openExternal(url);
    return true;
  });
  backend.onEvent((name, payload) => {
    for (const w of BrowserWindow.getAllWindows()) w.webContents.send('dism:event', name, payload);
  });
  await createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) void createWindow();
  });
});

let quitting = false;
app.on('before-quit', (event) => {
  // Stop containers and jobs this app started before exiting.
  if (quitting || !backend) return;
  event.preventDefault();
  quitting = true;
  void backend.dispose().finally(() => app.quit());
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
