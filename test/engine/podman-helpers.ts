/**
 * Real Podman for the engine tests (Debian's podman package; .ci/run installs it). Every service a
 * test starts listens on a socket in the test's own temporary folder and is reached only through
 * the test's own DOCKER_HOST / discovery host, so no other test (or app) on the machine picks it up.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';

export const HAVE_PODMAN = spawnSync('podman', ['--version']).status === 0;
export const BUSYBOX = '/bin/busybox'; // Debian's busybox-static: one static binary, a shell and coreutils
export const HAVE_BUSYBOX = existsSync(BUSYBOX);

/** A folder with a Dockerfile and Debian's static busybox: a tiny image with sh, touch, id… and nothing else. */
export function busyboxContextFolder(dir: string): string {
  mkdirSync(dir, { recursive: true });
  copyFileSync(BUSYBOX, path.join(dir, 'busybox'));
  return dir;
}
export const BUSYBOX_DOCKERFILE =
  'FROM scratch\nCOPY busybox /bin/busybox\nENTRYPOINT []\nCMD ["/bin/busybox", "sh", "-c", "echo hello"]\n';

/**
 * The user for the rootless Podman tests: the test's own user when it is not root, else the
 * `dism-rootless` account .ci/run creates (with subordinate IDs). Undefined when there is none.
 */
export function rootlessUser(): { name: string; uid: number; gid: number; home: string } | undefined {
  const me = process.getuid!();
  const name = me === 0 ? 'dism-rootless' : (process.env.USER ?? '');
  const r = spawnSync('getent', ['passwd', me === 0 ? name : String(me)], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  const [, , uid, gid, , home] = r.stdout.trim().split(':');
  if (
    !readFileSync('/etc/subuid', 'utf8')
      .split('\n')
      .some((l) => l.startsWith(`${r.stdout.split(':')[0]}:`))
  )
    return undefined;
  return { name: r.stdout.split(':')[0], uid: Number(uid), gid: Number(gid), home };
}

/** Runs argv as `user` (runuser when we are root, else directly). */
export function asUser(user: { name: string }, argv: string[], env: Record<string, string>): { cmd: string; args: string[] } {
  const envArgs = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  if (process.getuid!() === 0) return { cmd: 'runuser', args: ['-u', user.name, '--', 'env', ...envArgs, ...argv] };
  return { cmd: 'env', args: [...envArgs, ...argv] };
}

/** `podman system service` on a unix socket, as the given command line; stop() ends it and waits. */
export async function startPodmanServiceProcess(
  cmd: string,
  args: string[],
  socket: string,
): Promise<{ child: ChildProcess; stop(): Promise<void>; output(): string }> {
  // Its own process group: runuser does not pass SIGTERM on to podman, the group gets it. It starts
  // in / : another user cannot enter the repository when it lies in a private folder (a CI clone in
  // a mktemp -d folder failed with "cannot chdir … Permission denied").
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, cwd: '/' });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const client = new Docker({ socketPath: socket, timeout: 2000 });
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`podman system service ended: ${out}`);
    if (
      await client.ping().then(
        () => true,
        () => false,
      )
    )
      break;
    if (i > 120) throw new Error(`podman system service did not answer on ${socket}: ${out}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    child,
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(-child.pid!, 'SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
    },
  };
}

/**
 * Copies images from the Docker engine into rootful Podman's storage (docker save | podman load),
 * once: an image whose ID Podman already has is not copied again. Podman names them localhost/…,
 * as it names every image loaded or built locally.
 */
export function copyImagesToPodman(images: string[]): void {
  const missing = images.filter((img) => {
    const id = execFileSync('docker', ['image', 'inspect', '-f', '{{.Id}}', img], { encoding: 'utf8' }).trim();
    return (
      spawnSync('podman', ['image', 'exists', id]).status !== 0 || spawnSync('podman', ['image', 'exists', `localhost/${img}`]).status !== 0
    );
  });
  if (!missing.length) return;
  execFileSync('bash', ['-o', 'pipefail', '-c', `docker save ${missing.join(' ')} | podman load -q`], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** Whether this host refuses Podman's default rlimits (nofile 1048576) for containers: no CAP_SYS_RESOURCE and a lower hard limit. */
export function hostRefusesPodmanDefaultLimits(): boolean {
  const capEff = /CapEff:\s*([0-9a-f]+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0';
  const sysResource = (BigInt(`0x${capEff}`) >> 24n) & 1n;
  const hard = /Max open files\s+\S+\s+(\S+)/.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1];
  return sysResource === 0n && hard !== 'unlimited' && Number(hard) < 1048576;
}

/** Rootless Podman leaves a "pause" process holding its user namespace (recorded in libpod's tmp folder); end it. */
export function stopRootlessPause(libpodTmp: string): void {
  try {
    const pid = Number(readFileSync(path.join(libpodTmp, 'pause.pid'), 'utf8').trim());
    if (pid > 0) process.kill(pid, 'SIGKILL');
  } catch {
    // no pause process (already gone, or Podman did not start one)
  }
}
