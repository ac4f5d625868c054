import { useEffect, useRef, useState } from 'react';
import { useApi } from '../api/ApiContext';
import type { DirEntry } from '@/shared/api/contract';
import { Modal } from './Modal';

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
              ⬑ ..
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
                📁 {e.name}
                {e.hasTemplate && <span className="folder-template-tag">template</span>}
              </button>
            </li>
          ) : (
            // Files cannot be opened here (a project is a folder); they are shown so the user knows where they are.
            <li key={`f:${e.name}`} className="folder-file" aria-disabled="true">
              📄 {e.name}
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
