/**
 * A Podman API service DISM Studio starts itself, for hosts with podman but no API socket and no
 * systemd user session to start one (lxplus): `podman system service --time=0 unix://<socket>`.
 *
 * It is a child of the app and stops with it: podman runs under a small shell watchdog whose
 * stdin is a pipe from DISM Studio. When DISM Studio stops it (stop()), quits, or is killed, that
 * pipe reaches its end and the watchdog stops podman, so no service is left running behind the app.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import type { StartedPodmanService } from '@/shared/api/contract';
import { ApiError } from '@/shared/api/errors';

// $0 = podman, $1 = the socket path. fd 3 keeps DISM Studio's pipe for the watchdog (an
// asynchronous list's own stdin is /dev/null in a non-interactive shell); podman does not get it.
const WATCHDOG = [
  'exec 3<&0',
  '"$0" system service --time=0 "unix://$1" 3<&- &',
  'p=$!',
  'echo "podman-pid $p"',
  '(cat <&3 >/dev/null; kill $p 2>/dev/null) &',
  'w=$!',
  'exec 3<&-',
  'wait $p',
  's=$?',
  'kill $w 2>/dev/null',
  'exit $s',
].join('\n');

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class PodmanServiceChild {
  private child: ChildProcess | undefined;
  private podmanPid: number | undefined;
  private output = '';
  info: StartedPodmanService | undefined;

  /** Start the service on `socket` and resolve once it answers /_ping (or reject with what podman said). */
  async start(opts: { podman: string; socket: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<StartedPodmanService> {
    if (this.child) throw new Error('The Podman service is already started');
    await fs.mkdir(path.dirname(opts.socket), { recursive: true, mode: 0o700 });
    // A socket file left by a service that crashed would make podman fail to listen.
    await fs.rm(opts.socket, { force: true });
    const child = spawn('/bin/sh', ['-c', WATCHDOG, opts.podman, opts.socket], {
      env: opts.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child = child;
    this.output = '';
    const keep = (d: Buffer) => {
      this.output = (this.output + d.toString()).slice(-8000);
      const m = /podman-pid (\d+)/.exec(this.output);
      if (m && !this.podmanPid) this.podmanPid = Number(m[1]);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    child.stdin!.on('error', () => undefined);
    let exited: number | null | undefined;
    child.once('exit', (code) => {
      exited = code;
      if (this.child === child) {
        this.child = undefined;
        this.info = undefined;
      }
    });
    const command = `podman system service --time=0 unix://${opts.socket}`;
    const client = new Docker({ socketPath: opts.socket, timeout: 2000 });
    const until = Date.now() + (opts.timeoutMs ?? 30_000);
    for (;;) {
      if (exited !== undefined) {
        throw new ApiError(
          'PODMAN_SERVICE_FAILED',
          `${command} stopped at once (exit code ${exited}). Podman said:\n${this.output.replace(/podman-pid \d+\n?/, '').trim() || '(nothing)'}`,
          { command, output: this.output },
          'PodmanServiceError',
        );
      }
      const ok = await client.ping().then(
        (r) => String(r).includes('OK'),
        () => false,
      );
      if (ok) break;
      if (Date.now() > until) {
        await this.stop();
        throw new ApiError(
          'PODMAN_SERVICE_FAILED',
          `${command} did not answer within ${Math.round((opts.timeoutMs ?? 30_000) / 1000)} s. Podman said:\n${this.output.trim() || '(nothing)'}`,
          { command, output: this.output },
          'PodmanServiceError',
        );
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    this.info = { command, socket: opts.socket, pid: this.podmanPid ?? child.pid ?? 0, startedAt: new Date().toISOString() };
    return this.info;
  }

  running(): boolean {
    return Boolean(this.child);
  }

  /** Stop podman (closing the watchdog's pipe) and wait until it is gone; the socket file is removed. */
  async stop(): Promise<void> {
    const child = this.child;
    const pid = this.podmanPid;
    const socket = this.info?.socket;
    this.child = undefined;
    this.info = undefined;
    this.podmanPid = undefined;
    if (!child) return;
    const childExited =
      child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', r));
    child.stdin?.end();
    await Promise.race([childExited, new Promise((r) => setTimeout(r, 10_000))]);
    if (pid) {
      const until = Date.now() + 10_000;
      while (pidAlive(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
    }
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (socket) await fs.rm(socket, { force: true });
  }
}
