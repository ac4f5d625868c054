import type { ApiReply } from './client';

/** Messages on the browser host's WebSocket (same contract as Electron IPC, different transport). */
export type ClientMessage = { t: 'call'; id: number; method: string; input: unknown };
export type ServerMessage =
  | { t: 'reply'; id: number; reply: ApiReply }
  | { t: 'event'; event: string; payload: unknown };

export const WS_PATH = '/api';
export const TOKEN_COOKIE = 'dism_token';
