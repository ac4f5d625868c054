import { randomBytes } from 'node:crypto';
import net from 'node:net';

/**
 * A WebSocket client that writes raw frames, so tests can send what a well-behaved library never
 * would: reserved opcodes, unmasked frames, RSV bits, lying lengths, invalid UTF-8, garbage bytes.
 */
export interface RawFrame {
  opcode: number;
  payload: Uint8Array;
  fin?: boolean;
  /** Clients must mask; false sends an unmasked (protocol-violating) frame. */
  masked?: boolean;
  /** RSV1–3 bits (0–7); anything but 0 is a protocol error without an extension. */
  rsv?: number;
  /** Announce this payload length instead of the real one (a lying header). */
  declaredLength?: number;
}

export function encodeFrame(f: RawFrame): Buffer {
  const masked = f.masked ?? true;
  const len = f.declaredLength ?? f.payload.length;
  const head: number[] = [((f.fin ?? true) ? 0x80 : 0) | ((f.rsv ?? 0) << 4) | (f.opcode & 0x0f)];
  const maskBit = masked ? 0x80 : 0;
  if (len < 126) head.push(maskBit | len);
  else if (len < 65536) head.push(maskBit | 126, len >> 8, len & 0xff);
  else {
    head.push(maskBit | 127);
    const big = BigInt(len);
    for (let i = 7; i >= 0; i--) head.push(Number((big >> BigInt(i * 8)) & 0xffn));
  }
  const payload = Buffer.from(f.payload);
  if (!masked) return Buffer.concat([Buffer.from(head), payload]);
  const mask = randomBytes(4);
  for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i & 3];
  return Buffer.concat([Buffer.from(head), mask, payload]);
}

export interface RawSocket {
  /** HTTP status of the upgrade answer (101 when the socket is open). */
  status: number;
  socket: net.Socket;
  send(frame: RawFrame): void;
  write(bytes: Uint8Array): void;
  /** Resolves when the server closed the TCP connection (or after `ms`, whichever first). */
  closed(ms: number): Promise<boolean>;
  /** Every byte the server sent after the upgrade answer. */
  received(): Buffer;
  destroy(): void;
}

/** Opens a TCP connection and performs the WebSocket upgrade by hand. */
export function openRawSocket(port: number, requestPath: string, headers: Record<string, string> = {}): Promise<RawSocket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    let upgraded = false;
    let ended = false;
    const endWaiters: Array<() => void> = [];
    socket.on('error', () => undefined); // the server may reset us: that is what the tests provoke
    socket.on('close', () => {
      ended = true;
      endWaiters.splice(0).forEach((w) => w());
      if (!upgraded) resolve(api(0));
    });
    const api = (status: number): RawSocket => ({
      status,
      socket,
      send: (frame) => {
        if (!socket.destroyed) socket.write(encodeFrame(frame));
      },
      write: (bytes) => {
        if (!socket.destroyed) socket.write(bytes);
      },
      closed: (ms) =>
        ended
          ? Promise.resolve(true)
          : new Promise<boolean>((res) => {
              const t = setTimeout(() => res(false), ms);
              endWaiters.push(() => {
                clearTimeout(t);
                res(true);
              });
            }),
      received: () => buf,
      destroy: () => socket.destroy(),
    });
    socket.once('connect', () => {
      const key = randomBytes(16).toString('base64');
      const lines = [
        `GET ${requestPath} HTTP/1.1`,
        `Host: 127.0.0.1:${port}`,
        'Upgrade: websocket',
        'Connection: Upgrade',
        `Sec-WebSocket-Key: ${key}`,
        'Sec-WebSocket-Version: 13',
      ];
      for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    });
    socket.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (upgraded) return;
      const end = buf.indexOf('\r\n\r\n');
      if (end === -1) return;
      upgraded = true;
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(buf.subarray(0, end).toString('latin1'))?.[1] ?? 0);
      buf = buf.subarray(end + 4);
      resolve(api(status));
    });
    socket.setTimeout(30_000, () => {
      if (!upgraded) reject(new Error('upgrade timed out'));
      socket.destroy();
    });
  });
}

/** Server frames in `bytes` (unmasked, as servers send them): opcode and payload of each complete one. */
export function decodeServerFrames(bytes: Buffer): Array<{ opcode: number; payload: Buffer }> {
  const out: Array<{ opcode: number; payload: Buffer }> = [];
  let i = 0;
  while (i + 2 <= bytes.length) {
    const opcode = bytes[i] & 0x0f;
    let len = bytes[i + 1] & 0x7f;
    let p = i + 2;
    if (len === 126) {
      if (p + 2 > bytes.length) break;
      len = bytes.readUInt16BE(p);
      p += 2;
    } else if (len === 127) {
      if (p + 8 > bytes.length) break;
      len = Number(bytes.readBigUInt64BE(p));
      p += 8;
    }
    if (p + len > bytes.length) break;
    out.push({ opcode, payload: bytes.subarray(p, p + len) });
    i = p + len;
  }
  return out;
}

/** The close code the server sent, if it sent a close frame. */
export function serverCloseCode(bytes: Buffer): number | undefined {
  const close = decodeServerFrames(bytes).find((f) => f.opcode === 0x8);
  return close && close.payload.length >= 2 ? close.payload.readUInt16BE(0) : undefined;
}
