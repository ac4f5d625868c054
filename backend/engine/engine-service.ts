import type Docker from 'dockerode';
import type { EngineStatus } from '@/shared/api/contract';
import { ApiError } from '@/shared/api/errors';
import { realDiscoveryHost, socketPathOf, type DiscoveryHost } from './candidates';
import { discoverEngine } from './discovery';
import { PodmanServiceChild } from './podman-service';

const RECHECK_MS = 15_000;
/**
 * How long each call may take when looking for a Podman service this process has just started. It
 * answered a ping already; its first /version and /info (podman gathers host facts for them) took
 * longer than discovery's usual 3 s while builds ran beside it (the lxplus e2e test failed so).
 */
const STARTED_PODMAN_PROBE_MS = 20_000;

/**
 * Owns the connection to the container engine; re-checks periodically and on demand. When no
 * engine answers on an lxplus-like host it can start a Podman service as its own child
 * (startPodmanService), which it stops in dispose().
 */
export class EngineService {
  private status: EngineStatus = { state: 'checking', tried: [], advice: [], checkedAt: new Date().toISOString() };
  private docker: Docker | undefined;
  private inflight: Promise<EngineStatus> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly podman = new PodmanServiceChild();
  private readonly host: DiscoveryHost;

  /** `host` replaces what discovery reads of the machine (tests: fake homes, a machine without Docker). */
  constructor(
    private readonly onChange: (s: EngineStatus) => void,
    private readonly env: NodeJS.ProcessEnv = process.env,
    host?: Partial<DiscoveryHost>,
  ) {
    this.host = realDiscoveryHost(env, host);
  }

  current(): EngineStatus {
    return this.status;
  }

  refresh(probeTimeoutMs?: number): Promise<EngineStatus> {
    this.inflight ??= (async () => {
      try {
        const found = await discoverEngine(this.host, probeTimeoutMs);
        const started = this.podman.info;
        const status: EngineStatus =
          started && socketPathOf(found.status.address ?? '') === started.socket
            ? { ...found.status, podmanService: started }
            : found.status;
        const changed =
          status.state !== this.status.state ||
          status.version !== this.status.version ||
          status.address !== this.status.address ||
          Boolean(status.podmanOffer) !== Boolean(this.status.podmanOffer);
        this.status = status;
        this.docker = found.docker;
        if (changed) this.onChange(status);
        return status;
      } finally {
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }

  /**
   * Start the Podman service the current status offers (podman on PATH, no API socket, no systemd
   * user session) as a child of this process, and connect to it.
   */
  async startPodmanService(): Promise<EngineStatus> {
    const status = this.status.state === 'checking' ? await this.refresh() : this.status;
    if (status.state === 'connected')
      throw new ApiError(
        'ENGINE_ALREADY_CONNECTED',
        `A container engine already answers (${status.kind} at ${status.address}); no Podman service was started.`,
        status,
        'EngineAlreadyConnectedError',
      );
    const offer = status.podmanOffer;
    if (!offer)
      throw new ApiError(
        'NO_PODMAN_OFFER',
        `DISM Studio starts a Podman service only where podman is installed and no engine or systemd user session is there to start one. ${status.advice.join(' ')}`,
        status,
        'NoPodmanOfferError',
      );
    const podman = (await this.host.which('podman'))!;
    await this.podman.start({ podman, socket: offer.socket, env: this.env });
    // a check already under way (with the usual timeout) is not taken for this one
    await this.inflight;
    const after = await this.refresh(STARTED_PODMAN_PROBE_MS);
    if (after.state !== 'connected') {
      await this.podman.stop();
      throw new ApiError(
        'PODMAN_SERVICE_FAILED',
        `${offer.command} started, but discovery did not find it at ${offer.socket}.`,
        after,
        'PodmanServiceError',
      );
    }
    return after;
  }

  startPolling(intervalMs = RECHECK_MS): void {
    this.stopPolling();
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), intervalMs);
    this.timer.unref();
  }

  stopPolling(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Stop polling and the Podman service this process started (if any). */
  async dispose(): Promise<void> {
    this.stopPolling();
    await this.podman.stop();
  }

  /** The engine client, or a clear error saying what was tried and what to do. */
  async client(): Promise<Docker> {
    if (!this.docker || this.status.state !== 'connected') await this.refresh();
    if (!this.docker) {
      const tried = this.status.tried.map((t) => `${t.source} ${t.address}: ${t.outcome}`).join('; ');
      throw new ApiError(
        'ENGINE_UNREACHABLE',
        `Container engine not reachable. Tried: ${tried}. ${this.status.advice.join(' ')}`,
        this.status,
        'EngineUnreachableError',
      );
    }
    return this.docker;
  }
}
