/**
 * What the back end keeps of NMF preview runs, and for how long. Every rule about it lives here;
 * PipelineService asks this class before keeping anything and tells it when a run is used.
 *
 * - Stage maps (what a run keeps of them: its loss maps, ~78 kB per LS of the three barrel layers;
 *   the others are recomputed from the input when an LS is inspected, see ChunkRecompute) are kept
 *   for at most `mapsBudget` bytes for all runs together. A run that needs room takes it from the least
 *   recently used other runs (their maps are dropped, their results stay); when no other run has
 *   maps left, the run keeps its remaining LS without maps.
 * - Runs (per-LS results, the preset, the maps left to them) are kept until released explicitly
 *   (`pipeline.release`: the UI does it before it starts another run and when it leaves the project),
 *   or until they are among more than `maxRuns` finished runs (least recently used first), or when
 *   unused for `idleMs` after they finished. A running run is never dropped except by release.
 */
export interface RetentionPolicy {
  /** Finished runs kept; beyond that the least recently used one is dropped. */
  maxRuns: number;
  /** Bytes of stage maps kept for all runs together. */
  mapsBudget: number;
  /** A finished run not used for this long is dropped. */
  idleMs: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = { maxRuns: 4, mapsBudget: 1024 * 2 ** 20, idleMs: 30 * 60_000 };

/** What the policy needs to know of a run. */
export interface RetainedRun {
  readonly id: string;
  /** The job has ended (until then the run is never dropped except by release). */
  done: boolean;
  /** Bytes of stage maps the run keeps. */
  mapsBytes: number;
}

export type DropReason = 'released' | 'too many runs' | 'idle' | 'shutdown';

export interface RetentionHooks<R extends RetainedRun> {
  /** Forget the run's stage maps (set mapsBytes to 0); `newer` is the run that needed the room. */
  dropMaps(run: R, newer: R): void;
  /** The run is no longer kept: free what it holds (ONNX sessions, its job if still running). */
  drop(run: R, reason: DropReason): Promise<void>;
}

/** How often idle runs are looked for. */
const SWEEP_EVERY_MS = 60_000;

export class RunRetention<R extends RetainedRun> {
  /** In order of last use, least recent first. */
  private readonly runs = new Map<string, { run: R; lastUsed: number }>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    readonly policy: RetentionPolicy,
    private readonly hooks: RetentionHooks<R>,
    private readonly now: () => number = Date.now,
  ) {}

  /** A new run (still running). */
  add(run: R): void {
    this.runs.set(run.id, { run, lastUsed: this.now() });
    this.timer ??= setInterval(() => this.sweep(), Math.min(SWEEP_EVERY_MS, this.policy.idleMs)).unref();
  }

  /** The run, if still kept, counted as used now. */
  use(id: string): R | undefined {
    const e = this.runs.get(id);
    if (!e) return undefined;
    this.runs.delete(id);
    e.lastUsed = this.now();
    this.runs.set(id, e);
    return e.run;
  }

  /** Whether this very run is still kept (a released run's job may still be delivering chunks). */
  keeps(run: R): boolean {
    return this.runs.get(run.id)?.run === run;
  }

  /**
   * Room for `bytes` more stage maps of `run`, taken from the least recently used other runs if
   * needed. False when even that is not enough: the caller keeps no more maps for this run.
   */
  reserveMaps(run: R, bytes: number): boolean {
    if (!this.keeps(run) || bytes > this.policy.mapsBudget) return false;
    let used = this.mapsBytes();
    for (const { run: other } of this.runs.values()) {
      if (used + bytes <= this.policy.mapsBudget) break;
      if (other === run || other.mapsBytes === 0) continue;
      used -= other.mapsBytes;
      this.hooks.dropMaps(other, run);
      other.mapsBytes = 0;
    }
    if (used + bytes > this.policy.mapsBudget) return false;
    run.mapsBytes += bytes;
    return true;
  }

  /** The run's job ended (its last use so far): it now counts against `maxRuns` and its idle time starts. */
  finished(run: R): void {
    run.done = true;
    if (this.keeps(run)) this.use(run.id);
    let finished = [...this.runs.values()].filter((x) => x.run.done).length;
    for (const { run: old } of this.runs.values()) {
      if (finished <= this.policy.maxRuns) break;
      if (!old.done || old === run) continue;
      finished--;
      void this.drop(old.id, 'too many runs');
    }
  }

  /** Drop finished runs unused for `idleMs`. Runs every minute; tests call it with their own clock. */
  sweep(): void {
    const t = this.now();
    for (const { run, lastUsed } of [...this.runs.values()]) {
      if (run.done && t - lastUsed >= this.policy.idleMs) void this.drop(run.id, 'idle');
    }
  }

  /** Stop keeping the run; resolves when what it held is freed. Undefined when it was not kept. */
  async drop(id: string, reason: DropReason): Promise<R | undefined> {
    const e = this.runs.get(id);
    if (!e) return undefined;
    this.runs.delete(id);
    if (this.runs.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
    await this.hooks.drop(e.run, reason);
    return e.run;
  }

  async dropAll(reason: DropReason): Promise<void> {
    await Promise.all([...this.runs.keys()].map((id) => this.drop(id, reason)));
  }

  /** Bytes of stage maps kept by all runs. */
  mapsBytes(): number {
    let b = 0;
    for (const { run } of this.runs.values()) b += run.mapsBytes;
    return b;
  }

  /** The kept runs, least recently used first. */
  list(): Array<{ run: R; lastUsed: number }> {
    return [...this.runs.values()].map((e) => ({ ...e }));
  }
}
