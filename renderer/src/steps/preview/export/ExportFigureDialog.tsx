import { useEffect, useRef, useState } from 'react';
import { COMBINED_STAGES, LAYER_STAGES, stageSpec, type StageKey } from '@/shared/plot/stage-specs';
import { errorText } from '@/renderer/src/components/error-text';
import type { ExportRequest } from '../figure/StageHeatmaps';

interface Props {
  layerNames: string[];
  /** Default title parts: "Run 398100 · LS 7", the model and preset names. */
  lsLabel: string;
  modelName: string;
  presetName: string;
  /** Start a layer / stage choice from (e.g. the compare stage). */
  initialStage?: StageKey;
  /** Renders and saves; rejects with what went wrong. */
  onExport(r: ExportRequest, fileName: string): Promise<void>;
  onClose(): void;
}

const slug = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '');

/** A figure to keep: the whole grid or one map, PNG or SVG, with a title the user can edit. */
export function ExportFigureDialog({ layerNames, lsLabel, modelName, presetName, initialStage, onExport, onClose }: Props) {
  const [what, setWhat] = useState<'grid' | 'map'>('grid');
  const [layer, setLayer] = useState(0);
  const [stage, setStage] = useState<StageKey>(initialStage ?? 'loss');
  const [format, setFormat] = useState<'png' | 'svg'>('png');
  const isCombined = COMBINED_STAGES.some((s) => s.key === stage);
  const defaultTitle =
    what === 'grid'
      ? `${lsLabel} — model ${modelName}, preset ${presetName}`
      : `${lsLabel} — ${stageSpec(stage).title}, ${isCombined ? `combined (${layerNames[0]} bins)` : layerNames[layer]} — model ${modelName}, preset ${presetName}`;
  const [title, setTitle] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.querySelector<HTMLElement>('input')?.focus();
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);

  const shownTitle = title ?? defaultTitle;
  const save = async () => {
    setBusy(true);
    setError(null);
    const part = what === 'grid' ? 'stages' : `${isCombined ? 'combined' : layerNames[layer]}_${stage}`;
    const name = `${slug(lsLabel.replace(' · ', '_').replace(/ /g, ''))}_${slug(part)}.${format}`;
    try {
      await onExport({ format, title: shownTitle, ...(what === 'map' ? { map: { layer: isCombined ? -1 : layer, stage } } : {}) }, name);
      onClose();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="modal-backdrop" role="presentation">
      <div className="modal export-figure" role="dialog" aria-label="Export figure" ref={ref} data-testid="export-figure-dialog">
        <h2>Export figure</h2>
        <fieldset>
          <legend>What</legend>
          <label className="check">
            <input type="radio" name="export-what" checked={what === 'grid'} onChange={() => setWhat('grid')} /> Every stage map of this
            lumisection (the grid as on screen, with the colour bars)
          </label>
          <label className="check">
            <input type="radio" name="export-what" checked={what === 'map'} onChange={() => setWhat('map')} /> One map:
          </label>
          <div className="export-map-choice">
            <select aria-label="Stage" value={stage} onChange={(e) => (setStage(e.target.value as StageKey), setWhat('map'))}>
              {[...LAYER_STAGES, ...COMBINED_STAGES].map((s) => (
                <option key={s.key} value={s.key}>
                  {s.title}
                </option>
              ))}
            </select>
            <select
              aria-label="Layer"
              value={isCombined ? -1 : layer}
              disabled={isCombined}
              onChange={(e) => (setLayer(Number(e.target.value)), setWhat('map'))}
            >
              {isCombined ? <option value={-1}>combined ({layerNames[0]} bins)</option> : null}
              {layerNames.map((n, i) => (
                <option key={n} value={i}>
                  {n}
                </option>
              ))}
            </select>
          </div>
        </fieldset>
        <fieldset>
          <legend>Format</legend>
          <label className="check">
            <input type="radio" name="export-format" checked={format === 'png'} onChange={() => setFormat('png')} /> PNG (bitmap, 2×
            resolution)
          </label>
          <label className="check">
            <input type="radio" name="export-format" checked={format === 'svg'} onChange={() => setFormat('svg')} /> SVG (vector axes and
            text, the maps as embedded images)
          </label>
        </fieldset>
        <label className="export-title">
          Title
          <input aria-label="Figure title" value={shownTitle} onChange={(e) => setTitle(e.target.value)} />
        </label>
        {title !== null && title !== defaultTitle && (
          <button type="button" className="link-button" onClick={() => setTitle(null)}>
            Use the default title
          </button>
        )}
        {error && (
          <p className="field-error" role="alert">
            Could not export the figure: {error}
          </p>
        )}
        <div className="modal-actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="button primary" onClick={() => void save()} disabled={busy}>
            {busy ? 'Exporting…' : `Save ${format.toUpperCase()}`}
          </button>
        </div>
      </div>
    </div>
  );
}
