import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { candidateAddresses, realDiscoveryHost, type DiscoveryHost } from '@/backend/engine/candidates';
import { adviceFor, discoverEngine, dockerOptionsFor, podmanServiceOffer } from '@/backend/engine/discovery';

/**
 * Candidate resolution with fake home folders: what the docker CLI's settings (DOCKER_HOST,
 * contexts), each platform's engines and the user's runtime folder make discovery try, in order.
 * The files are real (a temporary home); the platform, user and environment are the test's.
 */

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

function fakeHome(): { home: string; tmp: string; put(rel: string, text?: string): string; dir(rel: string): string } {
  const root = mkdtempSync(path.join(os.tmpdir(), 'dism-fake-home-'));
  roots.push(root);
  const home = path.join(root, 'home');
  const tmp = path.join(root, 'T');
  mkdirSync(home);
  mkdirSync(tmp);
  return {
    home,
    tmp,
    put(rel, text = '') {
      const f = path.isAbsolute(rel) ? rel : path.join(home, rel);
      mkdirSync(path.dirname(f), { recursive: true });
      writeFileSync(f, text);
      return f;
    },
    dir(rel) {
      const d = path.isAbsolute(rel) ? rel : path.join(home, rel);
      mkdirSync(d, { recursive: true });
      return d;
    },
  };
}

function host(h: { home: string; tmp: string }, over: Partial<DiscoveryHost> & { env?: NodeJS.ProcessEnv } = {}): DiscoveryHost {
  return realDiscoveryHost(over.env ?? {}, { platform: 'linux', home: h.home, tmpdir: h.tmp, uid: 4242, gid: 4242, ...over });
}

/** A docker context as `docker context create` writes it. */
function writeContext(h: ReturnType<typeof fakeHome>, name: string, endpoint: string, configDir = path.join(h.home, '.docker')): string {
  const id = createHash('sha256').update(name).digest('hex');
  return h.put(
    path.join(configDir, 'contexts/meta', id, 'meta.json'),
    JSON.stringify({ Name: name, Metadata: {}, Endpoints: { docker: { Host: endpoint, SkipTLSVerify: false } } }),
  );
}

const addresses = async (hst: DiscoveryHost) => (await candidateAddresses(hst)).map((c) => c.address);

describe('Linux: system, rootless and Podman sockets', () => {
  it('looks in the documented order', async () => {
    const h = fakeHome();
    expect(await addresses(host(h, { env: { XDG_RUNTIME_DIR: '/run/user/4242' } }))).toEqual([
      `${h.home}/.docker/desktop/docker.sock`,
      '/var/run/docker.sock',
      '/run/user/4242/docker.sock',
      '/run/user/4242/podman/podman.sock',
      '/run/podman/podman.sock',
      '/run/user/4242/dism-studio-podman.sock',
    ]);
  });

  it('tells rootless from rootful Podman', async () => {
    const h = fakeHome();
    const c = await candidateAddresses(host(h, { env: { XDG_RUNTIME_DIR: '/run/user/4242' } }));
    expect(c.find((x) => x.address === '/run/user/4242/podman/podman.sock')).toMatchObject({
      podman: 'rootless',
      source: 'rootless Podman socket',
    });
    expect(c.find((x) => x.address === '/run/podman/podman.sock')).toMatchObject({ podman: 'rootful', source: 'rootful Podman socket' });
  });

  it('without XDG_RUNTIME_DIR uses /run/user/<uid> when it exists, else a private folder under the temporary folder', async () => {
    const h = fakeHome();
    const missing = await candidateAddresses(host(h));
    expect(missing.map((c) => c.address)).toContain('/run/user/4242/podman/podman.sock'); // where Podman itself would put it
    expect(missing.find((c) => c.studioPodman)?.address).toBe(path.join(h.tmp, 'dism-studio-run-4242', 'dism-studio-podman.sock'));

    const real = realDiscoveryHost({});
    const withRunUser = host(h, {
      pathKind: (p) => (p === '/run/user/4242' ? Promise.resolve('dir') : real.pathKind(p)),
    });
    expect((await candidateAddresses(withRunUser)).find((c) => c.studioPodman)?.address).toBe('/run/user/4242/dism-studio-podman.sock');
  });
});

describe('DOCKER_HOST and docker contexts, as the docker CLI reads them', () => {
  it('treats an explicit DOCKER_HOST as authoritative', async () => {
    const h = fakeHome();
    writeContext(h, 'colima', 'unix:///elsewhere.sock');
    h.put('.docker/config.json', JSON.stringify({ currentContext: 'colima' }));
    expect(await candidateAddresses(host(h, { env: { DOCKER_HOST: 'unix:///x.sock', DOCKER_CONTEXT: 'colima' } }))).toEqual([
      { address: 'unix:///x.sock', source: 'DOCKER_HOST', authoritative: true },
    ]);
  });

  it('reads TLS settings for a tcp:// DOCKER_HOST', async () => {
    const h = fakeHome();
    const [c] = await candidateAddresses(
      host(h, { env: { DOCKER_HOST: 'tcp://10.0.0.5:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs' } }),
    );
    expect(c.tls).toEqual({ ca: '/certs/ca.pem', cert: '/certs/cert.pem', key: '/certs/key.pem', verify: true });
  });

  it('tries the current context (currentContext in config.json) first, then the platform sockets, each socket once', async () => {
    const h = fakeHome();
    writeContext(h, 'colima', `unix://${h.home}/.colima/default/docker.sock`);
    h.put('.docker/config.json', JSON.stringify({ auths: {}, currentContext: 'colima' }));
    const c = await candidateAddresses(host(h, { platform: 'darwin' }));
    expect(c[0]).toMatchObject({
      address: `unix://${h.home}/.colima/default/docker.sock`,
      source: `docker context "colima" (currentContext in ${h.home}/.docker/config.json)`,
      context: 'colima',
    });
    // The same socket as a platform candidate is not tried twice.
    expect(c.filter((x) => x.address.endsWith('.colima/default/docker.sock'))).toHaveLength(1);
  });

  it('prefers DOCKER_CONTEXT over config.json, and reads DOCKER_CONFIG for the folder', async () => {
    const h = fakeHome();
    const cfg = h.dir('elsewhere/docker-config');
    writeContext(h, 'lxplus-podman', 'unix:///run/user/4242/podman/podman.sock', cfg);
    writeContext(h, 'colima', 'unix:///colima.sock', cfg);
    h.put(path.join(cfg, 'config.json'), JSON.stringify({ currentContext: 'colima' }));
    const c = await candidateAddresses(
      host(h, { env: { DOCKER_CONFIG: cfg, DOCKER_CONTEXT: 'lxplus-podman', XDG_RUNTIME_DIR: '/run/user/4242' } }),
    );
    expect(c[0]).toMatchObject({
      address: 'unix:///run/user/4242/podman/podman.sock',
      source: 'docker context "lxplus-podman" (DOCKER_CONTEXT)',
    });
    // The rootless socket the context names is not tried again as a platform socket.
    expect(c.filter((x) => x.address.endsWith('/run/user/4242/podman/podman.sock'))).toHaveLength(1);
  });

  it('ignores the context called "default" (it means: no context)', async () => {
    const h = fakeHome();
    h.put('.docker/config.json', JSON.stringify({ currentContext: 'default' }));
    expect((await candidateAddresses(host(h)))[0].address).toBe(`${h.home}/.docker/desktop/docker.sock`);
  });

  it('reports a context whose meta.json is missing, and advises switching back', async () => {
    const h = fakeHome();
    h.put('.docker/config.json', JSON.stringify({ currentContext: 'gone' }));
    const hst = host(h, { env: { XDG_RUNTIME_DIR: path.join(h.tmp, 'run') }, pathKind: async () => 'missing' });
    const c = await candidateAddresses(hst);
    const id = createHash('sha256').update('gone').digest('hex');
    expect(c[0]).toMatchObject({ address: `${h.home}/.docker/contexts/meta/${id}/meta.json`, context: 'gone' });
    expect(c[0].unresolved).toContain('there is no docker context named "gone"');
    const { status } = await discoverEngine(hst);
    expect(status.state).toBe('unreachable');
    expect(status.tried[0]).toMatchObject({
      outcome: 'missing',
      source: `docker context "gone" (currentContext in ${h.home}/.docker/config.json)`,
    });
    expect(status.advice.join('\n')).toContain('Switch back with: docker context use default');
  });

  it('reads a tcp context with its TLS folder', async () => {
    const h = fakeHome();
    writeContext(h, 'remote', 'tcp://build.example:2376');
    const id = createHash('sha256').update('remote').digest('hex');
    h.dir(`.docker/contexts/tls/${id}/docker`);
    const [c] = await candidateAddresses(host(h, { env: { DOCKER_CONTEXT: 'remote' } }));
    expect(c.tls).toMatchObject({ ca: `${h.home}/.docker/contexts/tls/${id}/docker/ca.pem`, verify: true });
    expect(dockerOptionsFor(c.address, { verify: true })).toMatchObject({ host: 'build.example', port: 2376, protocol: 'https' });
  });
});

describe('macOS engines', () => {
  it('tries Docker Desktop, the default socket, every Colima profile, OrbStack, Rancher Desktop and each Podman machine', async () => {
    const h = fakeHome();
    h.dir('.colima/work');
    h.dir('.colima/_lima'); // Colima's own bookkeeping, not a profile
    h.put(path.join(h.tmp, 'podman/dev-api.sock'));
    h.put('.local/share/containers/podman/machine/qemu/podman.sock');
    const c = await candidateAddresses(host(h, { platform: 'darwin' }));
    expect(c.map((x) => [x.source, x.address])).toEqual([
      ['Docker Desktop', `${h.home}/.docker/run/docker.sock`],
      ['default socket (Docker Desktop, podman-mac-helper)', '/var/run/docker.sock'],
      ['Colima (profile default)', `${h.home}/.colima/default/docker.sock`],
      ['Colima (profile work)', `${h.home}/.colima/work/docker.sock`],
      ['OrbStack', `${h.home}/.orbstack/run/docker.sock`],
      ['Rancher Desktop', `${h.home}/.rd/docker.sock`],
      ['Podman machine podman-machine-default', `${h.tmp}/podman/podman-machine-default-api.sock`],
      ['Podman machine dev', `${h.tmp}/podman/dev-api.sock`],
      ['Podman machine qemu (Podman 4)', `${h.home}/.local/share/containers/podman/machine/qemu/podman.sock`],
    ]);
    expect(c.filter((x) => x.podman === 'machine')).toHaveLength(3);
    expect(c.find((x) => x.source === 'Colima (profile work)')?.startHint).toBe('colima start --profile work');
  });

  it('reads COLIMA_HOME and the socket of Colima before 0.4', async () => {
    const h = fakeHome();
    const colima = h.dir('elsewhere/colima');
    h.put(path.join(colima, 'docker.sock'));
    const c = await candidateAddresses(host(h, { platform: 'darwin', env: { COLIMA_HOME: colima } }));
    expect(c.filter((x) => x.source.startsWith('Colima')).map((x) => x.address)).toEqual([
      `${colima}/default/docker.sock`,
      `${colima}/docker.sock`,
    ]);
  });

  it('advises starting the engine whose socket is there but does not answer', () => {
    const advice = adviceFor(
      [
        { address: '/h/.colima/default/docker.sock', source: 'Colima (profile default)', outcome: 'refused' },
        { address: '/T/podman/podman-machine-default-api.sock', source: 'Podman machine podman-machine-default', outcome: 'missing' },
      ],
      [
        { address: '/h/.colima/default/docker.sock', source: 'Colima (profile default)', startHint: 'colima start' },
        { address: '/T/podman/podman-machine-default-api.sock', source: 'Podman machine podman-machine-default', podman: 'machine' },
      ],
      { podmanInstalled: true, platform: 'darwin' },
    );
    expect(advice).toEqual([
      'Nothing answers on /h/.colima/default/docker.sock (Colima (profile default)). Start it: colima start.',
      'The Podman machine is not running. Start it with: podman machine start',
    ]);
  });

  it('names the macOS engines when nothing at all is there', () => {
    expect(adviceFor([], [], { platform: 'darwin' })[0]).toMatch(/Docker Desktop, Colima .*OrbStack, Rancher Desktop, or Podman/);
  });
});

describe('Windows named pipes', () => {
  it("tries Docker Desktop's and Podman's pipes", async () => {
    const h = fakeHome();
    const c = await candidateAddresses(host(h, { platform: 'win32' }));
    expect(c.map((x) => x.address)).toEqual([
      'npipe:////./pipe/docker_engine',
      'npipe:////./pipe/podman-machine-default',
      'npipe:////./pipe/dockerDesktopLinuxEngine',
    ]);
    expect(dockerOptionsFor('npipe:////./pipe/docker_engine')).toEqual({ socketPath: '//./pipe/docker_engine' });
  });
});

describe('rootless Podman without a socket (lxplus)', () => {
  const podmanHost = (h: ReturnType<typeof fakeHome>, over: Partial<DiscoveryHost> & { env?: NodeJS.ProcessEnv } = {}) =>
    host(h, { which: async (b) => (b === 'podman' ? '/usr/bin/podman' : undefined), ...over });

  it('offers to start a Podman service in the runtime folder when there is no systemd user session', async () => {
    const h = fakeHome();
    const run = h.dir(path.join(h.tmp, 'run'));
    const offer = await podmanServiceOffer(podmanHost(h, { env: { XDG_RUNTIME_DIR: run } }), []);
    expect(offer).toEqual({
      command: `podman system service --time=0 unix://${run}/dism-studio-podman.sock`,
      socket: `${run}/dism-studio-podman.sock`,
      why: 'podman is installed (/usr/bin/podman), but no Podman API socket answers and there is no systemd user session to start one (as on lxplus).',
    });
  });

  it('with a systemd user session advises podman.socket instead', async () => {
    const h = fakeHome();
    const run = h.dir(path.join(h.tmp, 'run'));
    const real = realDiscoveryHost({});
    const hst = podmanHost(h, {
      env: { XDG_RUNTIME_DIR: run },
      pathKind: (p) => (p === `${run}/systemd/private` ? Promise.resolve('socket') : real.pathKind(p)),
    });
    expect(await podmanServiceOffer(hst, [])).toBeUndefined();
    const { status } = await discoverEngine({
      ...hst,
      pathKind: (p) => (p === `${run}/systemd/private` ? Promise.resolve('socket') : Promise.resolve('missing')),
    });
    expect(status.podmanOffer).toBeUndefined();
    expect(status.advice).toContain('The Podman socket is not active. Start it with: systemctl --user enable --now podman.socket');
  });

  it('offers the service at DOCKER_HOST when it names a unix socket nobody serves, not for tcp://', async () => {
    const h = fakeHome();
    const tried = (address: string) => [{ address, source: 'DOCKER_HOST', outcome: 'missing' as const }];
    const sock = path.join(h.tmp, 'podman.sock');
    expect((await podmanServiceOffer(podmanHost(h, { env: { DOCKER_HOST: `unix://${sock}` } }), tried(`unix://${sock}`)))?.socket).toBe(
      sock,
    );
    expect(await podmanServiceOffer(podmanHost(h, { env: { DOCKER_HOST: 'tcp://h:2375' } }), tried('tcp://h:2375'))).toBeUndefined();
  });

  it('offers nothing without podman, or on macOS (Podman machine has its own start)', async () => {
    const h = fakeHome();
    expect(await podmanServiceOffer(host(h, { which: async () => undefined }), [])).toBeUndefined();
    expect(await podmanServiceOffer(podmanHost(h, { platform: 'darwin' }), [])).toBeUndefined();
  });

  it('the unreachable status carries the offer and says so in the advice', async () => {
    const h = fakeHome();
    const run = h.dir(path.join(h.tmp, 'run'));
    const { status } = await discoverEngine(podmanHost(h, { env: { XDG_RUNTIME_DIR: run }, pathKind: async () => 'missing' }));
    expect(status.state).toBe('unreachable');
    expect(status.podmanOffer?.socket).toBe(`${run}/dism-studio-podman.sock`);
    expect(status.advice.join('\n')).toContain(
      'Let DISM Studio start the service, or run it yourself and keep it running: podman system service --time=0 &',
    );
    expect(status.tried.map((t) => t.source)).toEqual([
      'Docker Desktop (Linux)',
      'Docker system socket',
      'rootless Docker socket',
      'rootless Podman socket',
      'rootful Podman socket',
      'Podman service started by DISM Studio',
    ]);
  });
});

describe('discovery against the real engine through a context', () => {
  it('a context pointing at the engine is used and listed first', async () => {
    const h = fakeHome();
    writeContext(h, 'system', 'unix:///var/run/docker.sock');
    const { status } = await discoverEngine(host(h, { env: { DOCKER_CONTEXT: 'system' } }));
    expect(status.state).toBe('connected');
    expect(status.tried).toEqual([
      { address: 'unix:///var/run/docker.sock', source: 'docker context "system" (DOCKER_CONTEXT)', outcome: 'ok' },
    ]);
  });

  it('a context whose engine does not answer falls back to the platform sockets, with a note', async () => {
    const h = fakeHome();
    // A socket file nobody listens on any more (its server was killed).
    const dead = path.join(h.tmp, 'dead.sock');
    spawnSync(process.execPath, [
      '-e',
      `require('net').createServer().listen(${JSON.stringify(dead)}, () => process.kill(process.pid, 'SIGKILL'))`,
    ]);
    writeContext(h, 'colima', `unix://${dead}`);
    h.put('.docker/config.json', JSON.stringify({ currentContext: 'colima' }));
    const { status } = await discoverEngine(host(h, { env: { XDG_RUNTIME_DIR: path.join(h.tmp, 'run') } }));
    expect(status.tried[0]).toMatchObject({ address: `unix://${dead}`, outcome: 'refused' });
    expect(status.state).toBe('connected');
    expect(status.address).toBe('/var/run/docker.sock');
    expect(status.notes?.[0]).toContain(
      'Your docker context "colima" did not answer (refused); DISM Studio uses Docker system socket at /var/run/docker.sock instead',
    );
  });
});

describe('an engine slow to answer (a Podman service just started on a busy machine)', () => {
  it('times out at the usual 3 s per call, and is found with the longer time the Podman start gives it', async () => {
    const h = fakeHome();
    const socket = path.join(h.tmp, 'slow.sock');
    // answers /_ping at once and /version after 3.5 s, like podman's first /version and /info
    const server = http.createServer((req, res) => {
      const reply = (body: unknown) => {
        res.setHeader('content-type', req.url?.includes('_ping') ? 'text/plain' : 'application/json');
        res.end(typeof body === 'string' ? body : JSON.stringify(body));
      };
      if (req.url?.includes('_ping')) return reply('OK');
      if (req.url?.includes('/version'))
        return void setTimeout(() => reply({ Version: '5.4.2', ApiVersion: '1.41', Components: [] }), 3500);
      reply({});
    });
    await new Promise<void>((r) => server.listen(socket, r));
    try {
      const hst = host(h, { env: { DOCKER_HOST: `unix://${socket}` } });
      const quick = await discoverEngine(hst);
      expect(quick.status.state).toBe('unreachable');
      expect(quick.status.tried[0]).toMatchObject({ address: `unix://${socket}`, outcome: 'timeout' });
      const patient = await discoverEngine(hst, 20_000);
      expect(patient.status.state).toBe('connected');
      expect(patient.status.version).toBe('5.4.2');
    } finally {
      server.close();
    }
  }, 30_000);
});
