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

/** Electron's preload bridge when present, else the browser host's WebSocket. */
export function createApi(onConnection?: (connected: boolean) => void): DismApi {
  if (window.dismBridge) return fromBridge(window.dismBridge);
  const params = new URLSearchParams(location.search);
  const token = params.get('token') ?? sessionStorage.getItem('dism_token');
  if (token) sessionStorage.setItem('dism_token', token);
  return createWebSocketApi(token, onConnection);
}

/** Open a URL in the user's browser (system browser in Electron, new tab in the browser host). */
export function openExternal(url: string): void {
  if (window.dismBridge?.openExternal) void window.dismBridge.openExternal(url);
  else window.open(url, '_blank', 'noopener,noreferrer');
}
