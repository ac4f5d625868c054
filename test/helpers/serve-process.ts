import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';

/**
 * The real browser host (`dist/node/serve.mjs`, built by the vitest global setup) in its own
 * process, as `npm run serve` runs it: a fault that kills the server shows up as the process exiting.
 */
export interface ServeProcess {
  port: number;
  token: string;
  url: string;
  userDataDir: string;
  child: ChildProcess;
  /** Everything the server printed (stdout and stderr). */
  output(): string;
  alive(): boolean;
  stop(): Promise<void>;
}

export async function startServeProcess(opts: { args?: string[]; env?: Record<string, string> } = {}): Promise<ServeProcess> {
  const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'dism-serve-test-'));
  const token = `t${Math.random().toString(16).slice(2)}${Date.now().toString(16)}`;
  const child = spawn(process.execPath, ['dist/node/serve.mjs', '--port', '0', ...(opts.args ?? [])], {
    env: { ...process.env, DISM_STUDIO_TOKEN: token, DISM_STUDIO_USER_DATA: userDataDir, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`browser host did not start:\n${out}`)), 60_000);
    const check = () => {
      const m = /http:\/\/127\.0\.0\.1:\d+\/\?token=\S+/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[0]);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => reject(new Error(`browser host exited with ${code}:\n${out}`)));
  });
  const port = Number(new URL(url).port);
  return {
    port,
    token,
    url,
    userDataDir,
    child,
    output: () => out,
    alive: () => child.exitCode === null && child.signalCode === null,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** One API call over a fresh, well-behaved socket; resolves with the reply envelope. */
export function callOnce(
  port: number,
  token: string,
  method: string,
  input: unknown,
  headers: Record<string, string> = {},
): Promise<{ ok: boolean; result?: any; error?: { code?: string; name: string; message: string } }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api?token=${token}`, { headers });
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    ws.once('open', () => ws.send(JSON.stringify({ t: 'call', id: 1, method, input })));
    ws.on('message', (d) => {
      const m = JSON.parse(String(d));
      if (m.t === 'reply' && m.id === 1) {
        ws.close();
        resolve(m.reply);
      }
    });
  });
}
