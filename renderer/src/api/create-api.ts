import type { DismApi, DismBridge } from '../../../shared/api/client';
import { deserializeError } from '../../../shared/api/errors';
import { createWebSocketApi } from './ws-client';

declare global {
  interface Window {
    dismBridge?: DismBridge;
  }
}

function fromBridge(bridge: DismBridge): DismApi {
  return {
    async invoke(method, input) {
      const reply = await bridge.invoke(method, input);
      if (reply.ok) return reply.result as never;
      throw deserializeError(reply.error);
    },
    on(event, listener) {
      return bridge.on(event, listener as (p: unknown) => void);
    },
  };
}

/**
 * The browser host's first page load carries the token in the URL; the server has answered it with
 * an HttpOnly session cookie, which is all later requests (the WebSocket, reloads) need. Take the
 * token out of the address bar and history entry right away so it is not bookmarked, shared or
 * shown, and never keep it in script-readable storage.
 */
export function forgetTokenInAddressBar(): void {
  const url = new URL(location.href);
  if (url.searchParams.has('token')) {
    url.searchParams.delete('token');
    history.replaceState(history.state, '', `${url.pathname}${url.search}${url.hash}`);
  }
  sessionStorage.removeItem('dism_token'); // where earlier builds kept it
}

/** Electron's preload bridge when present, else the browser host's WebSocket. */
export function createApi(onConnection?: (connected: boolean) => void): DismApi {
  if (window.dismBridge) return fromBridge(window.dismBridge);
  forgetTokenInAddressBar();
  return createWebSocketApi(onConnection);
}

/** Open a URL in the user's browser (system browser in Electron, new tab in the browser host). */
export function openExternal(url: string): void {
  if (window.dismBridge?.openExternal) void window.dismBridge.openExternal(url);
  else window.open(url, '_blank', 'noopener,noreferrer');
}
