import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { DialsParquetWriter, type HistogramRow } from './dials-parquet-writer';
import { parquetFileName } from './fetch-folder';
import { readSpool, spoolKeys } from './map-spool';

/**
 * The spooled pages of a fetch turned into one parquet per ME, run by run while the fetch goes on:
 * as soon as every ME of the next run (in run order) is downloaded, that run's rows are appended to
 * each ME's file — so writing overlaps the waiting for pages instead of following the whole
 * download. A lumisection goes in only when every ME has a map of it (the Preview needs all layers
 * of a LS); the others are reported. The files are written into a new folder next to the fetch
 * folder, which the caller swaps in once everything is there; `abort` removes it.
 */

export interface AssemblyMe {
  me: string;
  meId: number;
  dim: number;
}

export interface UnitState {
  done: boolean;
  records: number;
  shape: number[] | null;
}

/** Rows per parquet row group (a BPix4 group is ~5 MB before compression). */
const ROW_GROUP = 32;

export class ParquetAssembly {
  readonly warnings: string[] = [];
  readonly runsWithoutData: Array<{ run: number; reason: string }> = [];
  readonly runsWritten: number[] = [];
  private next = 0;
  private queue: Promise<void> = Promise.resolve();
  private failure: unknown = null;
  private readonly writers: Array<{ me: AssemblyMe; file: string; handle: FileHandle; writer: DialsParquetWriter }> = [];

  private constructor(
    readonly ready: string,
    private readonly plan: { dataset: string; datasetId: number; mes: AssemblyMe[]; runs: number[] },
    private readonly unit: (meId: number, run: number) => UnitState,
    private readonly spoolFile: (meId: number, run: number) => string,
    private readonly signal?: AbortSignal,
  ) {}

  /** Opens the new folder (next to `folder`) and one writer per ME; old new-folders of a crashed fetch are removed. */
  static async open(
    folder: string,
    plan: { dataset: string; datasetId: number; mes: AssemblyMe[]; runs: number[] },
    unit: (meId: number, run: number) => UnitState,
    spoolFile: (meId: number, run: number) => string,
    createdBy: string,
    signal?: AbortSignal,
  ): Promise<ParquetAssembly> {
    const parent = path.dirname(folder);
    const prefix = `.${path.basename(folder)}.new-`;
    await fs.mkdir(parent, { recursive: true });
    for (const n of await fs.readdir(parent)) if (n.startsWith(prefix)) await fs.rm(path.join(parent, n), { recursive: true, force: true });
    const ready = path.join(parent, `${prefix}${randomBytes(4).toString('hex')}`);
    await fs.mkdir(ready);
    const a = new ParquetAssembly(ready, plan, unit, spoolFile, signal);
    try {
      for (const me of plan.mes) {
        const file = parquetFileName(plan.dataset, me.me);
        const handle = await fs.open(path.join(ready, file), 'wx');
        a.writers.push({ me, file, handle, writer: new DialsParquetWriter(handle, me.dim === 1 ? 1 : 2, createdBy) });
      }
    } catch (err) {
      await a.abort();
      throw err;
    }
    return a;
  }

  /** Set when writing failed: the fetch stops and throws it. */
  get failed(): unknown {
    return this.failure;
  }

  /** Write every run whose MEs are all downloaded, in run order (call after a unit finished). */
  schedule(): void {
    this.queue = this.queue.then(async () => {
      if (this.failure) return;
      try {
        while (this.next < this.plan.runs.length && this.plan.mes.every((m) => this.unit(m.meId, this.plan.runs[this.next]).done)) {
          await this.writeRun(this.plan.runs[this.next]);
          this.next++;
        }
      } catch (err) {
        this.failure = err;
      }
    });
  }

  private async writeRun(run: number): Promise<void> {
    // The LS every ME has.
    const perMe: Array<{ me: string; ls: Set<number> }> = [];
    let common = null as Set<number> | null;
    for (const m of this.plan.mes) {
      const u = this.unit(m.meId, run);
      const bins = u.shape ? u.shape.reduce((a, b) => a * b, 1) : 0;
      const keys = u.records ? await spoolKeys(this.spoolFile(m.meId, run), bins, u.records) : [];
      const ls = new Set(keys.map(([, l]) => l));
      perMe.push({ me: m.me, ls });
      common = common === null ? ls : new Set([...common].filter((x: number) => ls.has(x)));
    }
    const keep = common ?? new Set<number>();
    const dropped = new Set(perMe.flatMap((x) => [...x.ls].filter((l) => !keep.has(l))));
    if (dropped.size) {
      const lacking = perMe.filter((x) => [...dropped].some((l) => !x.ls.has(l))).map((x) => x.me.split('/').pop());
      const sorted = [...dropped].sort((a, b) => a - b);
      this.warnings.push(
        `run ${run}: ${dropped.size} lumisection(s) left out because DIALS has no map of ${lacking.join(', ')} for them (LS ${sorted.slice(0, 12).join(', ')}${sorted.length > 12 ? ', …' : ''})`,
      );
    }
    if (!keep.size) {
      this.runsWithoutData.push({ run, reason: 'no lumisection has a map of every monitoring element' });
      return;
    }
    for (const w of this.writers) {
      const u = this.unit(w.me.meId, run);
      const bins = u.shape!.reduce((a, b) => a * b, 1);
      let batch: HistogramRow[] = [];
      for await (const recs of readSpool(this.spoolFile(w.me.meId, run), bins, u.records, ROW_GROUP)) {
        this.signal?.throwIfAborted();
        for (const r of recs) {
          if (!keep.has(r.ls)) continue;
          batch.push({ ...r, dataset: this.plan.dataset, me: w.me.me, datasetId: this.plan.datasetId, meId: w.me.meId });
          if (batch.length >= ROW_GROUP) {
            await w.writer.write(batch);
            batch = [];
          }
        }
      }
      await w.writer.write(batch);
    }
    this.runsWritten.push(run);
  }

  /** Waits for the writes, closes the files (synced) and returns them per ME; throws what failed. */
  async finish(): Promise<Array<{ me: AssemblyMe; file: string; lumisections: number }>> {
    this.schedule();
    await this.queue;
    if (this.failure) throw this.failure;
    if (this.next < this.plan.runs.length) throw new Error(`run ${this.plan.runs[this.next]} is not downloaded completely`);
    const out: Array<{ me: AssemblyMe; file: string; lumisections: number }> = [];
    for (const w of this.writers) {
      await w.writer.finish();
      await w.handle.sync();
      await w.handle.close();
      out.push({ me: w.me, file: w.file, lumisections: w.writer.rowCount });
    }
    this.writers.length = 0;
    return out;
  }

  /** Stop writing and remove the new folder (the spooled pages stay for a resume). */
  async abort(): Promise<void> {
    this.failure ??= new Error('aborted');
    await this.queue.catch(() => undefined);
    for (const w of this.writers) await w.handle.close().catch(() => undefined);
    this.writers.length = 0;
    await fs.rm(this.ready, { recursive: true, force: true });
  }
}
