import type { EventName, EventPayload, MethodInput, MethodName, MethodOutput } from './contract';

/**
 * What the renderer sees. Two transports implement it: Electron's preload (contextBridge) and the
 * browser host's WebSocket. Neither the UI nor the back end knows which one is in use.
 */
export interface DismApi {
  invoke<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
  /**
   * Called when the transport lost the back end and reached it again: events sent in between are
   * lost, so whoever follows back-end state fetches it again. Absent where the connection cannot
   * drop (Electron's IPC).
   */
  onReconnect?(listener: () => void): () => void;
}

/** Envelope used by every transport so errors keep their name and message. */
export type ApiReply = { ok: true; result: unknown } | { ok: false; error: import('./errors').SerializedError };

/** The untyped surface the preload exposes on `window.dismBridge`. */
export interface DismBridge {
  invoke(method: string, input: unknown): Promise<ApiReply>;
  on(event: string, listener: (payload: unknown) => void): () => void;
  /** Opens an https URL in the system browser (Electron only). */
  openExternal?(url: string): Promise<boolean>;
}
