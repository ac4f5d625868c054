import type { ApiReply } from './client';

/** Messages on the browser host's WebSocket (same contract as Electron IPC, different transport). */
export type ClientMessage = { t: 'call'; id: number; method: string; input: unknown };
export type ServerMessage = { t: 'reply'; id: number; reply: ApiReply } | { t: 'event'; event: string; payload: unknown };

export const WS_PATH = '/api';

/**
 * Largest message either side sends. Above every legitimate call (the biggest is a template's text,
 * itself limited far below this) yet large enough that an oversized template still reaches the
 * back end and gets a plain answer instead of a dropped connection.
 */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/**
 * JSON nesting a message may have on the wire. Parsing deeply nested JSON costs seconds of the
 * server's single thread, so deeper messages are refused before parsing. (The dispatcher's limit on
 * an input's depth, MAX_INPUT_DEPTH, is lower and answered in-band.)
 */
export const MAX_MESSAGE_DEPTH = 64;

/** Close codes the server uses when it drops a misbehaving client (RFC 6455 §7.4.1). */
export const CLOSE = {
  /** Binary frames or text that is not JSON. */
  unsupportedData: 1003,
  /** JSON that is not a call, nested too deeply, or a client that does not read its answers. */
  policyViolation: 1008,
} as const;
