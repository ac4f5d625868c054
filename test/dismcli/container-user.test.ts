import { describe, expect, it } from 'vitest';
import { containerUserFor } from '@/backend/engine/run-container';

describe('which user a runner container runs as', () => {
  const me = { uid: process.getuid!(), gid: process.getgid!() };
  it('is the user with Docker and with Podman, rootful or rootless (rootless Podman adds --userns=keep-id)', () => {
    expect(containerUserFor({ kind: 'docker', rootless: false })).toEqual(me);
    expect(containerUserFor({ kind: 'podman', rootless: false })).toEqual(me);
    expect(containerUserFor({ kind: 'podman', rootless: true })).toEqual(me);
  });
  it('is the namespace root with rootless Docker (which maps to the user on the host)', () => {
    expect(containerUserFor({ kind: 'docker', rootless: true })).toEqual({ uid: 0, gid: 0 });
  });
});
