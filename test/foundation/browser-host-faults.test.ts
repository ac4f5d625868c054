import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRawSocket, serverCloseCode, decodeServerFrames, type RawFrame } from '../helpers/raw-websocket';
import { callOnce, startServeProcess, type ServeProcess } from '../helpers/serve-process';

/**
 * One misbehaving client may lose its own socket; the server (a real `npm run serve` process) keeps
 * answering everyone else.
 */
let host: ServeProcess;

beforeAll(async () => {
  host = await startServeProcess();
});
afterAll(async () => {
  await host?.stop();
});

const text = (s: string) => new TextEncoder().encode(s);

async function expectServerAnswers(): Promise<void> {
  expect(host.alive(), `server died:\n${host.output()}`).toBe(true);
  const reply = await callOnce(host.port, host.token, 'app.info', {});
  expect(reply).toMatchObject({ ok: true, result: { name: 'DISM Studio', host: 'browser' } });
}

async function sendAndExpectClosed(frames: RawFrame[], code?: number): Promise<void> {
  const raw = await openRawSocket(host.port, `/api?token=${host.token}`);
  expect(raw.status).toBe(101);
  for (const f of frames) raw.send(f);
  expect(await raw.closed(10_000)).toBe(true);
  if (code !== undefined) expect(serverCloseCode(raw.received())).toBe(code);
  await expectServerAnswers();
}

describe('browser host: WebSocket protocol errors cost the client its socket, never the server', () => {
  it('an unmasked client frame', () => sendAndExpectClosed([{ opcode: 1, payload: text('{"t":"call"}'), masked: false }], 1002));
  it('a reserved opcode', () => sendAndExpectClosed([{ opcode: 0x3, payload: text('x') }], 1002));
  it('a reserved control opcode', () => sendAndExpectClosed([{ opcode: 0xb, payload: text('x') }], 1002));
  it('RSV bits without an extension', () => sendAndExpectClosed([{ opcode: 1, payload: text('{}'), rsv: 4 }], 1002));
  it('invalid UTF-8 in a text frame', () =>
    sendAndExpectClosed([{ opcode: 1, payload: new Uint8Array([0x7b, 0xc3, 0x28, 0xff, 0x7d]) }], 1007));
  it('a control frame longer than 125 bytes', () => sendAndExpectClosed([{ opcode: 0x9, payload: new Uint8Array(200) }], 1002));
  it('a fragmented control frame', () => sendAndExpectClosed([{ opcode: 0x9, payload: text('p'), fin: false }], 1002));
  it('a continuation frame with nothing to continue', () => sendAndExpectClosed([{ opcode: 0x0, payload: text('x') }], 1002));
  it('a message larger than the limit (announced length)', () =>
    sendAndExpectClosed([{ opcode: 1, payload: new Uint8Array(16), declaredLength: 2 ** 40 }], 1009));
  it('a 64-bit length with the top bit set', () =>
    sendAndExpectClosed([{ opcode: 2, payload: new Uint8Array(0), declaredLength: Number(2n ** 63n) }], 1009));
  it('a binary message', () =>
    sendAndExpectClosed([{ opcode: 2, payload: text('{"t":"call","id":1,"method":"app.info","input":{}}') }], 1003));
  it('text that is not JSON', () => sendAndExpectClosed([{ opcode: 1, payload: text('hello, server') }], 1003));
  it('JSON that is not a call', () =>
    sendAndExpectClosed([{ opcode: 1, payload: text('{"t":"call","id":"one","method":"app.info"}') }], 1008));

  it('an unknown method gets an answer and keeps the socket', async () => {
    const raw = await openRawSocket(host.port, `/api?token=${host.token}`);
    raw.send({ opcode: 1, payload: text('{"t":"call","id":7,"method":"no.such.thing","input":{}}') });
    raw.send({ opcode: 1, payload: text('{"t":"call","id":8,"method":"app.info","input":{}}') });
    const until = Date.now() + 10_000;
    let replies: Array<{ id: number; reply: { ok: boolean; error?: { code: string } } }> = [];
    while (replies.length < 2 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 20));
      replies = decodeServerFrames(raw.received())
        .filter((f) => f.opcode === 1)
        .map((f) => JSON.parse(f.payload.toString()))
        .filter((m) => m.t === 'reply');
    }
    expect(replies.find((r) => r.id === 7)?.reply).toMatchObject({ ok: false, error: { code: 'UNKNOWN_METHOD' } });
    expect(replies.find((r) => r.id === 8)?.reply).toMatchObject({ ok: true });
    raw.destroy();
  });

  it('JSON nested 100 000 deep', () =>
    sendAndExpectClosed(
      [
        {
          opcode: 1,
          payload: text(`{"t":"call","id":1,"method":"fs.listDir","input":{"dir":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`),
        },
      ],
      1008,
    ));

  it('an input nested deeper than the API allows gets a clear answer', async () => {
    const depth = 40;
    const raw = await openRawSocket(host.port, `/api?token=${host.token}`);
    raw.send({
      opcode: 1,
      payload: text(`{"t":"call","id":1,"method":"fs.listDir","input":{"dir":${'['.repeat(depth)}${']'.repeat(depth)}}}`),
    });
    const until = Date.now() + 20_000;
    let reply: { ok: boolean; error?: { code: string; message: string } } | undefined;
    while (!reply && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 20));
      reply = decodeServerFrames(raw.received())
        .filter((f) => f.opcode === 1)
        .map((f) => JSON.parse(f.payload.toString()))
        .find((m) => m.t === 'reply')?.reply;
    }
    expect(reply).toMatchObject({ ok: false, error: { code: 'INPUT_TOO_DEEP' } });
    expect(reply!.error!.message).toMatch(/nested more than 32 levels deep/);
    raw.destroy();
    await expectServerAnswers();
  });

  it('a flood of calls from a client that never reads its answers', async () => {
    const raw = await openRawSocket(host.port, `/api?token=${host.token}`);
    raw.socket.pause(); // never read: the server's answers pile up on its side
    const call = Buffer.from(JSON.stringify({ t: 'call', id: 1, method: 'fs.listDir', input: { dir: host.userDataDir, showFiles: true } }));
    for (let i = 0; i < 20_000; i++) raw.send({ opcode: 1, payload: call });
    await expectServerAnswers();
    raw.destroy();
    await expectServerAnswers();
  });

  it('an upgrade request whose URL cannot be parsed', async () => {
    const raw = await openRawSocket(host.port, `//[::1:bad/api?token=${host.token}`);
    expect(raw.status).not.toBe(101);
    raw.destroy();
    await expectServerAnswers();
  });

  it('bytes that are not HTTP at all, and a connection dropped mid-handshake', async () => {
    for (const bytes of [
      Buffer.from([0, 1, 2, 255, 254, 13, 10, 13, 10]),
      Buffer.from(`GET /api?token=${host.token} HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`),
    ]) {
      await new Promise<void>((resolve) => {
        const s = net.connect(host.port, '127.0.0.1', () => {
          s.write(bytes);
          setTimeout(() => s.destroy(), 50);
        });
        s.on('error', () => undefined);
        s.on('close', () => resolve());
      });
    }
    await expectServerAnswers();
  });
});
