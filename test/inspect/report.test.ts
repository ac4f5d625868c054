import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackend, type Backend } from '@/backend/api/create-backend';
import type { JobSnapshot, MethodInput, MethodName, MethodOutput } from '@/shared/api/contract';
import type { LumisectionResult } from '@/shared/api/contract/pipeline';
import { decodeArray } from '@/shared/pipeline/encoded-array';
import { DEFAULT_PLOT_SETTINGS, type PlotSettings } from '@/shared/plot/plot-settings';

/**
 * The PDF report of a preview run of the demo project, read back with poppler's pdfinfo/pdftotext
 * (Debian's poppler-utils): one page per flagged (or chosen) lumisection plus the summary page,
 * every page naming its run and LS; cancelling leaves no file; an existing file is replaced only
 * when asked. Also the per-project plot settings and the run average used by Compare.
 */

let root: string;
let backend: Backend;
let demoDir: string;
let sessionId: string;
let items: LumisectionResult[];

async function call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>> {
  const reply = await backend.dispatch(method, input);
  if (!reply.ok) throw Object.assign(new Error(reply.error.message), { code: reply.error.code });
  return reply.result as MethodOutput<M>;
}

async function failure(method: MethodName, input: unknown): Promise<{ code?: string; message: string }> {
  const reply = await backend.dispatch(method, input);
  if (reply.ok) throw new Error(`${method} succeeded`);
  return reply.error;
}

const sum = (a: ArrayLike<number>) => Array.from(a).reduce((x, y) => x + y, 0);
const pdfPages = (file: string) => Number(/Pages:\s+(\d+)/.exec(execFileSync('pdfinfo', [file], { encoding: 'utf8' }))![1]);
const pageText = (file: string, page: number) =>
  execFileSync('pdftotext', ['-f', String(page), '-l', String(page), '-layout', file, '-'], { encoding: 'utf8' });

async function report(input: Partial<MethodInput<'preview.report'>> & { file: string }): Promise<JobSnapshot> {
  const job = await call('preview.report', {
    sessionId,
    select: { kind: 'flagged' },
    plot: DEFAULT_PLOT_SETTINGS,
    modelName: 'Demo project',
    ...input,
  });
  return backend.ctx.jobs.wait(job.id);
}

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'inspect-report-'));
  backend = await createBackend({ host: { kind: 'test' }, userDataDir: path.join(root, 'user-data'), pollEngine: false });
  demoDir = (await call('demo.open', {})).project.dir;
  const run = await call('pipeline.run', { projectDir: demoDir, chunkSize: 32 });
  expect((await backend.ctx.jobs.wait(run.jobId)).state).toBe('succeeded');
  sessionId = run.sessionId;
  items = (await call('pipeline.results', { sessionId })).items;
}, 300_000);

afterAll(async () => {
  await backend?.dispose();
  if (process.env.KEEP_REPORT) await fs.cp(path.join(demoDir, 'reports'), process.env.KEEP_REPORT, { recursive: true });
  if (root) await fs.rm(root, { recursive: true, force: true });
});

describe('PDF report', () => {
  it('has a summary page and one page per flagged lumisection, each naming its run and LS', async () => {
    const flagged = items.filter((i) => i.flagged);
    expect(flagged.length).toBeGreaterThan(2);
    const file = path.join(demoDir, 'reports', 'flagged.pdf');
    const job = await report({ file });
    expect(job.state).toBe('succeeded');
    expect(job.result).toMatchObject({ file, pages: flagged.length + 1, lumisections: flagged.length, withoutMaps: 0 });
    expect(pdfPages(file)).toBe(flagged.length + 1);
    const summary = pageText(file, 1);
    expect(summary).toContain('Preview report');
    expect(summary).toMatch(new RegExp(`Flagged\\s+${flagged.length}\\b`));
    expect(summary).toContain('Timeline');
    expect(summary).toContain(`${flagged[0].run}:${flagged[0].ls} (p. 2)`);
    flagged.forEach((ls, k) => {
      const t = pageText(file, k + 2);
      expect(t, `page ${k + 2}`).toContain(`Run ${ls.run} · LS ${ls.ls}`);
      expect(t).toContain('flagged');
      // the Why panel's text, model and preset, data source, the maps' titles and axis titles
      expect(t).toContain('Why: Flagged');
      expect(t).toContain('Flagging patterns');
      expect(t).toContain('Model: Demo project');
      expect(t).toMatch(/preset: .+\(preset\.json\)/);
      expect(t).toContain('data: data/raw_BPix{2,3,4}.npy');
      for (const title of [
        'Raw',
        'Reconstruction',
        'Binary loss',
        'Final binary map',
        'BPix2',
        'BPix3',
        'BPix4',
        'signed module',
        'signed ladder',
      ])
        expect(t).toContain(title);
      expect(t).toContain(`page ${k + 2} of ${flagged.length + 1}`);
    });
    // the job's progress reached the last page
    expect(job.message).toBe('Done');
  });

  it('writes the chosen lumisections, with the colour scales asked for', async () => {
    const chosen = [items[3], items[0], items[3]];
    const file = path.join(demoDir, 'reports', 'chosen.pdf');
    const plot: PlotSettings = { grid: 'rocs', columns: { raw: { scale: 'log', range: 'auto', min: null, max: null, colourMap: 'dqm' } } };
    const job = await report({ file, select: { kind: 'positions', positions: chosen.map((c) => c.index) }, plot });
    expect(job.state).toBe('succeeded');
    expect(pdfPages(file)).toBe(3); // positions are taken once, in input order
    expect(pageText(file, 2)).toContain(`Run ${items[0].run} · LS ${items[0].ls}`);
    expect(pageText(file, 3)).toContain(`Run ${items[3].run} · LS ${items[3].ls}`);
    expect(pageText(file, 2)).toMatch(/auto · log/);
    expect(pageText(file, 1)).toMatch(/Raw: log z, auto range, DQM GUI/);
  });

  it('refuses to replace an existing file unless asked, and keeps its permissions when it does', async () => {
    const file = path.join(demoDir, 'reports', 'existing.pdf');
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, 'mine', { mode: 0o600 });
    await fs.chmod(file, 0o600);
    const err = await failure('preview.report', {
      sessionId,
      file,
      select: { kind: 'flagged' },
      plot: DEFAULT_PLOT_SETTINGS,
      modelName: 'Demo project',
    });
    expect(err.code).toBe('OUTPUT_EXISTS');
    expect(err.message).toContain('confirm to replace it');
    expect(await fs.readFile(file, 'utf8')).toBe('mine');
    expect((await report({ file, overwrite: true })).state).toBe('succeeded');
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    expect((await fs.readFile(file)).subarray(0, 5).toString()).toBe('%PDF-');
  });

  it('says what is wrong with a bad request before starting', async () => {
    const base = { sessionId, select: { kind: 'flagged' }, plot: DEFAULT_PLOT_SETTINGS, modelName: 'Demo project' };
    expect((await failure('preview.report', { ...base, file: path.join(demoDir, 'r.txt') })).message).toContain('ending in .pdf');
    const range = await failure('preview.report', {
      ...base,
      file: path.join(demoDir, 'r.pdf'),
      select: { kind: 'positions', positions: [999] },
    });
    expect(range.code).toBe('OUT_OF_RANGE');
    expect(range.message).toContain('beyond the 120 lumisections');
    const outside = await failure('preview.report', { ...base, file: path.join(root, 'not-opened', 'r.pdf') });
    expect(outside.code).toBe('OUTSIDE_OPENED_FOLDERS');
  });

  it('cancelling leaves neither the report nor a temp file', async () => {
    const file = path.join(demoDir, 'reports', 'cancelled.pdf');
    const job = await call('preview.report', {
      sessionId,
      file,
      select: { kind: 'positions', positions: items.map((i) => i.index) },
      plot: DEFAULT_PLOT_SETTINGS,
      modelName: 'Demo project',
    });
    // let it write a few pages first
    for (let i = 0; i < 200 && !((backend.ctx.jobs.get(job.id)?.progress ?? 0) > 0.02); i++) await new Promise((r) => setTimeout(r, 20));
    await call('jobs.cancel', { id: job.id });
    const end = await backend.ctx.jobs.wait(job.id);
    expect(end.state).toBe('cancelled');
    const left = await fs.readdir(path.dirname(file));
    expect(left.filter((n) => n.includes('cancelled'))).toEqual([]);
  });
});

describe('plot settings and run average', () => {
  it('keeps the plot settings per project, and gives defaults for another project', async () => {
    expect(await call('preview.plotSettings', { projectDir: demoDir })).toEqual(DEFAULT_PLOT_SETTINGS);
    const settings: PlotSettings = {
      grid: 'off',
      columns: { loss: { scale: 'log', range: 'manual', min: 1e-4, max: 0.5, colourMap: 'viridis' } },
    };
    await call('preview.savePlotSettings', { projectDir: demoDir, settings });
    expect(await call('preview.plotSettings', { projectDir: demoDir })).toEqual(settings);
    expect(await call('preview.plotSettings', { projectDir: path.join(root, 'other') })).toEqual(DEFAULT_PLOT_SETTINGS);
    const bad = await failure('preview.savePlotSettings', {
      projectDir: demoDir,
      settings: { grid: 'off', columns: { loss: { scale: 'cubic', range: 'auto', min: null, max: null, colourMap: 'viridis' } } },
    });
    expect(bad.message).toContain('settings.columns.loss.scale');
  });

  it('averages every stage map over the lumisections of a run', async () => {
    const run = items[0].run;
    const ofRun = items.filter((i) => i.run === run);
    const avg = await call('pipeline.runAverage', { sessionId, run });
    expect(avg).toMatchObject({ run, count: ofRun.length });
    // one raw bin and one final-map bin against the lumisections' own maps
    let raw = 0;
    let final = 0;
    for (const ls of ofRun) {
      const m = await call('pipeline.lumisection', { sessionId, index: ls.index });
      raw += decodeArray(m.layers[1].raw)[1000];
      final += sum(decodeArray(m.final));
    }
    expect(decodeArray(avg.layers[1].raw)[1000]).toBeCloseTo(raw / ofRun.length, 9);
    expect(sum(decodeArray(avg.final))).toBeCloseTo(final / ofRun.length, 9);
    expect(avg.layers[2].raw.shape).toEqual([130, 72]);
    const missing = await failure('pipeline.runAverage', { sessionId, run: 1 });
    expect(missing).toMatchObject({ code: 'NOT_FOUND' });
    expect(missing.message).toContain('Run 1 is not in');
  });
});
