import type { DismApi, DismBridge } from '@/shared/api/client';
import { events, type EventName } from '@/shared/api/contract';
import { deserializeError } from '@/shared/api/errors';
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

/**
 * Every event from the back end is checked against its schema in the contract once, here, for
 * both transports; listeners get the checked payload. One that does not match (a back end of
 * another version) is dropped and logged: a screen never sees data of the wrong shape.
 */
export function checkedEvents(api: DismApi): DismApi {
  const listeners = new Map<EventName, Set<(p: unknown) => void>>();
  return {
    invoke: api.invoke.bind(api),
    ...(api.onReconnect ? { onReconnect: api.onReconnect.bind(api) } : {}),
    on(event, listener) {
      let set = listeners.get(event);
      if (!set) {
        const mine = (set = new Set());
        listeners.set(event, mine);
        const schema = events[event];
        api.on(event, (payload) => {
          const checked = schema.safeParse(payload);
          if (!checked.success) {
            console.error(`DISM Studio: dropped a ${event} event that does not match the API contract`, checked.error.issues, payload);
            return;
          }
          for (const l of [...mine]) l(checked.data);
        });
      }
      const l = listener as (p: unknown) => void;
      set.add(l);
      return () => void set.delete(l);
    },
  };
}

/** Electron's preload bridge when present, else the browser host's WebSocket. */
export function createApi(onConnection?: (connected: boolean) => void): DismApi {
  if (window.dismBridge) return checkedEvents(fromBridge(window.dismBridge));
  forgetTokenInAddressBar();
  return checkedEvents(createWebSocketApi(onConnection));
}

/** Open a URL in the user's browser (system browser in Electron, new tab in the browser host). */
export function openExternal(url: string): void {
  if (window.dismBridge?.openExternal) void window.dismBridge.openExternal(url);
  else window.open(url, '_blank', 'noopener,noreferrer');
}
