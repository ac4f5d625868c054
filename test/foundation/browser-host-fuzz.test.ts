import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeServerFrames, openRawSocket, type RawFrame } from '../helpers/raw-websocket';
import { callOnce, startServeProcess, type ServeProcess } from '../helpers/serve-process';

/**
 * Fuzz of the browser host's WebSocket endpoint: random raw frames (any opcode, RSV bits, masking,
 * lying lengths, invalid UTF-8), random JSON calls and plain garbage, from several connections at
 * once for a bounded time. Seeded: DISM_FUZZ_SEED=<n> replays a run; DISM_FUZZ_SECONDS sets its length.
 * Afterwards the server (a real `npm run serve` process) must still be running and answer app.info.
 */
const SEED = Number(process.env.DISM_FUZZ_SEED ?? 0x16f0);
const SECONDS = Number(process.env.DISM_FUZZ_SECONDS ?? 10);
const LANES = 4;

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => int(256));
  return { next, int, pick, bytes, chance: (p: number) => next() < p };
}
type Rng = ReturnType<typeof prng>;

/** Methods without side effects outside the server's memory, plus names that do not exist. */
const METHODS = [
  'app.info',
  'projects.recent',
  'jobs.list',
  'jobs.get',
  'jobs.logs',
  'jobs.cancel',
  'preset.default',
  'fs.listDir',
  'template.validate',
  'pipeline.results',
  'pipeline.lumisection',
  'modelServer.runs',
  'modelServer.get',
  'export.summary',
  'dismcli.events',
  'nope',
  'app.info.x',
  '__proto__',
  'constructor',
  '',
];

function randomString(r: Rng, max: number): string {
  const alphabets = ['abc/.-_ ', '../\\\0\n\t"\'{}[]:', '\u00e9\u4e2d\ud83d\ude00', '\ud800\udfff\ufffe'];
  const alpha = r.pick(alphabets);
  let s = '';
  const n = r.int(max);
  for (let i = 0; i < n; i++) s += alpha[r.int(alpha.length)];
  return s;
}

function randomValue(r: Rng, depth: number): unknown {
  const kinds = depth <= 0 ? 4 : 6;
  switch (r.int(kinds)) {
    case 0:
      return null;
    case 1:
      return r.chance(0.5);
    case 2:
      return r.pick([0, -1, 1.5, 2 ** 53, -(2 ** 63), 1e308, r.int(1e6)]);
    case 3:
      return randomString(r, r.chance(0.05) ? 20_000 : 40);
    case 4:
      return Array.from({ length: r.int(6) }, () => randomValue(r, depth - 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = r.int(6); i > 0; i--)
        o[
          r.pick(['dir', 'id', 'text', 'path', 'projectDir', 'showFiles', 'sessionId', 'limit', 'offset', '__proto__', randomString(r, 8)])
        ] = randomValue(r, depth - 1);
      return o;
    }
  }
}

function randomCall(r: Rng, userDataDir: string): string {
  const method = r.pick(METHODS);
  let input = randomValue(r, r.chance(0.1) ? 40 : 4);
  if (method === 'fs.listDir' && r.chance(0.5)) input = { dir: userDataDir, showFiles: true };
  if (method === 'template.validate' && r.chance(0.5))
    input = { projectDir: userDataDir, path: 'template.yaml', text: randomString(r, 2000) };
  const id = r.chance(0.95) ? r.int(1e9) : r.pick([-1, 1.5, 'x', null]);
  const msg = r.chance(0.95) ? { t: 'call', id, method, input } : randomValue(r, 3);
  return JSON.stringify(msg);
}

function randomFrame(r: Rng, userDataDir: string, stats: { calls: number }): RawFrame {
  const roll = r.next();
  if (roll < 0.55) {
    stats.calls++;
    return { opcode: 1, payload: new TextEncoder().encode(randomCall(r, userDataDir)) };
  }
  const opcode = r.pick([0, 1, 2, 8, 9, 10, 3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf]);
  const payload = r.chance(0.5) ? r.bytes(r.int(r.chance(0.05) ? 70_000 : 300)) : new TextEncoder().encode(randomString(r, 300));
  return {
    opcode,
    payload,
    fin: r.chance(0.85),
    masked: r.chance(0.9),
    rsv: r.chance(0.9) ? 0 : r.int(8),
    ...(r.chance(0.03) ? { declaredLength: r.pick([payload.length + 1 + r.int(1000), 2 ** 32, 2 ** 40]) } : {}),
  };
}

let host: ServeProcess;
let scratch: string;

beforeAll(async () => {
  host = await startServeProcess();
  scratch = mkdtempSync(path.join(os.tmpdir(), 'dism-fuzz-'));
});
afterAll(async () => {
  await host?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe('browser host WebSocket fuzz', () => {
  it(
    `survives ${SECONDS} s of random frames and messages (seed ${SEED})`,
    async () => {
      const stats = { connections: 0, refusedUpgrades: 0, closedByServer: 0, frames: 0, calls: 0, garbageWrites: 0, replies: 0 };
      const deadline = Date.now() + SECONDS * 1000;
      const lane = async (laneSeed: number) => {
        const r = prng(laneSeed);
        while (Date.now() < deadline) {
          const raw = await openRawSocket(host.port, `/api?token=${host.token}`);
          stats.connections++;
          if (raw.status !== 101) {
            stats.refusedUpgrades++;
            raw.destroy();
            continue;
          }
          const burst = 1 + r.int(25);
          for (let i = 0; i < burst; i++) {
            if (r.chance(0.05)) {
              raw.write(r.bytes(1 + r.int(64)));
              stats.garbageWrites++;
            } else {
              raw.send(randomFrame(r, scratch, stats));
              stats.frames++;
            }
          }
          const closed = await raw.closed(r.chance(0.7) ? 50 : 300);
          if (closed) stats.closedByServer++;
          stats.replies += decodeServerFrames(raw.received()).filter((f) => f.opcode === 1 && f.payload.includes('"t":"reply"')).length;
          raw.destroy();
          expect(host.alive(), `server died (seed ${SEED}):\n${host.output().slice(-3000)}`).toBe(true);
        }
      };
      await Promise.all(Array.from({ length: LANES }, (_, i) => lane(SEED * 31 + i)));

      expect(host.alive(), `server died (seed ${SEED}):\n${host.output().slice(-3000)}`).toBe(true);
      const t0 = performance.now();
      const info = await callOnce(host.port, host.token, 'app.info', {});
      const ms = performance.now() - t0;
      expect(info).toMatchObject({ ok: true, result: { name: 'DISM Studio' } });
      expect(stats.replies).toBeGreaterThan(0); // the fuzz reached the dispatcher, not only the frame parser
      console.log(
        `fuzz (seed ${SEED}): ${SECONDS} s, ${LANES} lanes, ${stats.connections} connections, ${stats.frames} frames ` +
          `(${stats.calls} JSON calls) + ${stats.garbageWrites} garbage writes; server closed ${stats.closedByServer} connections, ` +
          `sent ${stats.replies} replies; afterwards app.info answered in ${ms.toFixed(0)} ms`,
      );
    },
    SECONDS * 1000 + 60_000,
  );
});
