import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { DialsFetchManifest, DialsFetchProgress, DialsPartialFetch, LsRange, TemplateMe } from '@/shared/api/contract/dials';
import { formatRunSelection, type RunSelection } from '@/shared/dials/run-selection';
import { closestNames } from '@/shared/template/suggest';
import { writeFileAtomic } from '../fs/atomic-write';
import { swapInFolder } from '../fs/swap-folder';
import { DialsClient } from './dials-client';
import { DialsError } from './dials-errors';
import type { DialsHttp } from './dials-http';
import { HLT_FILE, MANIFEST_FILE, OMS_FILE, partialFolderOf, readManifest } from './fetch-folder';
import { encodeSpoolRecords } from './map-spool';
import { ParquetAssembly } from './parquet-assembly';
import { fetchHltRates, fetchOmsLumisections, mergeOmsColumns, type HltRates, type HltSelection, type OmsColumns } from './oms-fetch';
import { badResponse, type DialsRecord } from './records';

/**
 * Fetch sample maps of a dataset's runs for the monitoring elements of a template from DIALS, with
 * their OMS lumisection attributes and HLT rates, into one fetch folder (see fetch-folder.ts):
 *
 * 1. plan — the dataset (dataset-index/), the MEs (mes/, with the closest names when one is
 *    unknown), the runs with data (run/), the MEs of each run (mes/{dataset}/{run}/);
 * 2. maps — every (ME, run) walks th2/ (th1/) page by page with the client's filters, at most
 *    `concurrency` requests at a time; each page is checked record by record, appended to a spool
 *    file and recorded in progress.json, so an interruption (network down, cancel, crash) loses at
 *    most the pages in flight and the next fetch of the same request continues after the last saved page;
 * 3. OMS and HLT per run through the OMS proxy (also resumable per run);
 * 4. write — per ME one parquet, lumisections present for every ME only (others are reported),
 *    assembled next to the folder and swapped in whole with the manifest.
 */

export interface FetchRequest {
  dataset: string;
  runs: RunSelection;
  /** MEs to fetch (from the template). */
  mes: TemplateMe[];
  ls: LsRange;
  workspace: string | null;
  /** Template path as recorded in the manifest (relative to the project). */
  template: string;
  /** Replace an earlier, different fetch in the folder. */
  replace: boolean;
}

export interface FetchOptions {
  folder: string;
  request: FetchRequest;
  http: DialsHttp;
  hlt: HltSelection | null;
  signal?: AbortSignal;
  /** Records per page (DIALS: at most 500). */
  pageSize?: number;
  /** Requests running at once. */
  concurrency?: number;
  log(text: string, stream?: 'info' | 'stderr'): void;
  progress(p: DialsFetchProgress, message: string): void;
  /** How the user confirms replacing an earlier fetch, for the message. */
  replaceHint: string;
  createdBy: string;
  now?: () => number;
}

export const DEFAULT_PAGE_SIZE = 100;
export const DEFAULT_CONCURRENCY = 4;

interface PlannedMe extends TemplateMe {
  meId: number;
}

interface Unit {
  meId: number;
  run: number;
  /** LS expected (from the run's ls_count and the LS range), for progress. */
  expectedLs: number;
  done: boolean;
  nextToken: string | null;
  pages: number;
  records: number;
  spoolBytes: number;
  lastLs: number;
  /** [y_bin, x_bin] (TH2) or [x_bin] (TH1), from the first record. */
  shape: number[] | null;
}

interface Progress {
  version: 1;
  key: string;
  summary: DialsPartialFetch;
  startedAt: string;
  plan: {
    datasetId: number;
    dataset: string;
    mes: PlannedMe[];
    runs: Array<{ run: number; lsCount: number }>;
    runsWithoutData: Array<{ run: number; reason: string }>;
  };
  units: Record<string, Unit>;
  omsDone: number[];
  hltDone: number[];
  stats: { requests: number; pages: number; bytes: number; retries: number; resumedPages: number };
}

const unitKey = (meId: number, run: number) => `${meId}-${run}`;

function requestKey(instance: string, r: FetchRequest, pageSize: number): string {
  const canonical = JSON.stringify({
    instance,
    workspace: r.workspace,
    dataset: r.dataset,
    runs: formatRunSelection(r.runs),
    mes: r.mes.map((m) => m.me).sort(),
    ls: [r.ls.first ?? null, r.ls.last ?? null],
    pageSize,
  });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 24);
}

function lsInWindow(lsCount: number, ls: LsRange): number {
  const first = Math.max(1, ls.first ?? 1);
  const last = Math.min(lsCount, ls.last ?? lsCount);
  return Math.max(0, last - first + 1);
}

function listText(runs: number[], max = 20): string {
  return runs.length > max ? `${runs.slice(0, max).join(', ')} … (${runs.length} runs)` : runs.join(', ');
}

/** Run `work` over `items` with at most `limit` at a time; the first failure stops new work and is thrown once the running ones ended. */
async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | null = null;
  const worker = async () => {
    while (!failure && next < items.length) {
      const item = items[next++];
      try {
        await work(item);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw (failure as { err: unknown }).err;
}

export async function runDialsFetch(opts: FetchOptions): Promise<DialsFetchManifest> {
  const now = opts.now ?? Date.now;
  const pageSize = opts.pageSize ?? DEFAULT_PAGE_SIZE;
  const concurrency = opts.concurrency ?? DEFAULT_CONCURRENCY;
  const { request: req, http, folder, signal } = opts;
  const client = new DialsClient(http);
  const partialDir = partialFolderOf(folder);
  const progressFile = path.join(partialDir, 'progress.json');
  const key = requestKey(http.instance, req, pageSize);

  await refuseToReplace(folder, req, opts.replaceHint);

  // --- resume or plan ------------------------------------------------------------------------
  let progress = await loadProgress(progressFile);
  if (progress && progress.key !== key) {
    opts.log(
      `An interrupted fetch of another request (${progress.summary.dataset}, runs ${formatRunSelection(progress.summary.runs)}) was in ${partialDir}; it is discarded.`,
    );
    progress = null;
  }
  if (!progress) {
    await fs.rm(partialDir, { recursive: true, force: true });
    await fs.mkdir(path.join(partialDir, 'maps'), { recursive: true });
    const report = (message: string) => opts.progress(emptyProgress('plan'), message);
    report('Looking up the dataset, monitoring elements and runs in DIALS…');
    const plan = await makePlan(client, req, signal, opts.log);
    const units: Record<string, Unit> = {};
    for (const r of plan.runs)
      for (const m of plan.mes)
        units[unitKey(m.meId, r.run)] = {
          meId: m.meId,
          run: r.run,
          expectedLs: lsInWindow(r.lsCount, req.ls),
          done: false,
          nextToken: null,
          pages: 0,
          records: 0,
          spoolBytes: 0,
          lastLs: 0,
          shape: null,
        };
    progress = {
      version: 1,
      key,
      summary: {
        dataset: req.dataset,
        runs: req.runs,
        mes: req.mes.map((m) => m.me),
        ls: req.ls,
        workspace: req.workspace,
        template: req.template,
        pagesDone: 0,
        pagesTotal: 0,
        updatedAt: new Date(now()).toISOString(),
      },
      startedAt: new Date(now()).toISOString(),
      plan,
      units,
      omsDone: [],
      hltDone: [],
      stats: { requests: 0, pages: 0, bytes: 0, retries: 0, resumedPages: 0 },
    };
  } else {
    const saved = Object.values(progress.units).reduce((s, u) => s + u.pages, 0);
    progress.stats.resumedPages = saved;
    opts.log(`Continuing an interrupted fetch: ${saved} pages were saved before and are not fetched again.`);
  }
  const p = progress;
  const units = Object.values(p.units).sort((a, b) => a.run - b.run || a.meId - b.meId);
  const pagesOf = (u: Unit) =>
    u.done ? u.pages : Math.max(u.pages + (u.nextToken || u.pages === 0 ? 1 : 0), Math.ceil(u.expectedLs / pageSize));
  const resumed = units.reduce((s, u) => s + u.pages, 0);
  p.summary.pagesTotal = units.reduce((s, u) => s + Math.max(1, pagesOf(u)), 0);

  // --- progress ------------------------------------------------------------------------------
  const started = now();
  const base = { requests: p.stats.requests, bytes: p.stats.bytes, retries: p.stats.retries };
  let pagesNow = 0;
  const counts = (phase: DialsFetchProgress['phase']): DialsFetchProgress => {
    const pagesDone = units.reduce((s, u) => s + u.pages, 0);
    const pagesTotal = Math.max(
      pagesDone,
      units.reduce((s, u) => s + Math.max(1, pagesOf(u)), 0),
    );
    const lsTotal = p.plan.runs.reduce((s, r) => s + lsInWindow(r.lsCount, req.ls), 0);
    let lsDone = 0;
    for (const r of p.plan.runs) lsDone += Math.min(...p.plan.mes.map((m) => p.units[unitKey(m.meId, r.run)]?.records ?? 0));
    const mesDone = p.plan.mes.filter((m) => units.every((u) => u.meId !== m.meId || u.done)).length;
    const elapsed = (now() - started) / 1000;
    const etaSeconds =
      phase === 'maps' && pagesNow >= 2 && elapsed > 0 ? Math.round(((pagesTotal - pagesDone) * elapsed) / pagesNow) : null;
    return {
      phase,
      pagesDone,
      pagesTotal,
      lsDone: Math.min(lsDone, lsTotal),
      lsTotal,
      mesDone,
      mesTotal: p.plan.mes.length,
      bytes: base.bytes + http.stats.bytes,
      etaSeconds,
      resumedPages: resumed,
      retries: base.retries + http.stats.retries,
    };
  };
  const report = (phase: DialsFetchProgress['phase'], what?: string) => {
    const c = counts(phase);
    const eta =
      c.etaSeconds === null ? '' : ` · about ${c.etaSeconds < 90 ? `${c.etaSeconds} s` : `${Math.round(c.etaSeconds / 60)} min`} left`;
    opts.progress(
      c,
      what ?? `Maps: page ${c.pagesDone} of ${c.pagesTotal} · ${c.lsDone} of ${c.lsTotal} LS · ${c.mesDone} of ${c.mesTotal} MEs${eta}`,
    );
  };
  let saving: Promise<void> = Promise.resolve();
  const save = () => {
    p.summary.pagesDone = units.reduce((s, u) => s + u.pages, 0);
    p.summary.pagesTotal = counts('maps').pagesTotal;
    p.summary.updatedAt = new Date(now()).toISOString();
    p.stats = {
      ...p.stats,
      requests: base.requests + http.stats.requests,
      bytes: base.bytes + http.stats.bytes,
      retries: base.retries + http.stats.retries,
    };
    const text = JSON.stringify(p);
    saving = saving.then(() => writeFileAtomic(progressFile, text).then(() => undefined));
    return saving;
  };
  await save();

  const kept = () => {
    const c = counts('maps');
    return `The download so far is kept (${c.pagesDone} of ${c.pagesTotal} pages in ${partialDir}); fetch again with the same dataset, runs and MEs to continue from there.`;
  };

  const spoolFile = (meId: number, run: number) => path.join(partialDir, 'maps', `${unitKey(meId, run)}.bin`);
  let assembly: ParquetAssembly | null = null;
  try {
    // --- maps, written to parquet run by run as they complete ---------------------------------
    report('maps');
    assembly = await ParquetAssembly.open(
      folder,
      { dataset: p.plan.dataset, datasetId: p.plan.datasetId, mes: p.plan.mes, runs: p.plan.runs.map((r) => r.run) },
      (meId, run) => p.units[unitKey(meId, run)],
      spoolFile,
      opts.createdBy,
      signal,
    );
    const writing = assembly;
    writing.schedule(); // runs finished before an interruption
    const meOf = new Map(p.plan.mes.map((m) => [m.meId, m]));
    await pool(
      units.filter((u) => !u.done),
      concurrency,
      async (u) => {
        const me = meOf.get(u.meId)!;
        const handle = await fs.open(spoolFile(u.meId, u.run), 'a+');
        try {
          // Bytes written after the last saved page (an interruption mid-write) are dropped.
          await handle.truncate(u.spoolBytes);
          while (!u.done) {
            signal?.throwIfAborted();
            if (writing.failed) throw writing.failed;
            const route = me.dim === 2 ? 'th2/' : 'th1/';
            const filters = {
              dataset_id: p.plan.datasetId,
              run_number: u.run,
              me_id: u.meId,
              // The DIALS client's filter class says ls_numbet__lte (a typo the server ignores): the real name is sent.
              ls_number__gte: req.ls.first,
              ls_number__lte: req.ls.last,
              page_size: pageSize,
            };
            const page =
              me.dim === 2
                ? await client.page(route, 'LumisectionHistogram2D', filters, u.nextToken, signal)
                : await client.page(route, 'LumisectionHistogram1D', filters, u.nextToken, signal);
            const where = http.describe(route, { ...filters, ...(u.nextToken ? { next_token: '…' } : {}) });
            const rows = page.records.map((rec, i) => checkHistogram(rec, i, where, u, me, p.plan.datasetId, req.ls));
            const bins = u.shape ? u.shape.reduce((a, b) => a * b, 1) : 0;
            const buf = rows.length ? encodeSpoolRecords(rows, bins) : Buffer.alloc(0);
            if (buf.length) await handle.write(buf, 0, buf.length, u.spoolBytes);
            u.spoolBytes += buf.length;
            u.records += rows.length;
            u.pages++;
            u.nextToken = page.nextToken;
            u.done = page.nextToken === null;
            pagesNow++;
            await save();
            opts.log(`${where} → ${rows.length} maps (run ${u.run}, ${me.me.split('/').pop()}, page ${u.pages})`);
            report('maps');
          }
        } finally {
          await handle.close();
        }
        writing.schedule();
      },
    );

    // --- OMS and HLT -----------------------------------------------------------------------------
    const runs = p.plan.runs.map((r) => r.run);
    const omsDir = path.join(partialDir, 'oms');
    await fs.mkdir(omsDir, { recursive: true });
    for (const run of runs) {
      if (p.omsDone.includes(run)) continue;
      report('oms', `OMS lumisection data: run ${run} (${p.omsDone.length + 1} of ${runs.length})`);
      const cols = await fetchOmsLumisections(client, run, req.ls, signal);
      await writeFileAtomic(path.join(omsDir, `lumisections-${run}.json`), JSON.stringify(cols));
      p.omsDone.push(run);
      await save();
      opts.log(`OMS lumisections of run ${run}: ${cols.run_number?.length ?? 0} LS`);
    }
    if (opts.hlt) {
      for (const run of runs) {
        if (p.hltDone.includes(run)) continue;
        report('hlt', `HLT rates (${opts.hlt.describe}): run ${run} (${p.hltDone.length + 1} of ${runs.length})`);
        const rates = await fetchHltRates(client, run, opts.hlt, req.ls, signal);
        await writeFileAtomic(path.join(omsDir, `hlt-${run}.json`), JSON.stringify(rates));
        p.hltDone.push(run);
        await save();
        const paths = Object.keys(rates);
        opts.log(`HLT rates of run ${run}: ${paths.length ? paths.join(', ') : `no path matching ${opts.hlt.describe}`}`);
      }
    } else opts.log('No HLT rate cut in the preset or the template: HLT rates are not fetched.');
    await saving;

    // --- the last parquet rows, OMS/HLT files, manifest, swap ------------------------------------
    report('write', 'Writing the parquet files…');
    signal?.throwIfAborted();
    const manifest = await writeFetch({ ...opts, progressData: p, assembly, partialDir, started: p.startedAt, now });
    await fs.rm(partialDir, { recursive: true, force: true });
    return manifest;
  } catch (err) {
    await assembly?.abort();
    await saving.catch(() => undefined);
    if (signal?.aborted) {
      opts.log(kept());
      throw err;
    }
    if (err instanceof DialsError) throw new DialsError(err.code as never, `${err.message} ${kept()}`, err.details);
    throw err;
  }
}

function emptyProgress(phase: DialsFetchProgress['phase']): DialsFetchProgress {
  return {
    phase,
    pagesDone: 0,
    pagesTotal: 0,
    lsDone: 0,
    lsTotal: 0,
    mesDone: 0,
    mesTotal: 0,
    bytes: 0,
    etaSeconds: null,
    resumedPages: 0,
    retries: 0,
  };
}

async function loadProgress(file: string): Promise<Progress | null> {
  try {
    const p = JSON.parse(await fs.readFile(file, 'utf8')) as Progress;
    return p?.version === 1 && typeof p.key === 'string' && p.units ? p : null;
  } catch {
    return null;
  }
}

async function refuseToReplace(folder: string, req: FetchRequest, hint: string): Promise<void> {
  let manifest: DialsFetchManifest | null;
  try {
    manifest = await readManifest(folder);
  } catch {
    manifest = null;
  }
  if (manifest) {
    if (req.replace) return;
    throw new DialsError(
      'DIALS_FETCH_EXISTS',
      `${folder} already holds data fetched from DIALS (${manifest.dataset}, runs ${manifest.runsFetched.join(', ')}, ${manifest.finishedAt}); ${hint} to replace it with the new fetch. Nothing was fetched.`,
      { folder },
    );
  }
  const entries = await fs.readdir(folder).catch(() => null);
  if (entries && entries.length)
    throw new DialsError(
      'DIALS_FETCH_EXISTS',
      `${folder} exists and is not a DIALS fetch folder DISM Studio wrote (it has no ${MANIFEST_FILE}); move its files away or choose another output folder. Nothing was fetched.`,
      { folder },
    );
}

async function makePlan(
  client: DialsClient,
  req: FetchRequest,
  signal: AbortSignal | undefined,
  log: FetchOptions['log'],
): Promise<Progress['plan']> {
  const ws = req.workspace ?? 'your default workspace';
  const dataset = await client.dataset(req.dataset, signal);
  log(`Dataset ${dataset.dataset}: dataset_id ${dataset.dataset_id}`);
  // Monitoring elements
  const all = await client.mes(signal);
  const mes: PlannedMe[] = [];
  for (const m of req.mes) {
    const found = all.find((x) => x.me === m.me);
    if (!found) {
      const closest = closestNames(
        m.me,
        all.map((x) => x.me),
        3,
      );
      throw new DialsError(
        'DIALS_UNKNOWN_ME',
        `DIALS (${ws}) has no monitoring element "${m.me}" (template input ${m.input}).${closest.length ? ` Closest: ${closest.join(', ')}.` : ''} Correct the MonitoringElement in the template, untick it, or choose the workspace that has it.`,
        { me: m.me, closest },
      );
    }
    if (found.dim !== m.dim)
      throw new DialsError(
        'DIALS_UNKNOWN_ME',
        `"${m.me}" is a ${found.dim}-D histogram in DIALS, but the template's input ${m.input} has Dims for a ${m.dim}-D one; correct the Dims in the template.`,
        { me: m.me },
      );
    mes.push({ ...m, meId: found.me_id });
  }
  // Runs
  let runs: Array<{ run: number; lsCount: number }>;
  const runsWithoutData: Array<{ run: number; reason: string }> = [];
  if (req.runs.kind === 'range') {
    const found = await client.all(
      'run/',
      'Run',
      { dataset_id: dataset.dataset_id, run_number__gte: req.runs.first, run_number__lte: req.runs.last, page_size: 500 },
      signal,
    );
    runs = found.map((r) => ({ run: r.run_number, lsCount: r.ls_count }));
    if (!runs.length)
      throw new DialsError(
        'DIALS_NO_DATA',
        `No run from ${req.runs.first} to ${req.runs.last} has data of ${req.dataset} in DIALS (${ws}). Check the run numbers and the dataset (Express or PromptReco, era).`,
        { runsWithoutData: [] },
      );
  } else {
    const listed = req.runs.runs;
    const found: Array<{ run: number; lsCount: number } | null> = new Array(listed.length).fill(null);
    await pool(
      listed.map((run, i) => ({ run, i })),
      DEFAULT_CONCURRENCY,
      async ({ run, i }) => {
        const r = await client.run(dataset.dataset_id, run, signal);
        found[i] = r ? { run, lsCount: r.ls_count } : null;
      },
    );
    runs = found.filter((r): r is { run: number; lsCount: number } => r !== null);
    for (const [i, run] of listed.entries()) if (!found[i]) runsWithoutData.push({ run, reason: `no data of ${req.dataset} in DIALS` });
  }
  runs = runs.filter((r) => {
    if (lsInWindow(r.lsCount, req.ls) > 0) return true;
    runsWithoutData.push({
      run: r.run,
      reason: `has ${r.lsCount} lumisections, none in the LS range ${req.ls.first ?? 1}–${req.ls.last ?? '…'}`,
    });
    return false;
  });
  // MEs of each run: a run without one of them cannot be previewed (every layer needs a map per LS).
  const missing = new Map<number, string[]>();
  await pool(runs, DEFAULT_CONCURRENCY, async (r) => {
    const have = new Set((await client.mesOfRun(dataset.dataset_id, r.run, signal)).map((m) => m.me_id));
    const absent = mes.filter((m) => !have.has(m.meId)).map((m) => m.me.split('/').pop()!);
    if (absent.length) missing.set(r.run, absent);
  });
  for (const [run, absent] of missing) runsWithoutData.push({ run, reason: `no maps of ${absent.join(', ')}` });
  runs = runs.filter((r) => !missing.has(r.run));
  runsWithoutData.sort((a, b) => a.run - b.run);
  if (!runs.length) {
    const lines = runsWithoutData.map((r) => `${r.run} (${r.reason})`);
    throw new DialsError(
      'DIALS_NO_DATA',
      `None of the runs has data to fetch. Runs without data: ${lines.length > 30 ? `${lines.slice(0, 30).join('; ')}; … (${lines.length} runs)` : lines.join('; ')}. Check the run numbers and the dataset.`,
      { runsWithoutData },
    );
  }
  if (runsWithoutData.length) log(`Runs left out (no data): ${runsWithoutData.map((r) => `${r.run} (${r.reason})`).join('; ')}`, 'stderr');
  log(
    `Runs with data: ${listText(runs.map((r) => r.run))} — ${runs.reduce((s, r) => s + lsInWindow(r.lsCount, req.ls), 0)} lumisections × ${mes.length} MEs`,
  );
  return { datasetId: dataset.dataset_id, dataset: dataset.dataset, mes, runs, runsWithoutData };
}

type Histogram = DialsRecord<'LumisectionHistogram2D'> | DialsRecord<'LumisectionHistogram1D'>;

/** A record that is not what was asked for, or not of the map shape, stops the fetch with what is wrong. */
function checkHistogram(rec: Histogram, i: number, where: string, u: Unit, me: PlannedMe, datasetId: number, ls: LsRange) {
  const at = `record ${i + 1} of ${where}`;
  const expect = (field: string, got: number, want: number) => {
    if (got !== want) throw badResponse(`${at}: field "${field}" is ${got}, but ${want} was asked for`, { where, field });
  };
  expect('dataset_id', rec.dataset_id, datasetId);
  expect('run_number', rec.run_number, u.run);
  expect('me_id', rec.me_id, me.meId);
  if (rec.ls_number <= u.lastLs)
    throw badResponse(`${at}: field "ls_number" is ${rec.ls_number} after ${u.lastLs} (pages must be in LS order without repeats)`, {
      where,
      field: 'ls_number',
    });
  if ((ls.first !== undefined && rec.ls_number < ls.first) || (ls.last !== undefined && rec.ls_number > ls.last))
    throw badResponse(`${at}: field "ls_number" is ${rec.ls_number}, outside the LS range asked for`, { where, field: 'ls_number' });
  const is2d = 'y_bin' in rec;
  const shape = is2d ? [rec.y_bin, rec.x_bin] : [rec.x_bin];
  for (const [k, n] of shape.entries())
    if (!Number.isInteger(n) || n <= 0)
      throw badResponse(`${at}: field "${is2d && k === 0 ? 'y_bin' : 'x_bin'}" is ${n}, not a bin count`, {
        where,
        field: is2d && k === 0 ? 'y_bin' : 'x_bin',
      });
  const data = rec.data as number[] | number[][];
  if (is2d) {
    if (data.length !== shape[0] || (data as number[][]).some((row) => row.length !== shape[1]))
      throw badResponse(`${at}: field "data" is not ${shape[0]} rows of ${shape[1]} bins (y_bin × x_bin)`, { where, field: 'data' });
  } else if (data.length !== shape[0])
    throw badResponse(`${at}: field "data" has ${data.length} bins, x_bin says ${shape[0]}`, { where, field: 'data' });
  if (me.shape && me.shape.join('×') !== shape.join('×'))
    throw badResponse(
      `${at}: the maps of ${me.me} are ${shape.join(' × ')} bins in DIALS, but the template's input ${me.input} has Dims ${me.shape.join(' × ')}`,
      { where, field: is2d ? 'y_bin' : 'x_bin' },
    );
  if (u.shape && u.shape.join('×') !== shape.join('×'))
    throw badResponse(`${at}: ${shape.join(' × ')} bins, but earlier maps of this ME in run ${u.run} had ${u.shape.join(' × ')}`, {
      where,
      field: 'data',
    });
  u.shape ??= shape;
  u.lastLs = rec.ls_number;
  const r2 = rec as DialsRecord<'LumisectionHistogram2D'>;
  return {
    run: rec.run_number,
    ls: rec.ls_number,
    fileId: rec.file_id,
    entries: rec.entries,
    xMin: rec.x_min,
    xMax: rec.x_max,
    xBin: rec.x_bin,
    yMin: is2d ? r2.y_min : Number.NaN,
    yMax: is2d ? r2.y_max : Number.NaN,
    yBin: is2d ? r2.y_bin : Number.NaN,
    data,
  };
}

async function writeFetch(
  opts: FetchOptions & { progressData: Progress; assembly: ParquetAssembly; partialDir: string; started: string; now: () => number },
): Promise<DialsFetchManifest> {
  const { progressData: p, assembly, folder, request: req, http } = opts;
  const files = await assembly.finish();
  const warnings = [...assembly.warnings];
  const runsWithoutData = [...p.plan.runsWithoutData, ...assembly.runsWithoutData].sort((a, b) => a.run - b.run);
  const runsFetched = [...assembly.runsWritten];
  if (!runsFetched.length)
    throw new DialsError('DIALS_NO_DATA', 'No lumisection of the runs has maps of every monitoring element; nothing to preview.', {
      runsWithoutData,
    });
  const ready = assembly.ready;
  // OMS and HLT, merged over runs
  const omsDir = path.join(opts.partialDir, 'oms');
  const omsParts: OmsColumns[] = [];
  for (const run of runsFetched)
    omsParts.push(JSON.parse(await fs.readFile(path.join(omsDir, `lumisections-${run}.json`), 'utf8')) as OmsColumns);
  await writeFileAtomic(path.join(ready, OMS_FILE), JSON.stringify(mergeOmsColumns(omsParts)));
  let hlt: DialsFetchManifest['hlt'] = null;
  if (opts.hlt) {
    const rates: Record<string, HltRates> = {};
    const paths = new Set<string>();
    for (const run of runsFetched) {
      rates[String(run)] = JSON.parse(await fs.readFile(path.join(omsDir, `hlt-${run}.json`), 'utf8')) as HltRates;
      for (const k of Object.keys(rates[String(run)])) paths.add(k);
      if (!Object.keys(rates[String(run)]).length) warnings.push(`run ${run}: OMS has no HLT path matching ${opts.hlt.describe}`);
    }
    await writeFileAtomic(path.join(ready, HLT_FILE), JSON.stringify(rates));
    hlt = { file: HLT_FILE, paths: [...paths].sort() };
  }
  const mes = files.map((f) => ({ me: f.me.me, meId: f.me.meId, dim: f.me.dim, file: f.file, lumisections: f.lumisections }));
  const manifest: DialsFetchManifest = {
    kind: 'dism-studio.dials-fetch',
    version: 1,
    instance: http.instance,
    workspace: req.workspace,
    dataset: p.plan.dataset,
    datasetId: p.plan.datasetId,
    runs: req.runs,
    ls: req.ls,
    template: req.template,
    runsFetched,
    runsWithoutData,
    mes,
    lumisections: mes.length ? Math.min(...mes.map((m) => m.lumisections)) : 0,
    oms: OMS_FILE,
    hlt,
    warnings,
    startedAt: opts.started,
    finishedAt: new Date(opts.now()).toISOString(),
    stats: { ...p.stats, pages: Object.values(p.units).reduce((s, u) => s + u.pages, 0) },
  };
  for (const w of warnings) opts.log(w, 'stderr');
  await writeFileAtomic(path.join(ready, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  await swapInFolder(ready, folder);
  return manifest;
}
