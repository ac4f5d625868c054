import { useEffect, useState } from 'react';
import type { SampleDataSource } from '@/shared/api/contract/pipeline';
import { formatRunSelection } from '@/shared/dials/run-selection';
import { useApi } from '@/renderer/src/api/ApiContext';
import { DialsFetchPanel } from './DialsFetchPanel';
import { useDialsData } from './dials-data-store';
import './dials.css';

function host(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/**
 * Where the Preview's maps come from, and the way to get real ones: the project's files or a fetch
 * from DIALS (with its dataset, runs, instance and time), a switch between the two, and the DIALS
 * fetch panel.
 */
export function DialsDataCard({
  projectDir,
  templates,
  usingDials,
  source,
  busy,
  onPreview,
}: {
  projectDir: string;
  templates: string[];
  /** The current run's maps come from the DIALS fetch. */
  usingDials: boolean | null;
  /** The files of the current run, for display. */
  source: string | null;
  busy: boolean;
  onPreview(source: SampleDataSource): void;
}) {
  const api = useApi();
  const { data: held, projectDir: heldFor, refresh } = useDialsData();
  const data = heldFor === projectDir ? held : null;
  const [open, setOpen] = useState(false);
  useEffect(() => {
    void refresh(api, projectDir);
  }, [api, projectDir, refresh]);
  const manifest = data?.manifest ?? null;

  return (
    <div className="card dials-data-card" data-testid="dials-data-card">
      <div className="dials-data-head">
        <h2>Sample data</h2>
        {usingDials && manifest ? (
          <span data-testid="data-provenance">
            <span className="tag tag-dials">DIALS</span> <span className="mono">{manifest.dataset}</span> · runs{' '}
            {manifest.runsFetched.join(', ')} · {manifest.lumisections} LS × {manifest.mes.length} MEs · from{' '}
            <span className="mono">{host(manifest.instance)}</span>
            {manifest.workspace ? ` (${manifest.workspace})` : ''} · fetched {new Date(manifest.finishedAt).toLocaleString()}
            {manifest.ls.first || manifest.ls.last ? ` · LS ${manifest.ls.first ?? 1}–${manifest.ls.last ?? 'end'}` : ''}
          </span>
        ) : (
          <span data-testid="data-provenance">
            <span className="tag">project files</span> <span className="mono">{source ?? 'data/'}</span>
          </span>
        )}
        <span className="dials-data-actions">
          {manifest && (
            <span className="segmented" role="group" aria-label="Preview data">
              <button
                type="button"
                aria-pressed={usingDials === true}
                disabled={busy || usingDials === true}
                onClick={() => onPreview('dials')}
              >
                DIALS fetch
              </button>
              <button
                type="button"
                aria-pressed={usingDials === false}
                disabled={busy || usingDials === false}
                onClick={() => onPreview('project-files')}
              >
                Project files
              </button>
            </span>
          )}
          <button
            type="button"
            className={`button${manifest || open ? '' : ' primary'}`}
            aria-expanded={open}
            onClick={() => setOpen((o) => !o)}
          >
            {open ? 'Hide DIALS' : manifest ? 'Fetch other data from DIALS…' : 'Fetch real data from DIALS…'}
          </button>
        </span>
      </div>
      {data?.partial && !open && (
        <p className="muted" data-testid="dials-partial">
          An interrupted DIALS fetch ({data.partial.dataset}, runs {formatRunSelection(data.partial.runs)}) has {data.partial.pagesDone} of{' '}
          {data.partial.pagesTotal} pages saved: open DIALS to continue it.
        </p>
      )}
      {data?.problems.map((p, i) => (
        <p key={i} className="field-error">
          {p}
        </p>
      ))}
      {open && (
        <DialsFetchPanel
          projectDir={projectDir}
          templates={templates}
          onFetched={() => {
            // the new data is what the physicist wants to see: preview it, and make room for it
            setOpen(false);
            onPreview('dials');
          }}
        />
      )}
    </div>
  );
}
