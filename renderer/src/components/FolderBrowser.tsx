import { useEffect, useRef, useState } from 'react';
import { useApi } from '../api/ApiContext';
import type { DirEntry } from '@/shared/api/contract';
import { Modal } from './Modal';

/** Folder / file / parent glyphs drawn inline (emoji fonts are missing on many Linux hosts). */
function Icon({ kind }: { kind: 'dir' | 'file' | 'up' }) {
  const d =
    kind === 'dir'
      ? 'M1.5 3.5h4l1.5 1.5h7.5v8h-13z'
      : kind === 'file'
        ? 'M3.5 1.5h6l3 3v10h-9z M9.5 1.5v3h3'
        : 'M8 13.5v-10 M4 7.5l4-4 4 4';
  return (
    <svg className="folder-icon" width="16" height="16" viewBox="0 0 16 16" aria-hidden="true">
      <path d={d} fill={kind === 'dir' ? 'currentColor' : 'none'} fillOpacity={kind === 'dir' ? 0.18 : undefined} stroke="currentColor" />
    </svg>
  );
}

/**
 * Folder chooser that browses the back end's file system. Used in the browser host (where the
 * files live on the remote host) and as a fallback in Electron. Files are listed greyed (so the
 * template.yaml one is looking for can be seen), folders are what can be opened, and a folder that
 * holds a template is marked. Escape cancels.
 */
export function FolderBrowser({
  initialDir,
  onChoose,
  onCancel,
  title = 'Choose a project folder',
}: {
  initialDir?: string;
  onChoose(dir: string): void;
  onCancel(): void;
  title?: string;
}) {
  const api = useApi();
  const [dir, setDir] = useState<string | undefined>(initialDir);
  const [typed, setTyped] = useState('');
  const [listing, setListing] = useState<{ dir: string; parent: string | null; entries: DirEntry[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  // A listing that arrives after the user started typing must not overwrite what they typed.
  const typing = useRef(false);
  const go = (d: string) => {
    typing.current = false;
    setDir(d);
  };

  useEffect(() => {
    let alive = true;
    api.invoke('fs.listDir', dir ? { dir, showFiles: true } : { showFiles: true }).then(
      (l) => {
        if (!alive) return;
        setListing(l);
        if (!typing.current) setTyped(l.dir);
        setError(null);
      },
      (e: Error) => alive && setError(e.message),
    );
    return () => {
      alive = false;
    };
  }, [api, dir]);

  return (
    <Modal label={title} className="folder-browser" onClose={onCancel}>
      <h2>{title}</h2>
      <form
        className="folder-path"
        onSubmit={(e) => {
          e.preventDefault();
          go(typed);
        }}
      >
        <input
          aria-label="Folder path"
          value={typed}
          onChange={(e) => {
            typing.current = true;
            setTyped(e.target.value);
          }}
          spellCheck={false}
        />
        <button className="button" type="submit">
          Go
        </button>
      </form>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      <ul className="folder-list">
        {listing?.parent && (
          <li>
            <button className="folder-entry" onClick={() => go(listing.parent!)}>
              <Icon kind="up" /> ..
            </button>
          </li>
        )}
        {listing?.entries.map((e) =>
          e.kind === 'dir' ? (
            <li key={`d:${e.name}`}>
              <button
                className="folder-entry"
                onClick={() => go(`${listing.dir.replace(/\/$/, '')}/${e.name}`)}
                title={e.hasTemplate ? 'Holds a DISM template' : undefined}
              >
                <Icon kind="dir" /> {e.name}
                {e.hasTemplate && <span className="folder-template-tag">template</span>}
              </button>
            </li>
          ) : (
            // Files cannot be opened here (a project is a folder); they are shown so the user knows where they are.
            <li key={`f:${e.name}`} className="folder-file" aria-disabled="true">
              <Icon kind="file" /> {e.name}
              {e.isTemplate && <span className="folder-template-tag">template</span>}
            </li>
          ),
        )}
        {listing && listing.entries.length === 0 && <li className="muted">Empty folder</li>}
      </ul>
      {listing?.entries.some((e) => e.kind === 'file' && e.isTemplate) && (
        <p className="folder-hint" data-testid="folder-holds-template">
          This folder holds a template: open it as the project.
        </p>
      )}
      <div className="modal-actions">
        <button className="button" onClick={onCancel}>
          Cancel
        </button>
        <button className="button primary" disabled={!listing} onClick={() => listing && onChoose(listing.dir)}>
          Open this folder
        </button>
      </div>
    </Modal>
  );
}
