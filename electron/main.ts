import { app, BrowserWindow, dialog, ipcMain, shell, session } from 'electron';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createBackend, type Backend } from '../backend/api/create-backend';
import { defaultUserDataDir } from '../backend/host/user-data-dir';
import { isSafeExternalUrl, isTrustedRendererUrl, secureWindowOptions } from './window-options';

// Thin adapter: window + IPC mapping. All logic lives in backend/ (plain Node).
const here = path.dirname(fileURLToPath(import.meta.url));
const preloadPath = path.join(here, 'preload.cjs');
const rendererIndex = path.join(here, '..', 'renderer', 'index.html');
const rendererUrl = pathToFileURL(rendererIndex).href;

app.setPath('userData', defaultUserDataDir());
app.enableSandbox();

let backend: Backend | undefined;
let mainWindow: BrowserWindow | undefined;

async function createWindow(): Promise<void> {
  const win = new BrowserWindow(secureWindowOptions(preloadPath));
  mainWindow = win;
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (isSafeExternalUrl(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  win.webContents.on('will-navigate', (event, url) => {
    if (url !== rendererUrl) event.preventDefault();
  });
  win.webContents.on('will-attach-webview', (event) => event.preventDefault());
  win.once('ready-to-show', () => win.show());
  await win.loadFile(rendererIndex);
}

app.whenReady().then(async () => {
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  backend = await createBackend({
    host: {
      kind: 'electron',
      pickFolder: async (title) => {
        const r = await dialog.showOpenDialog(mainWindow!, { title: title ?? 'Open project folder', properties: ['openDirectory'] });
        return r.canceled ? null : (r.filePaths[0] ?? null);
      },
    },
    userDataDir: app.getPath('userData'),
  });
  ipcMain.handle('dism:invoke', async (event, method: unknown, input: unknown) => {
    if (!isTrustedRendererUrl(event.senderFrame?.url, rendererUrl)) {
      return { ok: false, error: { name: 'SecurityError', message: 'IPC from an untrusted frame was refused.' } };
    }
    return backend!.dispatch(method, input);
  });
  ipcMain.handle('dism:openExternal', async (event, url: unknown) => {
    if (!isTrustedRendererUrl(event.senderFrame?.url, rendererUrl) || typeof url !== 'string' || !isSafeExternalUrl(url)) return false;
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
