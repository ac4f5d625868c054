import type { Session, WebContents } from 'electron';
import { RENDERER_URL } from './app-protocol';
import { isSafeExternalUrl, isTrustedRendererUrl } from './window-options';

/** Only the app's own page may be (re)loaded in a frame; hash routes never leave it. */
export function isAppPage(url: string): boolean {
  return isTrustedRendererUrl(url, RENDERER_URL);
}

/**
 * Every web contents the app creates (the main window, and anything else that might appear): no
 * navigation away from the app's page, in any frame, by link, script or server redirect; no new
 * windows (safe links go to the system browser instead); no <webview>; no Bluetooth device picker.
 */
export function guardWebContents(contents: WebContents, openExternal: (url: string) => void): void {
  const stayOnAppPage = (e: { url: string; preventDefault(): void }) => {
    if (!isAppPage(e.url)) e.preventDefault();
  };
  contents.on('will-navigate', (e) => stayOnAppPage(e));
  contents.on('will-frame-navigate', (e) => stayOnAppPage(e));
  contents.on('will-redirect', (e) => stayOnAppPage(e));
  contents.on('will-attach-webview', (e) => e.preventDefault());
  contents.on('select-bluetooth-device', (e, _devices, callback) => {
    e.preventDefault();
    callback('');
  });
  contents.setWindowOpenHandler(({ url }) => {
    if (isSafeExternalUrl(url)) openExternal(url);
    return { action: 'deny' };
  });
}

/**
 * The session denies everything a page could ask the user or the system for: permissions (camera,
 * microphone, notifications, clipboard reading, …) both when requested and when merely checked,
 * devices (HID, serial, USB, Bluetooth), and downloads. The app needs none of them.
 */
export function guardSession(ses: Session): void {
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.setDevicePermissionHandler(() => false);
  ses.setBluetoothPairingHandler((_details, callback) => callback({ confirmed: false }));
  ses.on('select-hid-device', (e, _details, callback) => {
    e.preventDefault();
    callback();
  });
  ses.on('select-serial-port', (e, _ports, _contents, callback) => {
    e.preventDefault();
    callback('');
  });
  ses.on('select-usb-device', (e, _details, callback) => {
    e.preventDefault();
    callback();
  });
  ses.on('will-download', (e) => e.preventDefault());
}
