import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import {
  adaptCreateOptions,
  EngineClient,
  isShortImageName,
  parseHardLimits,
  podmanLocalNames,
  pullImageName,
  relabelBind,
  shortImageName,
  type EngineProfile,
} from '@/backend/engine/engine-client';
import { listeningSocketInode } from '@/backend/engine/socket-owner';

/** How a container request is adapted to the engine (the pure part; test/engine/podman.test.ts runs it on real Podman). */

const tmp = mkdtempSync(path.join(os.tmpdir(), 'dism-engine-client-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const client = (p: Partial<EngineProfile>) =>
  new EngineClient({ socketPath: '/nowhere.sock' }, { kind: 'podman', address: '/nowhere.sock', rootless: false, selinux: false, ...p });

describe('image names on Podman', () => {
  it('tells short names from names with a registry', () => {
    expect(isShortImageName('seldonio/mlserver:1.5.0')).toBe(true);
    expect(isShortImageName('ubuntu')).toBe(true);
    expect(isShortImageName('registry.cern.ch/docker.io/seldonio/mlserver:1.5.0')).toBe(false);
    expect(isShortImageName('localhost/dism-test/x:1')).toBe(false);
    expect(isShortImageName('host:5000/x')).toBe(false);
    expect(isShortImageName('sha256:0123abcd')).toBe(false);
  });

  it('looks a short name up as localhost/… first (built or loaded with Podman), then docker.io/…', () => {
    expect(podmanLocalNames('dism-test/mlserver:1.5.0')).toEqual([
      'localhost/dism-test/mlserver:1.5.0',
      'docker.io/dism-test/mlserver:1.5.0',
    ]);
    expect(podmanLocalNames('ubuntu:24.04')).toEqual([
      'localhost/ubuntu:24.04',
      'docker.io/ubuntu:24.04',
      'docker.io/library/ubuntu:24.04',
    ]);
    expect(podmanLocalNames('registry.cern.ch/x/y:1')).toEqual(['registry.cern.ch/x/y:1']);
  });

  it('pulls a short name as docker.io/… on Podman only', () => {
    expect(pullImageName(client({}), 'seldonio/mlserver:1.5.0')).toBe('docker.io/seldonio/mlserver:1.5.0');
    expect(pullImageName(client({}), 'ubuntu:24.04')).toBe('docker.io/library/ubuntu:24.04');
    expect(pullImageName(client({ kind: 'docker' }), 'ubuntu:24.04')).toBe('ubuntu:24.04');
    expect(pullImageName(new Docker({ socketPath: '/x' }), 'ubuntu:24.04')).toBe('ubuntu:24.04');
  });

  it('strips the registry Podman shows in front of local images', () => {
    expect(shortImageName('localhost/dism-studio/dismcli-runner:abc')).toBe('dism-studio/dismcli-runner:abc');
    expect(shortImageName('docker.io/library/ubuntu:24.04')).toBe('ubuntu:24.04');
    expect(shortImageName('docker.io/seldonio/mlserver:1.5.0')).toBe('seldonio/mlserver:1.5.0');
    expect(shortImageName('registry.cern.ch/x:1')).toBe('registry.cern.ch/x:1');
  });
});

describe('mounts, users and limits', () => {
  it('adds :z to a bind, keeping its other options', () => {
    expect(relabelBind('/p:/p')).toBe('/p:/p:z');
    expect(relabelBind('/p:/m:ro')).toBe('/p:/m:ro,z');
    expect(relabelBind('/p:/m:ro,Z')).toBe('/p:/m:ro,Z');
    expect(relabelBind('/p:/m:z')).toBe('/p:/m:z');
  });

  it('reads the hard nofile and nproc limits of /proc/<pid>/limits', () => {
    const text = [
      'Limit                     Soft Limit           Hard Limit           Units',
      'Max processes             32768                32768                processes',
      'Max open files            1024                 20000                files',
      'Max locked memory         unlimited            unlimited            bytes',
    ].join('\n');
    expect(parseHardLimits(text)).toEqual({ nofile: 20000, nproc: 32768 });
    expect(parseHardLimits('Max processes  unlimited  unlimited  processes')).toEqual({});
  });

  it('on SELinux relabels the user’s folders but not the engine socket', async () => {
    const sock = path.join(tmp, 'engine.sock');
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(sock, () => r()));
    try {
      const out = await adaptCreateOptions(client({ kind: 'docker', selinux: true }), {
        HostConfig: { Binds: [`${tmp}:/project`, `${sock}:/var/run/docker.sock`] },
      });
      expect(out.HostConfig?.Binds).toEqual([`${tmp}:/project:z`, `${sock}:/var/run/docker.sock`]);
    } finally {
      server.close();
    }
  });

  it('on rootless Podman runs a container that runs as a user with keep-id; not one that runs as root, nor on rootful Podman', async () => {
    expect((await adaptCreateOptions(client({ rootless: true }), { User: '1000:1000' })).HostConfig?.UsernsMode).toBe('keep-id');
    expect((await adaptCreateOptions(client({ rootless: true }), { User: '0:0' })).HostConfig?.UsernsMode).toBeUndefined();
    expect((await adaptCreateOptions(client({ rootless: true }), {})).HostConfig?.UsernsMode).toBeUndefined();
    expect((await adaptCreateOptions(client({ rootless: false }), { User: '1000:1000' })).HostConfig?.UsernsMode).toBeUndefined();
  });

  it('asks for at most the host’s limits, at the boundary', async () => {
    const c = client({ hostLimits: { nofile: 20000, nproc: 32768 } });
    expect((await adaptCreateOptions(c, {})).HostConfig?.Ulimits).toEqual([
      { Name: 'nofile', Soft: 20000, Hard: 20000 },
      { Name: 'nproc', Soft: 32768, Hard: 32768 },
    ]);
    const asked = await adaptCreateOptions(c, {
      HostConfig: {
        Ulimits: [
          { Name: 'nofile', Soft: 1024, Hard: 20001 },
          { Name: 'core', Soft: 0, Hard: 0 },
        ],
      },
    });
    expect(asked.HostConfig?.Ulimits).toEqual([
      { Name: 'nofile', Soft: 1024, Hard: 20000 },
      { Name: 'core', Soft: 0, Hard: 0 },
      { Name: 'nproc', Soft: 32768, Hard: 32768 },
    ]);
    // A plain client (no profile) and Docker without limits leave the request as it is.
    const plain = { HostConfig: { Binds: ['/a:/b'] } };
    expect(await adaptCreateOptions(new Docker({ socketPath: '/x' }), plain)).toBe(plain);
    expect((await adaptCreateOptions(client({ kind: 'docker' }), plain)).HostConfig).toEqual(plain.HostConfig);
  });
});

describe('the process serving a socket', () => {
  it('finds a listening socket’s inode in /proc/net/unix', () => {
    const table = [
      'Num       RefCount Protocol Flags    Type St Inode Path',
      '0000000000000000: 00000002 00000000 00010000 0001 01 987870 /run/user/1000/podman/podman.sock',
      '0000000000000000: 00000003 00000000 00000000 0001 03 987871 /run/user/1000/podman/podman.sock',
      '0000000000000000: 00000002 00000000 00010000 0001 01 555 /tmp/with space.sock',
    ].join('\n');
    expect(listeningSocketInode(table, '/run/user/1000/podman/podman.sock')).toBe(987870);
    expect(listeningSocketInode(table, '/tmp/with space.sock')).toBe(555);
    expect(listeningSocketInode(table, '/nowhere.sock')).toBeUndefined();
  });
});
