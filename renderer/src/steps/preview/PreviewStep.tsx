import { useEffect, useMemo, useRef, useState } from 'react';
import { useApi } from '@/renderer/src/api/ApiContext';
import { EmptyState } from '@/renderer/src/components/EmptyState';
import { Spinner } from '@/renderer/src/components/Spinner';
import { useAppStore } from '@/renderer/src/store/app-store';
import { StageHeatmaps, type FigureExporter } from './figure/StageHeatmaps';
import { MapControls } from './figure/MapControls';
import { ExportFigureDialog } from './export/ExportFigureDialog';
import { ReportPanel } from './export/ReportPanel';
import { createApiPreviewBackend } from './preview-backend-api';
import {
  applyWhatIf,
  changePlot,
  clearWhatIf,
  loadPlotSettings,
  createDefaultPresetAndRun,
  describeWhatIf,
  editPreset,
  pick,
  revertPreset,
  savePreset,
  openPending,
  select,
  startPreview,
  step,
} from './preview-actions';
import { usePreviewStore, type SideTab } from './preview-store';
import { download, dataUrlToBlob, resultsCsv, resultsJson } from './export/export-results';
import { Timeline } from './timeline/Timeline';
import { countTimeline, edgeSelection, findLumisection, passesToggles, type TimelineLs } from './timeline/timeline-model';
import { TuningPanel } from './tuning/TuningPanel';
import { firstAffectedStage, flagChanges } from './tuning/preset-diff';
import { explainLumisection } from '@/shared/pipeline/why';
import { WhyPanel } from './why/WhyPanel';
import { injectionRegions } from './whatif/injection';
import { WhatIfPanel } from './whatif/WhatIfPanel';
import { compareWithProduction, productionMarks } from '@/shared/dials/agreement';
import { DialsDataCard } from './dials/DialsDataCard';
import { DialsProductionCard } from './dials/DialsProductionCard';
import { useDialsData } from './dials/dials-data-store';
import './preview.css';

/** "398100:7" or "7" → select that LS; when there is none, says why next to the field until it is edited or cleared. */
function GoToLs({ items, onGo }: { items: readonly TimelineLs[]; onGo(position: number): void }) {
  const [text, setText] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  return (
    <form
      className="goto-ls"
      onSubmit={(e) => {
        e.preventDefault();
        if (!text.trim()) return setProblem(null);
        const found = findLumisection(items, text);
        if ('problem' in found) return setProblem(found.problem);
        setProblem(null);
        onGo(found.position);
        // Found: hand the keyboard back so ←/→ step on from there.
        (document.activeElement as HTMLElement | null)?.blur();
      }}
    >
      <input
        aria-label="Go to lumisection (run:LS)"
        placeholder="run:LS"
        value={text}
        aria-invalid={problem ? true : undefined}
        aria-describedby={problem ? 'goto-ls-problem' : undefined}
        onChange={(e) => {
          setText(e.target.value);
          // The message was about what was typed before: it goes as soon as the text changes.
          setProblem(null);
        }}
        size={12}
        title="Type run:LS or LS and press Enter"
      />
      {problem && (
        <span className="goto-ls-problem field-error" id="goto-ls-problem" role="alert" data-testid="goto-ls-problem">
          {problem}
        </span>
      )}
    </form>
  );
}

/** Step 3: what the NMF model flags on sample maps, why, and what changes when the preset changes. */
export function PreviewStep() {
  const api = useApi();
  const backend = useMemo(() => createApiPreviewBackend(api), [api]);
  const project = useAppStore((s) => s.project);
  const st = usePreviewStore();
  const exportFigure = useRef<FigureExporter | null>(null);
  const [exportOpen, setExportOpen] = useState(false);
  const [reportOpen, setReportOpen] = useState(false);
  const [presets, setPresets] = useState<Array<{ file: string; label: string }>>([]);

  // Presets to choose from: the project's own and those written by a joblib import.
  useEffect(() => {
    if (!project) return;
    api.invoke('pipeline.presets', { projectDir: project.dir }).then(setPresets, () => setPresets([]));
  }, [api, project, st.info?.presetFile]);

  // How the maps are drawn, kept per project.
  useEffect(() => {
    if (project) void loadPlotSettings(backend, project.dir);
  }, [backend, project]);

  // One preview session per project; coming back to the step keeps it.
  useEffect(() => {
    if (!project) return;
    const cur = usePreviewStore.getState();
    if (cur.info?.projectDir === project.dir && cur.phase !== 'error' && cur.phase !== 'idle') return;
    if (cur.phase === 'starting' && !cur.info) return;
    void startPreview(backend, project.dir);
  }, [backend, project]);

  // A lumisection another step asked for (Build & Run's inference table), once the results have it.
  useEffect(() => {
    if (st.pendingOpen) openPending(backend);
  }, [backend, st.pendingOpen, st.items, st.info, st.phase]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target instanceof Element ? e.target : null;
      // Arrow keys belong to text fields and selects while they have the focus (not to checkboxes or buttons).
      const typing = t?.closest(
        'textarea, select, [contenteditable="true"], input:not([type="checkbox"]):not([type="radio"]):not([type="button"])',
      );
      if (typing || e.altKey || e.ctrlKey || e.metaKey) return;
      if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
        e.preventDefault();
        step(backend, e.key === 'ArrowRight' ? 1 : -1);
      } else if (e.key === 'Home' || e.key === 'End') {
        // First / last lumisection the toggles keep, as in any list.
        const s = usePreviewStore.getState();
        const to = edgeSelection(s.items, e.key === 'Home' ? 'first' : 'last', s.toggles);
        if (to === null) return;
        e.preventDefault();
        void select(backend, to);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [backend]);

  // DIALS: where the maps came from, and DIALS's own flags for them (only for maps fetched from DIALS).
  const dialsData = useDialsData((d) => (project && d.projectDir === project.dir ? d.data : null));
  const usingDials = st.info ? /^data[\\/]dials[\\/]/.test(st.info.source) : null;
  const production = usingDials && dialsData?.manifest && dialsData.production ? dialsData.production : null;
  const productionLane = useMemo(
    () => (production ? productionMarks(st.items, production.runs, production.flagged) : null),
    [production, st.items],
  );
  const agreement = useMemo(
    () => (production && st.items.length ? compareWithProduction(st.items, production.runs, production.flagged) : null),
    [production, st.items],
  );

  const counts = useMemo(() => countTimeline(st.items), [st.items]);
  const changes = useMemo(() => flagChanges(st.savedItems, st.items), [st.savedItems, st.items]);
  const changedSet = useMemo(() => new Set(changes.map((c) => c.position)), [changes]);
  const affected = st.savedPreset && st.draftPreset ? firstAffectedStage(st.savedPreset, st.draftPreset) : null;
  const dirty = affected !== null;
  const visible = useMemo(() => st.items.filter((it) => passesToggles(it, st.toggles)).length, [st.items, st.toggles]);

  const item = st.selected !== null ? st.items[st.selected] : null;
  const shownWhatIf = st.whatIf && st.whatIf.position === st.selected ? st.whatIf : null;
  // While the next LS's maps load, the previous ones stay on screen (dimmed): the plot is updated
  // in place instead of being rebuilt, which is what keeps stepping through LS fast.
  const mapsAreCurrent = Boolean(shownWhatIf) || st.stages?.position === st.selected;
  const shownMaps = shownWhatIf?.maps ?? st.stages?.maps ?? null;
  const shownItem = shownWhatIf?.item ?? item;
  const mapsItem = shownWhatIf?.item ?? (st.stages ? st.items[st.stages.position] : null);
  const why = useMemo(
    () =>
      mapsAreCurrent && shownMaps && st.draftPreset && st.combinedGeometry
        ? explainLumisection(shownMaps, st.draftPreset, st.geometries, st.combinedGeometry)
        : null,
    [mapsAreCurrent, shownMaps, st.draftPreset, st.geometries, st.combinedGeometry],
  );
  // The regions the what-if would change (or did change), outlined on every stage of each layer.
  const outlines = useMemo(() => {
    const d = shownWhatIf ? shownWhatIf.spec : st.whatIfDraft.position ? { ...st.whatIfDraft, position: st.whatIfDraft.position } : null;
    if (!d || !st.geometries.length) return undefined;
    try {
      const regions = injectionRegions(d, st.geometries);
      return st.geometries.map((g) => regions.filter((r) => r.layer === g.name));
    } catch {
      return undefined;
    }
  }, [shownWhatIf, st.whatIfDraft, st.geometries]);
  const compareView = useMemo(
    () =>
      st.compare && st.compareMaps && mapsItem
        ? {
            other: st.compareMaps.maps,
            stage: st.compare.stage,
            labels: { a: `Run ${mapsItem.run} · LS ${mapsItem.ls}`, b: st.compareMaps.label },
          }
        : null,
    [st.compare, st.compareMaps, mapsItem],
  );
  const figureTitle = mapsItem
    ? `Run ${mapsItem.run} · LS ${mapsItem.ls} — ${mapsItem.flagged ? 'flagged' : mapsItem.flaggedBeforeFilter ? 'flagged, cleared by filter' : 'not flagged'}${shownWhatIf ? ` — what-if: ${describeWhatIf(shownWhatIf.spec)}` : ''}`
    : undefined;

  if (!project) {
    return <EmptyState title="No project open" message="Open a project (or the demo) in the Model step to preview its NMF model." />;
  }

  const saveFigure = async (r: Parameters<FigureExporter>[0], fileName: string) => {
    if (!exportFigure.current) throw new Error('The figure is not drawn yet');
    const url = await exportFigure.current(r);
    download(fileName, dataUrlToBlob(url));
  };
  const exportName = `preview_${project.name}`;
  const ready = st.phase === 'ready' || st.phase === 'running';

  return (
    <section className="step preview-step" data-testid="preview-step" data-phase={st.phase}>
      <header className="preview-head">
        <div>
          <h1>Preview</h1>
          {st.info && (
            <p className="muted">
              {st.info.total} lumisections from{' '}
              {usingDials ? (
                // the parquet names repeat dataset and ME paths: the Sample data card below says what they hold
                <span className="mono" title={st.info.source}>
                  data/dials/ (fetched from DIALS)
                </span>
              ) : (
                <span className="mono">{st.info.source}</span>
              )}
              {st.info.presetFile && (
                <>
                  {' '}
                  · preset{' '}
                  {presets.length > 1 ? (
                    <select
                      aria-label="Model preset"
                      value={st.info.presetFile}
                      disabled={st.phase === 'starting'}
                      onChange={(e) => void startPreview(backend, project.dir, e.target.value)}
                    >
                      {presets.map((p) => (
                        <option key={p.file} value={p.file}>
                          {p.label}
                        </option>
                      ))}
                    </select>
                  ) : (
                    <span className="mono">{st.info.presetFile}</span>
                  )}
                </>
              )}
            </p>
          )}
          {st.items.length > 0 && (
            <div className="preview-summary" data-testid="preview-summary">
              <span>
                <strong data-testid="flagged-count">{counts.flagged}</strong> flagged
              </span>
              <span>
                <strong>{counts.flaggedBeforeFilter}</strong> flagged before filter
              </span>
              <span>
                <strong>{counts.filtered}</strong> filtered
              </span>
              <span className="muted">of {counts.total} LS</span>
              {dirty && <span className="tag tag-before">unsaved preset changes</span>}
            </div>
          )}
        </div>
        <div className="preview-toolbar">
          <button
            type="button"
            className="button"
            aria-expanded={reportOpen}
            disabled={!st.items.length}
            onClick={() => setReportOpen(!reportOpen)}
          >
            PDF report…
          </button>
          <button
            type="button"
            className="button"
            disabled={!st.items.length}
            onClick={() => download(`${exportName}.csv`, resultsCsv(st.items, st.info?.layerNames ?? []), 'text/csv')}
          >
            Export CSV
          </button>
          <button
            type="button"
            className="button"
            disabled={!st.items.length || !st.draftPreset}
            onClick={() =>
              download(
                `${exportName}.json`,
                `${JSON.stringify(resultsJson(st.items, st.draftPreset!, st.info?.source ?? ''), null, 2)}\n`,
                'application/json',
              )
            }
          >
            Export JSON
          </button>
          <button
            type="button"
            className="button"
            disabled={st.phase === 'starting' || st.phase === 'running'}
            onClick={() => void startPreview(backend, project.dir, st.info?.presetFile ?? undefined)}
          >
            Re-run
          </button>
        </div>
      </header>

      <DialsDataCard
        projectDir={project.dir}
        templates={project.templates}
        usingDials={usingDials}
        source={st.info?.source ?? null}
        busy={st.phase === 'starting'}
        onPreview={(source) => {
          st.set({ dataSource: source });
          void startPreview(backend, project.dir, st.info?.presetFile ?? undefined);
        }}
      />
      {reportOpen && (
        <ReportPanel
          projectDir={project.dir}
          sessionId={st.info?.sessionId ?? null}
          ready={st.phase === 'ready'}
          modelName={project.name}
          plot={st.plot}
          items={st.items}
          shown={mapsItem}
          onClose={() => setReportOpen(false)}
        />
      )}

      {(st.phase === 'starting' || st.phase === 'running') && st.progress && (
        <div className="card preview-progress" role="status" data-testid="preview-progress">
          <Spinner />
          <div className="progress-bar" aria-hidden>
            <span style={{ width: `${Math.round((st.progress.fraction ?? 0) * 100)}%` }} />
          </div>
          <span>{st.progress.message}</span>
          {st.jobId && (
            <button type="button" className="button small" onClick={() => void backend.cancel(st.jobId!)}>
              Cancel
            </button>
          )}
        </div>
      )}

      {st.phase === 'error' && st.error && (
        <div className="card preview-error" role="alert" data-testid="preview-error">
          <h2>{st.error.title}</h2>
          {/* What is missing is said in sentences; other errors keep their exact text (paths, shapes). */}
          {st.error.missing ? <p>{st.error.message}</p> : <pre>{st.error.message}</pre>}
          <div className="actions">
            {st.error.missing === 'model-files' && (
              <button type="button" className="button primary" onClick={() => useAppStore.getState().setStep('model')}>
                Import the trained model (.joblib)…
              </button>
            )}
            {st.error.missing === 'preset' && (
              <>
                {presets.map((p) => (
                  <button
                    key={p.file}
                    type="button"
                    className="button primary"
                    onClick={() => void startPreview(backend, project.dir, p.file)}
                  >
                    Preview with {p.label}
                  </button>
                ))}
                {st.error.canCreateDefault && (
                  <button
                    type="button"
                    className={`button${presets.length ? '' : ' primary'}`}
                    onClick={() => void createDefaultPresetAndRun(backend, project.dir)}
                  >
                    Create preset.json from the “pixel barrel” preset
                  </button>
                )}
              </>
            )}
            <button type="button" className="button" onClick={() => void startPreview(backend, project.dir)}>
              Try again
            </button>
            {st.error.missing !== 'model-files' && (
              <button type="button" className="button" onClick={() => useAppStore.getState().setStep('model')}>
                Back to Model
              </button>
            )}
          </div>
        </div>
      )}

      {st.info && st.info.warnings.length > 0 && (
        <ul className="warnings" aria-label="Warnings">
          {st.info.warnings.slice(0, 5).map((w, i) => (
            <li key={i}>{w}</li>
          ))}
          {st.info.warnings.length > 5 && <li>…and {st.info.warnings.length - 5} more</li>}
        </ul>
      )}

      {st.items.length > 0 && (
        <div className="card timeline-card">
          <div className="timeline-card-head">
            <h2>Lumisections</h2>
            <div className="preview-toolbar">
              <label className="check">
                <input
                  type="checkbox"
                  checked={st.toggles.flaggedOnly}
                  onChange={(e) => st.set({ toggles: { ...st.toggles, flaggedOnly: e.target.checked } })}
                />{' '}
                Flagged only
              </label>
              <label className="check">
                <input
                  type="checkbox"
                  checked={st.toggles.filteredOnly}
                  onChange={(e) => st.set({ toggles: { ...st.toggles, filteredOnly: e.target.checked } })}
                />{' '}
                Filtered only
              </label>
              <span className="muted">{visible} shown</span>
              <GoToLs items={st.items} onGo={(i) => void select(backend, i)} />
              <button
                type="button"
                className="button small"
                aria-label="Previous lumisection"
                onClick={() => step(backend, -1)}
                disabled={st.selected === null}
              >
                ←
              </button>
              <span className="mono" data-testid="selected-ls">
                {item ? `Run ${item.run} · LS ${item.ls}` : '—'}
              </span>
              <button
                type="button"
                className="button small"
                aria-label="Next lumisection"
                onClick={() => step(backend, 1)}
                disabled={st.selected === null}
              >
                →
              </button>
            </div>
          </div>
          <Timeline
            items={st.items}
            selected={st.selected}
            toggles={st.toggles}
            changed={changedSet}
            production={productionLane}
            onSelect={(p) => void select(backend, p)}
          />
        </div>
      )}

      {usingDials && dialsData?.manifest && st.items.length > 0 && (
        <DialsProductionCard projectDir={project.dir} agreement={agreement} onSelect={(p) => void select(backend, p)} />
      )}

      {ready && st.items.length === 0 && st.phase === 'ready' && (
        <EmptyState title="No lumisections" message="The sample data of this project has no lumisections to preview." />
      )}

      {item && (
        <div className="preview-body">
          <div className="card preview-maps">
            <div className="maps-head">
              <h2>Stage maps</h2>
              <MapControls onExport={() => setExportOpen(true)} disabled={!shownMaps} backend={backend} />
            </div>
            <p className="muted maps-hint">
              Click a colour bar to change its scale · click a map to place a what-if anomaly · zoom is linked across a layer’s stages ·
              double-click resets
            </p>
            {st.compareError && st.compare && (
              <p className="field-error" role="alert">
                Cannot compare: {st.compareError}
              </p>
            )}
            {st.openError && (
              <p className="field-error" role="alert">
                Could not open that lumisection: {st.openError}
              </p>
            )}
            {st.stagesError && (
              <p className="field-error" role="alert">
                Could not load the maps of this lumisection: {st.stagesError}
              </p>
            )}
            {shownMaps && st.combinedGeometry ? (
              <div style={{ position: 'relative' }}>
                <StageHeatmaps
                  maps={shownMaps}
                  geometries={st.geometries}
                  combinedGeometry={st.combinedGeometry}
                  plot={st.plot}
                  onPlotChange={(p) => changePlot(backend, p)}
                  marks={compareView ? undefined : why?.marks}
                  outlines={compareView ? undefined : outlines}
                  zoomRevision={st.zoomRevision}
                  title={compareView ? `${figureTitle} — compared with ${compareView.labels.b}` : figureTitle}
                  onPick={(e) => pick(e.layer, e.x, e.y)}
                  exportRef={exportFigure}
                  compare={compareView ?? undefined}
                />
                {!mapsAreCurrent && (
                  <div className="maps-overlay" aria-hidden>
                    <Spinner label="Loading maps…" />
                  </div>
                )}
              </div>
            ) : (
              !st.stagesError && (
                <div className="empty-state">
                  <Spinner label="Loading the stage maps…" />
                </div>
              )
            )}
          </div>
          <aside className="card preview-side">
            <div className="tabs" role="tablist">
              {(
                [
                  ['why', 'Why'],
                  ['tuning', `Tuning${dirty ? ' •' : ''}`],
                  ['whatif', 'What-if'],
                ] as Array<[SideTab, string]>
              ).map(([id, label]) => (
                <button key={id} type="button" role="tab" aria-selected={st.tab === id} onClick={() => st.set({ tab: id })}>
                  {label}
                </button>
              ))}
            </div>
            {st.tab === 'why' && shownItem && (
              <WhyPanel
                item={shownItem}
                why={why}
                minLayers={st.draftPreset?.combine.minLayers ?? 2}
                whatIf={shownWhatIf ? describeWhatIf(shownWhatIf.spec) : null}
              />
            )}
            {st.tab === 'tuning' && st.draftPreset && (
              <TuningPanel
                draft={st.draftPreset}
                dirty={dirty}
                affected={affected}
                changes={changes}
                reflag={st.reflag}
                busy={st.reflagBusy}
                saving={st.saving}
                error={st.tuningError}
                presetFile={st.info?.presetFile ?? null}
                onChange={(p) => editPreset(backend, p)}
                onSave={() => void savePreset(backend)}
                onRevert={() => revertPreset(backend)}
                onSelect={(p) => void select(backend, p)}
              />
            )}
            {st.tab === 'whatif' && (
              <WhatIfPanel
                layerNames={st.info?.layerNames ?? []}
                geometries={st.geometries}
                draft={st.whatIfDraft}
                pickError={st.pickError}
                busy={st.whatIfBusy}
                error={st.whatIfError}
                outcome={
                  shownWhatIf && item
                    ? {
                        description: describeWhatIf(shownWhatIf.spec),
                        flaggedBefore: item.flagged,
                        flaggedAfter: shownWhatIf.item.flagged,
                        finalBinsAfter: shownWhatIf.item.score.finalBins,
                      }
                    : null
                }
                onChange={(d) => st.set({ whatIfDraft: d, pickError: null })}
                onApply={(spec) => void applyWhatIf(backend, spec)}
                onClear={clearWhatIf}
              />
            )}
          </aside>
        </div>
      )}
      {exportOpen && mapsItem && (
        <ExportFigureDialog
          layerNames={st.info?.layerNames ?? []}
          lsLabel={`Run ${mapsItem.run} · LS ${mapsItem.ls}`}
          modelName={project.name}
          presetName={st.draftPreset?.name ?? ''}
          initialStage={st.compare?.stage}
          onExport={saveFigure}
          onClose={() => setExportOpen(false)}
        />
      )}
    </section>
  );
}
