import type { DismApi } from '@/shared/api/client';
import { ApiError, deserializeError } from '@/shared/api/errors';
import { MAX_MESSAGE_BYTES, WS_PATH, type ClientMessage, type ServerMessage } from '@/shared/api/ws-protocol';

type Pending = { resolve: (v: unknown) => void; reject: (e: unknown) => void };

/**
 * The browser host's transport: one WebSocket, reconnecting, same DismApi surface as Electron. It
 * authenticates with the session cookie the page load set (same origin, so the browser sends it).
 */
export function createWebSocketApi(onConnection?: (connected: boolean) => void): DismApi {
  let ws: WebSocket | undefined;
  let nextId = 1;
  let ready: Promise<WebSocket> | undefined;
  const pending = new Map<number, Pending>();
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  const reconnectListeners = new Set<() => void>();
  let everOpen = false;
  let retryMs = 250;

  const connect = (): Promise<WebSocket> => {
    ready ??= new Promise<WebSocket>((resolve, reject) => {
      const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
      const sock = new WebSocket(`${proto}//${location.host}${WS_PATH}`);
      sock.onopen = () => {
        ws = sock;
        retryMs = 250;
        onConnection?.(true);
        resolve(sock);
        // Back after a drop: events of the gap are lost; followers fetch what they show again.
        if (everOpen) for (const l of [...reconnectListeners]) l();
        everOpen = true;
      };
      sock.onmessage = (e) => {
        const msg = JSON.parse(String(e.data)) as ServerMessage;
        if (msg.t === 'reply') {
          const p = pending.get(msg.id);
          pending.delete(msg.id);
          if (!p) return;
          if (msg.reply.ok) p.resolve(msg.reply.result);
          else p.reject(deserializeError(msg.reply.error));
        } else if (msg.t === 'event') {
          for (const l of listeners.get(msg.event) ?? []) l(msg.payload);
        }
      };
      sock.onclose = () => {
        const wasOpen = ws === sock;
        ws = undefined;
        ready = undefined;
        onConnection?.(false);
        for (const [id, p] of pending) {
          p.reject(new ApiError('DISCONNECTED', 'Lost the connection to the DISM Studio back end. Is `npm run serve` still running?'));
          pending.delete(id);
        }
        if (!wasOpen)
          reject(
            new ApiError(
              'DISCONNECTED',
              'Cannot reach the DISM Studio back end. If it was restarted, open the new URL it printed (with ?token=…).',
            ),
          );
        setTimeout(() => void connect().catch(() => undefined), retryMs);
        retryMs = Math.min(retryMs * 2, 5000);
      };
    });
    return ready;
  };
  void connect().catch(() => undefined);

  return {
    async invoke(method, input) {
      const sock = ws ?? (await connect());
      const id = nextId++;
      const msg: ClientMessage = { t: 'call', id, method, input };
      const text = JSON.stringify(msg);
      // The server would drop the connection over it; say why instead.
      if (text.length * 3 > MAX_MESSAGE_BYTES && new TextEncoder().encode(text).length > MAX_MESSAGE_BYTES) {
        throw new ApiError(
          'REQUEST_TOO_LARGE',
          `This request (${method}) is larger than the ${MAX_MESSAGE_BYTES / 2 ** 20} MB the connection to the back end carries.`,
        );
      }
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        sock.send(text);
      });
    },
    on(event, listener) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      const l = listener as (p: unknown) => void;
      set.add(l);
      return () => set.delete(l);
    },
    onReconnect(listener) {
      reconnectListeners.add(listener);
      return () => void reconnectListeners.delete(listener);
    },
  };
}
