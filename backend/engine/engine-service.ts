import type Docker from 'dockerode';
import type { EngineStatus } from '@/shared/api/contract';
import { ApiError } from '@/shared/api/errors';
import { discoverEngine } from './discovery';

const RECHECK_MS = 15_000;

/** Owns the connection to the container engine; re-checks periodically and on demand. */
export class EngineService {
  private status: EngineStatus = { state: 'checking', tried: [], advice: [], checkedAt: new Date().toISOString() };
  private docker: Docker | undefined;
  private inflight: Promise<EngineStatus> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly onChange: (s: EngineStatus) => void,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  current(): EngineStatus {
    return this.status;
  }

  refresh(): Promise<EngineStatus> {
    this.inflight ??= (async () => {
      try {
        const { status, docker } = await discoverEngine(this.env);
        const changed =
          status.state !== this.status.state || status.version !== this.status.version || status.address !== this.status.address;
        this.status = status;
        this.docker = docker;
        if (changed) this.onChange(status);
        return status;
      } finally {
        this.inflight = undefined;
      }
    })();
    return this.inflight;
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
