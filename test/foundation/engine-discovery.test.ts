import { describe, expect, it } from 'vitest';
import { adviceFor, candidateAddresses, discoverEngine, dockerOptionsFor } from '@/backend/engine/discovery';

describe('container engine discovery', () => {
  it('looks in the documented order when DOCKER_HOST is unset', () => {
    const c = candidateAddresses({ XDG_RUNTIME_DIR: '/run/user/1000' }, '/home/phys', 1000);
    expect(c.map((x) => x.address)).toEqual([
      '/home/phys/.docker/run/docker.sock',
      '/var/run/docker.sock',
      '/run/user/1000/podman/podman.sock',
      '/run/podman/podman.sock',
    ]);
  });

  it('treats an explicit DOCKER_HOST as authoritative, like the docker CLI', () => {
    expect(candidateAddresses({ DOCKER_HOST: 'unix:///x.sock' })).toEqual([{ address: 'unix:///x.sock', source: 'DOCKER_HOST' }]);
  });

  it('parses engine addresses', () => {
    expect(dockerOptionsFor('unix:///var/run/docker.sock')).toEqual({ socketPath: '/var/run/docker.sock' });
    expect(dockerOptionsFor('tcp://10.0.0.5:2376')).toMatchObject({ host: '10.0.0.5', port: 2376, protocol: 'http' });
  });

  it('advises the docker group on permission denied and the podman socket command when inactive', () => {
    const cands = candidateAddresses({ XDG_RUNTIME_DIR: '/run/user/1000' }, '/h', 1000);
    const advice = adviceFor(
      [
        { address: '/var/run/docker.sock', source: 'Docker system socket', outcome: 'permission-denied' },
        { address: '/run/user/1000/podman/podman.sock', source: 'rootless Podman socket', outcome: 'missing' },
      ],
      cands,
      true,
    );
    expect(advice.join('\n')).toContain('sudo usermod -aG docker $USER');
    expect(advice.join('\n')).toContain('systemctl --user enable --now podman.socket');
  });

  it('finds the running engine and reports its kind and version', async () => {
    const { status } = await discoverEngine({ ...process.env, DOCKER_HOST: '' });
    expect(status.state).toBe('connected');
    expect(status.kind).toMatch(/docker|podman/);
    expect(status.version).toMatch(/^\d+\./);
  });

  it('reports what was tried when DOCKER_HOST points nowhere', async () => {
    const { status } = await discoverEngine({ DOCKER_HOST: 'tcp://127.0.0.1:9' });
    expect(status.state).toBe('unreachable');
    expect(status.tried).toEqual([expect.objectContaining({ address: 'tcp://127.0.0.1:9', outcome: 'refused' })]);
    expect(status.advice.join(' ')).toContain('unset DOCKER_HOST');
  });
});

describe('engine client for real work', () => {
  it('has no idle socket timeout (long builds, log follows and waits are silent for a while)', async () => {
    const { docker } = await discoverEngine({ ...process.env, DOCKER_HOST: '' });
    expect((docker!.modem as unknown as { timeout?: number }).timeout).toBeUndefined();
  });
});
