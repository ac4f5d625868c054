import { describe, expect, it } from 'vitest';
import { containerUserFor } from '@/backend/engine/run-container';

describe('which user a runner container runs as', () => {
  const me = { uid: process.getuid!(), gid: process.getgid!() };
  it('is the user with Docker and rootful Podman', () => {
    expect(containerUserFor({ kind: 'docker', address: '/var/run/docker.sock' })).toEqual(me);
    expect(containerUserFor({ kind: 'podman', address: '/run/podman/podman.sock' })).toEqual(me);
  });
  it('is the namespace root with rootless Podman (which maps to the user on the host)', () => {
    expect(containerUserFor({ kind: 'podman', address: '/run/user/1000/podman/podman.sock' })).toEqual({ uid: 0, gid: 0 });
  });
});
