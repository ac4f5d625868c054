import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { APP_SCHEME_PRIVILEGES, RENDERER_URL, resolveAppRequest } from '@/electron/app-protocol';
import { secureWindowOptions } from '@/electron/window-options';
import { contentSecurityPolicy } from '@/shared/api/csp';

/**
 * electron/main.ts run against a stand-in `electron` module (the Electron binary cannot be
 * downloaded here). The stand-in records what main.ts registers, like Electron would call it, so
 * the tests drive the real handlers: navigation, redirects, new windows, permissions, devices, the
 * app:// protocol and IPC. The back end behind them is the real one.
 */
type Listener = (...args: any[]) => any;

const fake = vi.hoisted(() => {
  const on = (store: Map<string, Listener[]>) => (event: string, fn: Listener) => {
    store.set(event, [...(store.get(event) ?? []), fn]);
  };
  let readyResolve!: () => void;
  const readyPromise = new Promise<void>((r) => (readyResolve = r));
  const appListeners = new Map<string, Listener[]>();
  const paths = new Map<string, string>();
  const state = { readyFired: false, privilegedBeforeReady: false, quit: 0 };

  class FakeWebContents {
    listeners = new Map<string, Listener[]>();
    windowOpenHandler: Listener | null = null;
    on = on(this.listeners);
    setWindowOpenHandler(fn: Listener) {
      this.windowOpenHandler = fn;
    }
    send = () => undefined;
    emit(event: string, ...args: any[]) {
      for (const l of this.listeners.get(event) ?? []) l(...args);
    }
  }
  class FakeSession {
    listeners = new Map<string, Listener[]>();
    handlers: Record<string, Listener> = {};
    on = on(this.listeners);
    setPermissionRequestHandler(fn: Listener) {
      this.handlers.permissionRequest = fn;
    }
    setPermissionCheckHandler(fn: Listener) {
      this.handlers.permissionCheck = fn;
    }
    setDevicePermissionHandler(fn: Listener) {
      this.handlers.devicePermission = fn;
    }
    setBluetoothPairingHandler(fn: Listener) {
      this.handlers.bluetoothPairing = fn;
    }
  }
  const windows: any[] = [];
  class BrowserWindow {
    webContents = new FakeWebContents();
    loadedUrl: string | null = null;
    constructor(public options: unknown) {
      windows.push(this);
      // Electron announces every new web contents to the app.
      for (const l of appListeners.get('web-contents-created') ?? []) l({}, this.webContents);
    }
    static getAllWindows = () => windows;
    once() {}
    show() {}
    async loadURL(url: string) {
      this.loadedUrl = url;
    }
  }
  const protocolHandlers = new Map<string, Listener>();
  const ipc = new Map<string, Listener>();
  const opened: string[] = [];
  const clipboardTexts: string[] = [];
  const defaultSession = new FakeSession();
  const electron = {
    app: {
      setPath: (k: string, v: string) => paths.set(k, v),
      getPath: (k: string) => paths.get(k)!,
      enableSandbox: () => undefined,
      whenReady: () => readyPromise,
      on: on(appListeners),
      quit: () => {
        state.quit++;
      },
    },
    protocol: {
      registerSchemesAsPrivileged: (schemes: unknown) => {
        state.privilegedBeforeReady = !state.readyFired;
        (electron.protocol as any).registered = schemes;
      },
      handle: (scheme: string, fn: Listener) => protocolHandlers.set(scheme, fn),
    },
    session: { defaultSession },
    BrowserWindow,
    ipcMain: { handle: (channel: string, fn: Listener) => ipc.set(channel, fn) },
    dialog: { showOpenDialog: async () => ({ canceled: true, filePaths: [] }) },
    shell: { openExternal: async (url: string) => void opened.push(url) },
    clipboard: { writeText: (text: string) => void clipboardTexts.push(text) },
  };
  return {
    electron,
    state,
    windows,
    protocolHandlers,
    ipc,
    opened,
    clipboardTexts,
    defaultSession,
    appListeners,
    ready: () => {
      state.readyFired = true;
      readyResolve();
    },
  };
});

vi.mock('electron', () => ({ ...fake.electron, default: fake.electron }));

let userData: string;
const repoRoot = path.resolve(__dirname, '../..');

beforeAll(async () => {
  userData = mkdtempSync(path.join(os.tmpdir(), 'dism-electron-fake-'));
  process.env.DISM_STUDIO_USER_DATA = userData;
  await import('@/electron/main');
  fake.ready();
  for (let i = 0; i < 400 && !fake.windows[0]?.loadedUrl; i++) await new Promise((r) => setTimeout(r, 25));
});
afterAll(async () => {
  const quitting = fake.appListeners.get('before-quit')?.[0];
  if (quitting) {
    quitting({ preventDefault: () => undefined });
    for (let i = 0; i < 400 && fake.state.quit === 0; i++) await new Promise((r) => setTimeout(r, 25));
  }
  delete process.env.DISM_STUDIO_USER_DATA;
  rmSync(userData, { recursive: true, force: true });
});

const preventable = <T extends Record<string, unknown>>(extra: T) => {
  const e = { ...extra, prevented: false, preventDefault: () => (e.prevented = true) };
  return e;
};
const contents = () => fake.windows[0].webContents;

describe('Electron main process (stand-in electron module)', () => {
  it('registers app:// as a secure standard scheme before the app is ready, without CSP bypass', () => {
    expect(fake.state.privilegedBeforeReady).toBe(true);
    expect((fake.electron.protocol as any).registered).toEqual([{ scheme: 'app', privileges: { ...APP_SCHEME_PRIVILEGES } }]);
    expect(APP_SCHEME_PRIVILEGES).toEqual({ standard: true, secure: true, supportFetchAPI: true, codeCache: true });
  });

  it('opens one window with the secure options on app://dism-studio/index.html, not file://', () => {
    expect(fake.windows).toHaveLength(1);
    expect(fake.windows[0].options).toEqual(secureWindowOptions(path.join(repoRoot, 'electron', 'preload.cjs')));
    expect(fake.windows[0].loadedUrl).toBe('app://dism-studio/index.html');
  });

  it('serves the renderer through app:// with the shared CSP, which allows no WebSocket', async () => {
    const handle = fake.protocolHandlers.get('app')!;
    const res: Response = await handle(new Request('app://dism-studio/index.html'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(contentSecurityPolicy());
    expect(res.headers.get('content-security-policy')).toContain("connect-src 'self';");
    expect(res.headers.get('content-security-policy')).not.toMatch(/ws:|127\.0\.0\.1|localhost/);
    expect(await res.text()).toContain('<div id="root"></div>');
    expect((await handle(new Request('app://dism-studio/'))).status).toBe(200);
  });

  it('refuses app:// paths outside the renderer folder, other hosts and other methods', async () => {
    const handle = fake.protocolHandlers.get('app')!;
    // package.json exists one level above the renderer folder: a traversal would find it.
    for (const url of [
      'app://dism-studio/%2e%2e/package.json',
      'app://dism-studio/%2E%2E%2Fpackage.json',
      'app://dism-studio/..%5Cpackage.json',
      'app://dism-studio/%2e%2e/%2e%2e/etc/passwd',
      'app://dism-studio/index.html%00.png',
      'app://evil/index.html',
      'app://dism-studio/src',
      'app://dism-studio/%E0%A4%A',
    ]) {
      expect((await handle(new Request(url))).status, url).toBe(404);
    }
    expect((await handle(new Request('app://dism-studio/index.html', { method: 'POST', body: 'x' }))).status).toBe(405);
    const root = path.join(repoRoot, 'renderer');
    expect(resolveAppRequest('app://dism-studio/favicon.png', root)).toBe(path.join(root, 'favicon.png'));
    // The URL parser already folds "/../" and "/%2e%2e/"; an encoded slash survives it and is caught after decoding.
    expect(resolveAppRequest('app://dism-studio/%2e%2e/package.json', root)).toBe(path.join(root, 'package.json'));
    expect(resolveAppRequest('app://dism-studio/%2e%2e%2fpackage.json', root)).toBeNull();
    expect(resolveAppRequest('app://dism-studio/assets%2f..%2f..%2f..%2fpackage.json', root)).toBeNull();
    expect(resolveAppRequest('file:///etc/passwd', root)).toBeNull();
  });

  it('keeps every frame on the app page: navigation, frame navigation and redirects elsewhere are cancelled', () => {
    for (const event of ['will-navigate', 'will-frame-navigate', 'will-redirect']) {
      for (const url of [
        'https://evil.example/',
        'file:///etc/passwd',
        'http://127.0.0.1:8765/?token=x',
        'app://dism-studio/other.html',
        'app://evil/index.html',
        'data:text/html,hi',
      ]) {
        const e = preventable({ url, isMainFrame: event !== 'will-frame-navigate' });
        contents().emit(event, e, url);
        expect(e.prevented, `${event} ${url}`).toBe(true);
      }
      const own = preventable({ url: `${RENDERER_URL}#/preview`, isMainFrame: true });
      contents().emit(event, own, own.url);
      expect(own.prevented, `${event} to the app page`).toBe(false);
    }
  });

  it('opens no windows: safe links go to the system browser, others nowhere; no <webview>', () => {
    const open = contents().windowOpenHandler!;
    expect(open({ url: 'https://cmsdials.web.cern.ch/' })).toEqual({ action: 'deny' });
    expect(open({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(open({ url: 'javascript:alert(1)' })).toEqual({ action: 'deny' });
    expect(open({ url: 'app://dism-studio/index.html' })).toEqual({ action: 'deny' });
    expect(fake.opened).toEqual(['https://cmsdials.web.cern.ch/']);
    const webview = preventable({});
    contents().emit('will-attach-webview', webview, {}, {});
    expect(webview.prevented).toBe(true);
  });

  it('denies every permission request and check, every device and every download', () => {
    const s = fake.defaultSession;
    for (const permission of ['media', 'notifications', 'geolocation', 'clipboard-read', 'openExternal', 'fullscreen', 'hid', 'unknown']) {
      let granted: boolean | undefined;
      s.handlers.permissionRequest({}, permission, (g: boolean) => (granted = g), {});
      expect(granted, permission).toBe(false);
      expect(s.handlers.permissionCheck({}, permission, 'app://dism-studio', {}), permission).toBe(false);
    }
    expect(s.handlers.devicePermission({ deviceType: 'usb', origin: 'app://dism-studio', device: {} })).toBe(false);
    let pairing: unknown;
    s.handlers.bluetoothPairing({}, (r: unknown) => (pairing = r));
    expect(pairing).toEqual({ confirmed: false });
    for (const [event, args] of [
      ['select-hid-device', [{}]],
      ['select-usb-device', [{}]],
      ['select-serial-port', [[], {}]],
    ] as const) {
      const e = preventable({});
      let picked: unknown = 'not called';
      s.listeners.get(event)![0](e, ...args, (id?: string) => (picked = id ?? ''));
      expect(e.prevented, event).toBe(true);
      expect(picked, event).toBe('');
    }
    const download = preventable({});
    s.listeners.get('will-download')![0](download, {}, {});
    expect(download.prevented).toBe(true);
    const bt = preventable({});
    let device: unknown;
    contents().emit('select-bluetooth-device', bt, [{ deviceId: 'x' }], (id: string) => (device = id));
    expect(bt.prevented).toBe(true);
    expect(device).toBe('');
  });

  it('answers IPC only from the app page, with the real back end', async () => {
    const invoke = fake.ipc.get('dism:invoke')!;
    const fromApp = await invoke({ senderFrame: { url: `${RENDERER_URL}#/model` } }, 'app.info', {});
    expect(fromApp).toMatchObject({ ok: true, result: { name: 'DISM Studio', host: 'electron', userDataDir: userData } });
    for (const senderFrame of [
      { url: 'file:///opt/dism/dist/renderer/index.html' },
      { url: 'https://evil.example/' },
      { url: 'app://evil/index.html' },
      null,
    ]) {
      expect(await invoke({ senderFrame }, 'app.info', {})).toEqual({
        ok: false,
        error: { name: 'SecurityError', message: 'IPC from an untrusted frame was refused.' },
      });
    }
    // Copy buttons: the renderer has no clipboard permission, so the main process writes the text.
    expect(fromApp).toMatchObject({ result: { nativeClipboard: true } });
    expect(await invoke({ senderFrame: { url: RENDERER_URL } }, 'app.copyText', { text: '[Request] Model registration' })).toEqual({
      ok: true,
      result: { copied: true },
    });
    expect(fake.clipboardTexts).toEqual(['[Request] Model registration']);
    const openExternal = fake.ipc.get('dism:openExternal')!;
    expect(await openExternal({ senderFrame: { url: 'https://evil.example/' } }, 'https://cmsdials.web.cern.ch/')).toBe(false);
    expect(await openExternal({ senderFrame: { url: RENDERER_URL } }, 'file:///etc/passwd')).toBe(false);
  });
});
