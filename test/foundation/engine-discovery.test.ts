import { describe, expect, it } from 'vitest';
import { discoverEngine, dockerOptionsFor, realDiscoveryHost } from '@/backend/engine/discovery';
import { EngineClient } from '@/backend/engine/engine-client';

describe('container engine discovery', () => {
  it('parses engine addresses', () => {
    expect(dockerOptionsFor('unix:///var/run/docker.sock')).toEqual({ socketPath: '/var/run/docker.sock' });
    expect(dockerOptionsFor('/var/run/docker.sock')).toEqual({ socketPath: '/var/run/docker.sock' });
    expect(dockerOptionsFor('tcp://10.0.0.5:2376')).toMatchObject({ host: '10.0.0.5', port: 2376, protocol: 'http' });
    expect(dockerOptionsFor('ssh://phys@lxplus.cern.ch')).toMatchObject({
      protocol: 'ssh',
      host: 'lxplus.cern.ch',
      port: 22,
      username: 'phys',
    });
  });

  it('finds the running engine and reports its kind and version', async () => {
    const { status } = await discoverEngine(realDiscoveryHost({ ...process.env, DOCKER_HOST: '' }));
    expect(status.state).toBe('connected');
    expect(status.kind).toMatch(/docker|podman/);
    expect(status.version).toMatch(/^\d+\./);
    expect(status.rootless).toBe(false);
  });

  it('reports what was tried when DOCKER_HOST points nowhere', async () => {
    const { status } = await discoverEngine(realDiscoveryHost({ DOCKER_HOST: 'tcp://127.0.0.1:9' }));
    expect(status.state).toBe('unreachable');
    expect(status.tried).toEqual([expect.objectContaining({ address: 'tcp://127.0.0.1:9', outcome: 'refused' })]);
    expect(status.advice.join(' ')).toContain('unset DOCKER_HOST');
  });

  it('advises the docker group when the socket refuses the user', async () => {
    // A socket the user may not open: discovery as another user would see EACCES; the advice is the same words.
    const { adviceFor } = await import('@/backend/engine/discovery');
    const advice = adviceFor(
      [{ address: '/var/run/docker.sock', source: 'Docker system socket', outcome: 'permission-denied' }],
      [{ address: '/var/run/docker.sock', source: 'Docker system socket' }],
    );
    expect(advice.join('\n')).toContain('sudo usermod -aG docker $USER');
  });
});

describe('engine client for real work', () => {
  it('has no idle socket timeout (long builds, log follows and waits are silent for a while), and knows its engine', async () => {
    const { docker } = await discoverEngine(realDiscoveryHost({ ...process.env, DOCKER_HOST: '' }));
    expect((docker!.modem as unknown as { timeout?: number }).timeout).toBeUndefined();
    expect(docker).toBeInstanceOf(EngineClient);
    expect(docker!.profile).toMatchObject({ kind: 'docker', rootless: false });
    // Docker inherits the daemon's limits: no ulimits are asked for.
    expect(docker!.profile.hostLimits).toBeUndefined();
  });
});
