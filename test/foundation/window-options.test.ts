import { describe, expect, it } from 'vitest';
import { RENDERER_URL } from '@/electron/app-protocol';
import { isSafeExternalUrl, isTrustedRendererUrl, secureWindowOptions } from '@/electron/window-options';

describe('Electron BrowserWindow security settings', () => {
  const opts = secureWindowOptions('/app/dist/node/preload.cjs');

  it('isolates and sandboxes the renderer', () => {
    expect(opts.webPreferences).toMatchObject({
      preload: '/app/dist/node/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
  });

  it('trusts IPC only from the app page itself', () => {
    const index = RENDERER_URL;
    expect(isTrustedRendererUrl('app://dism-studio/index.html#/preview', index)).toBe(true);
    expect(isTrustedRendererUrl('app://dism-studio/other.html', index)).toBe(false);
    expect(isTrustedRendererUrl('app://evil/index.html', index)).toBe(false);
    expect(isTrustedRendererUrl('file:///opt/dism/dist/renderer/index.html', index)).toBe(false);
    expect(isTrustedRendererUrl('file:///tmp/evil.html', index)).toBe(false);
    expect(isTrustedRendererUrl('https://example.org/', index)).toBe(false);
    expect(isTrustedRendererUrl(undefined, index)).toBe(false);
  });

  it('hands only https (or local http) links to the system browser', () => {
    expect(isSafeExternalUrl('https://cmsdials.web.cern.ch/device')).toBe(true);
    expect(isSafeExternalUrl('http://127.0.0.1:8080/v2')).toBe(true);
    expect(isSafeExternalUrl('file:///etc/passwd')).toBe(false);
    expect(isSafeExternalUrl('javascript:alert(1)')).toBe(false);
    expect(isSafeExternalUrl('http://example.org')).toBe(false);
  });
});
