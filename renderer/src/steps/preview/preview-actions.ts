import { layerGeometry, type LayerGeometry } from '@/shared/pixel-geometry';
import { errorText } from '@/renderer/src/components/error-text';
import type { ModelPreset } from '@/shared/preset/model-preset';
import type { LumisectionStageMaps } from '@/shared/plot/panels';
import type { PlotSettings } from '@/shared/plot/plot-settings';
import type { PreviewBackend } from './preview-backend';
import { usePreviewStore, type CompareState } from './preview-store';
import { passesToggles, stepSelection, type TimelineLs } from './timeline/timeline-model';
import { firstAffectedStage } from './tuning/preset-diff';
import { describeWhatIf, injectionRegions, pickAt, PickError, type WhatIfSpec } from './whatif/injection';

/** Screen logic of the Preview step: everything that talks to the back end and updates the store. */

const store = () => usePreviewStore.getState();

export function geometriesOf(preset: ModelPreset): { geometries: LayerGeometry[]; combined: LayerGeometry } {
  const geometries = preset.layers.map((l) => layerGeometry(l.name, l.shape, l.cross));
  return { geometries, combined: geometries[0] };
}

// --- stage maps: small LRU so stepping back and forth does not refetch -------------------------
const CACHE_SIZE = 48;
const stageCache = new Map<string, Promise<LumisectionStageMaps>>();
function cachedStages(backend: PreviewBackend, sessionId: string, position: number): Promise<LumisectionStageMaps> {
  const key = `${sessionId}:${position}`;
  let p = stageCache.get(key);
  if (p) {
    stageCache.delete(key);
    stageCache.set(key, p);
    return p;
  }
  const t0 = performance.now();
  p = backend.stages(sessionId, position);
  p.then(
    () => performance.measure('preview:stages-fetch', { start: t0 }),
    () => stageCache.delete(key),
  );
  stageCache.set(key, p);
  while (stageCache.size > CACHE_SIZE) stageCache.delete(stageCache.keys().next().value!);
  return p;
}
function clearStageCache(): void {
  stageCache.clear();
  averageCache.clear();
}
/** Run averages, per session and run (they change with the preset too). */
const averageCache = new Map<string, Promise<{ count: number; maps: LumisectionStageMaps }>>();

let runSeq = 0;

export async function startPreview(backend: PreviewBackend, projectDir: string, presetFile?: string): Promise<void> {
  const seq = ++runSeq;
  const prevJob = store().jobId;
  if (prevJob && store().phase === 'running') void backend.cancel(prevJob).catch(() => undefined);
  // The screen shows one run: the back end can drop the previous one (it holds ~300 kB per LS).
  const prevSession = store().info?.sessionId;
  if (prevSession) void backend.release(prevSession).catch(() => undefined);
  clearStageCache();
  const keep = {
    plot: store().plot,
    plotProject: store().plotProject,
    compare: store().compare,
    toggles: store().toggles,
    pendingOpen: store().pendingOpen,
    dataSource: store().dataSource,
  };
  store().reset();
  store().set({ ...keep, phase: 'starting', progress: { fraction: null, message: 'Loading the model preset and sample maps…' } });
  const items: TimelineLs[] = [];
  try {
    const run = await backend.start(
      projectDir,
      {
        onProgress: (fraction, msg) => seq === runSeq && store().set({ progress: { fraction, message: msg } }),
        onChunk: (chunk) => {
          if (seq !== runSeq) return;
          for (const it of chunk) items[it.index] = it;
          // Positions on screen are LS positions in the run: show the lumisections from the first one
          // up to the first not yet processed (two back-end workers take alternate chunks, so a later
          // chunk can arrive first; dropping the gap would shift every position after it).
          let ready = 0;
          while (ready < items.length && items[ready]) ready++;
          if (ready === store().items.length) return;
          const dense = items.slice(0, ready);
          store().set({ items: dense, savedItems: dense });
          if (store().selected === null && dense.length) void select(backend, firstInteresting(dense));
        },
      },
      presetFile,
      keep.dataSource,
    );
    if (seq !== runSeq) return;
    const { geometries, combined } = geometriesOf(run.preset);
    store().set({
      phase: 'running',
      jobId: run.jobId,
      info: {
        sessionId: run.sessionId,
        projectDir,
        presetFile: run.presetFile,
        layerNames: run.layerNames,
        source: run.source,
        warnings: run.warnings,
        total: run.total,
      },
      geometries,
      combinedGeometry: combined,
      savedPreset: run.preset,
      draftPreset: run.preset,
      whatIfDraft: { ...store().whatIfDraft, layers: run.layerNames },
    });
    // Chunks may have arrived before the session info: now the maps can be fetched.
    if (store().items.length && store().selected === null) void select(backend, firstInteresting(store().items));
    else if (store().selected !== null) void select(backend, store().selected!);
    const all = await run.done;
    if (seq !== runSeq) return;
    store().set({ phase: 'ready', progress: null, items: all, savedItems: all });
    if (store().selected === null && all.length) void select(backend, firstInteresting(all));
  } catch (err) {
    if (seq !== runSeq) return;
    const e = err as { code?: string; details?: { missing?: unknown; canCreateDefault?: unknown } };
    const missing = e?.details?.missing === 'preset' || e?.details?.missing === 'model-files' ? e.details.missing : undefined;
    store().set({
      phase: 'error',
      progress: null,
      error: {
        title:
          e?.code === 'CANCELLED'
            ? 'Preview cancelled'
            : missing === 'model-files'
              ? 'No model to preview yet'
              : missing === 'preset'
                ? 'No model preset yet'
                : 'The preview could not run',
        // What is missing is already said in plain words: no error name in front of it.
        message: missing && err instanceof Error ? err.message : errorText(err),
        code: e?.code,
        missing,
        canCreateDefault: e?.details?.canCreateDefault === true,
      },
    });
  }
}

/** Another project was opened: its preview run is released in the back end and the screen cleared. */
export function leavePreviewOf(backend: PreviewBackend, currentProjectDir: string | null): void {
  const info = store().info;
  if (!info || info.projectDir === currentProjectDir) return;
  ++runSeq;
  clearStageCache();
  void backend.release(info.sessionId).catch(() => undefined);
  store().reset();
}

/** The LS another step asked to open, else the first flagged LS, else the first one flagged before the filter, else the first. */
function firstInteresting(items: readonly TimelineLs[]): number {
  const pending = store().pendingOpen;
  if (pending) {
    const p = items.findIndex((i) => i.run === pending.run && i.ls === pending.ls);
    if (p >= 0) return p;
  }
  const f = items.findIndex((i) => i.flagged);
  if (f >= 0) return f;
  const b = items.findIndex((i) => i.flaggedBeforeFilter);
  return b >= 0 ? b : 0;
}

/** The project has no preset.json: write the "pixel barrel" one and run again. */
export async function createDefaultPresetAndRun(backend: PreviewBackend, projectDir: string): Promise<void> {
  try {
    await backend.createDefaultPreset(projectDir);
  } catch (err) {
    store().set({ error: { title: 'Could not create the preset', message: errorText(err) } });
    return;
  }
  await startPreview(backend, projectDir);
}

let selectSeq = 0;
export async function select(backend: PreviewBackend, position: number): Promise<void> {
  const s = store();
  if (position < 0 || position >= s.items.length) return;
  performance.mark('preview:select');
  const seq = ++selectSeq;
  const keepWhatIf = s.whatIf && s.whatIf.position === position ? s.whatIf : null;
  // A what-if position is chosen on one lumisection: it does not follow the user to another one.
  const moved = s.selected !== position;
  s.set({
    selected: position,
    whatIf: keepWhatIf,
    whatIfError: null,
    stagesError: null,
    openError: null,
    ...(moved ? { whatIfDraft: { ...s.whatIfDraft, position: null }, pickError: null } : {}),
  });
  const info = s.info;
  if (!info) return;
  try {
    const maps = await cachedStages(backend, info.sessionId, position);
    if (seq !== selectSeq) return;
    store().set({ stages: { position, maps } });
    if (store().compare) void loadCompare(backend);
    // Warm the neighbours the arrow keys go to next.
    const t = store().toggles;
    for (const n of [stepSelection(store().items, position, 1, t), stepSelection(store().items, position, -1, t)]) {
      if (n !== position) void cachedStages(backend, info.sessionId, n).catch(() => undefined);
    }
  } catch (err) {
    if (seq !== selectSeq) return;
    store().set({ stagesError: errorText(err) });
  }
}

/**
 * Ask the Preview to show run:LS (from another step). It is selected as soon as its result is in
 * (see openPending); the flagged/filtered toggles are cleared if they would hide it.
 */
export function requestOpen(run: number, ls: number): void {
  store().set({ pendingOpen: { run, ls }, openError: null });
}

/** Select the requested LS if the results have it; true when it was handled. */
export function openPending(backend: PreviewBackend): boolean {
  const s = store();
  const pending = s.pendingOpen;
  if (!pending || !s.info) return false;
  const position = s.items.findIndex((i) => i.run === pending.run && i.ls === pending.ls);
  if (position < 0) {
    // Every result is in and the LS is not among them: nothing to wait for.
    if (s.phase === 'ready')
      s.set({
        pendingOpen: null,
        openError: `Run ${pending.run}, LS ${pending.ls} is not in the data this preview reads (${s.info.source}).`,
      });
    return false;
  }
  const hidden = !passesToggles(s.items[position], s.toggles);
  s.set({ pendingOpen: null, ...(hidden ? { toggles: { flaggedOnly: false, filteredOnly: false } } : {}) });
  void select(backend, position);
  return true;
}

export function step(backend: PreviewBackend, dir: 1 | -1): void {
  const s = store();
  if (s.selected === null) return;
  const next = stepSelection(s.items, s.selected, dir, s.toggles);
  if (next !== s.selected) void select(backend, next);
}

// --- tuning -------------------------------------------------------------------------------------
let reflagSeq = 0;
let reflagInFlight = false;
let queuedPreset: ModelPreset | null = null;

/**
 * Edit the draft preset. The re-flag starts at once; edits made while one runs are coalesced into
 * a single follow-up run with the latest preset, so typing never queues stale work.
 */
export function editPreset(backend: PreviewBackend, preset: ModelPreset): void {
  store().set({ draftPreset: preset, tuningError: null });
  if (reflagInFlight) {
    queuedPreset = preset;
    return;
  }
  void reflag(backend, preset);
}

export async function reflag(backend: PreviewBackend, preset: ModelPreset): Promise<void> {
  const s = store();
  if (!s.info || !s.savedPreset) return;
  const affected = firstAffectedStage(s.savedPreset, preset);
  if (affected === 'inference') {
    s.set({ tuningError: 'This change affects the layers or the NMF input: save the preset and re-run the preview.' });
    return;
  }
  const seq = ++reflagSeq;
  reflagInFlight = true;
  s.set({ reflagBusy: true });
  try {
    const t0 = performance.now();
    const r = await backend.reflag(s.info.sessionId, preset);
    performance.measure('preview:reflag-call', { start: t0 });
    if (seq === reflagSeq) {
      // Stage maps after the loss depend on the preset: refetch the selected LS.
      clearStageCache();
      store().set({ items: r.items, reflag: { stage: r.stage, ms: r.ms, count: r.items.length }, whatIf: null });
      // Edit → new flags painted (the frame after React has rendered them), for the UI benchmark.
      requestAnimationFrame(() => requestAnimationFrame(() => performance.measure('preview:reflag-painted', { start: t0 })));
      store().set({ compareMaps: null });
      if (store().selected !== null) void select(backend, store().selected!);
    }
  } catch (err) {
    if (seq === reflagSeq) store().set({ tuningError: errorText(err) });
  } finally {
    reflagInFlight = false;
    const next = queuedPreset;
    queuedPreset = null;
    if (next && next === store().draftPreset) void reflag(backend, next);
    else store().set({ reflagBusy: false });
  }
}

export async function savePreset(backend: PreviewBackend): Promise<void> {
  const s = store();
  if (!s.info || !s.draftPreset) return;
  s.set({ saving: true, tuningError: null });
  try {
    const r = await backend.savePreset(s.info.sessionId, s.draftPreset);
    store().set({
      saving: false,
      savedPreset: r.preset,
      draftPreset: r.preset,
      savedItems: store().items,
      info: { ...store().info!, presetFile: r.file },
    });
  } catch (err) {
    store().set({ saving: false, tuningError: errorText(err) });
  }
}

/** Back to the saved preset: its results are known, the back-end session is told in the background. */
export function revertPreset(backend: PreviewBackend): void {
  const s = store();
  if (!s.savedPreset) return;
  ++reflagSeq; // a re-flag of an edit still in flight is stale now
  s.set({ items: s.savedItems, reflag: null, whatIf: null });
  editPreset(backend, s.savedPreset);
}

// --- what-if ------------------------------------------------------------------------------------
export function pick(layer: number, x: number, y: number): void {
  const s = store();
  const g = layer < 0 ? s.combinedGeometry : s.geometries[layer];
  if (!g) return;
  try {
    const position = pickAt(g, x, y);
    s.set({ whatIfDraft: { ...s.whatIfDraft, position }, pickError: null, tab: 'whatif' });
  } catch (err) {
    if (err instanceof PickError) s.set({ pickError: err.message, tab: 'whatif' });
    else throw err;
  }
}

export async function applyWhatIf(backend: PreviewBackend, spec: WhatIfSpec): Promise<void> {
  const s = store();
  if (!s.info || s.selected === null || !s.draftPreset) return;
  const position = s.selected;
  s.set({ whatIfBusy: true, whatIfError: null });
  try {
    const regions = injectionRegions(spec, s.geometries);
    const r = await backend.whatIf(s.info.sessionId, position, s.draftPreset, regions);
    if (store().selected !== position) return store().set({ whatIfBusy: false });
    store().set({ whatIfBusy: false, whatIf: { position, spec, maps: r.maps, item: r.item } });
  } catch (err) {
    store().set({ whatIfBusy: false, whatIfError: errorText(err) });
  }
}

/** Clear takes the injection and the position it was placed at away (its outlines with it). */
export function clearWhatIf(): void {
  store().set({ whatIf: null, whatIfError: null, pickError: null, whatIfDraft: { ...store().whatIfDraft, position: null } });
}

export { describeWhatIf };

// --- plot settings (per project) ----------------------------------------------------------------
let plotSave: ReturnType<typeof setTimeout> | undefined;

/** The project's plot settings, once per project (kept in DISM Studio's settings by the back end). */
export async function loadPlotSettings(backend: PreviewBackend, projectDir: string): Promise<void> {
  if (store().plotProject === projectDir) return;
  try {
    const plot = await backend.plotSettings(projectDir);
    store().set({ plot, plotProject: projectDir });
  } catch {
    // Drawing works with the defaults; they are saved for this project on the next change.
    store().set({ plotProject: projectDir });
  }
}

/** Draw with changed settings at once; save them for the project shortly after the last change. */
export function changePlot(backend: PreviewBackend, plot: PlotSettings): void {
  store().set({ plot });
  const project = store().plotProject;
  if (!project) return;
  clearTimeout(plotSave);
  plotSave = setTimeout(() => void backend.savePlotSettings(project, plot).catch(() => undefined), 400);
}

// --- compare --------------------------------------------------------------------------------------
let compareSeq = 0;

export function setCompare(backend: PreviewBackend, compare: CompareState | null): void {
  store().set({ compare, compareError: null, ...(compare ? {} : { compareMaps: null }) });
  if (compare) void loadCompare(backend);
}

/** Load what the selected LS is compared with (another LS's maps, or its run's average). */
export async function loadCompare(backend: PreviewBackend): Promise<void> {
  const s = store();
  const c = s.compare;
  const pos = s.selected;
  if (!c || pos === null || !s.info) return;
  const seq = ++compareSeq;
  const item = s.items[pos];
  if (c.with.kind === 'ls' && !Number.isFinite(c.with.run)) {
    store().set({ compareMaps: null, compareError: 'type the lumisection to compare with as run:LS and press Enter.' });
    return;
  }
  try {
    let key: string;
    let label: string;
    let maps: Promise<LumisectionStageMaps>;
    if (c.with.kind === 'average') {
      key = `run:${item.run}`;
      const k = `${s.info.sessionId}:${item.run}`;
      let avg = averageCache.get(k);
      if (!avg) {
        avg = backend.runAverage(s.info.sessionId, item.run);
        averageCache.set(k, avg);
        avg.catch(() => averageCache.delete(k));
      }
      const a = await avg;
      label = `Run ${item.run} average (${a.count} LS)`;
      maps = Promise.resolve(a.maps);
    } else {
      const other =
        c.with.kind === 'previous'
          ? pos - 1
          : s.items.findIndex((it) => it.run === (c.with as { run: number }).run && it.ls === (c.with as { ls: number }).ls);
      if (other < 0)
        throw new Error(
          c.with.kind === 'previous'
            ? 'This is the first lumisection: there is no previous one.'
            : `Run ${c.with.run}, LS ${c.with.ls} is not in this data.`,
        );
      key = `ls:${other}`;
      label = `Run ${s.items[other].run} · LS ${s.items[other].ls}`;
      maps = cachedStages(backend, s.info.sessionId, other);
    }
    const m = await maps;
    if (seq !== compareSeq) return;
    store().set({ compareMaps: { key, label, maps: m }, compareError: null });
  } catch (err) {
    if (seq !== compareSeq) return;
    store().set({ compareMaps: null, compareError: errorText(err) });
  }
}
