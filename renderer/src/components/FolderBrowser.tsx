import { useEffect, useRef, useState } from 'react';
import { useApi } from '../api/ApiContext';
import type { DirEntry } from '@/shared/api/contract';

/**
 * Folder chooser that browses the back end's file system. Used in the browser host (where the
 * files live on the remote host) and as a fallback in Electron.
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
    api.invoke('fs.listDir', dir ? { dir } : {}).then(
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
    <div className="modal-backdrop" role="presentation">
      <div className="modal folder-browser" role="dialog" aria-label={title}>
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
          {listing?.entries
            .filter((e) => e.kind === 'dir')
            .map((e) => (
              <li key={e.name}>
                <button className="folder-entry" onClick={() => go(`${listing.dir.replace(/\/$/, '')}/${e.name}`)}>
                  📁 {e.name}
                </button>
              </li>
            ))}
          {listing && listing.entries.length === 0 && <li className="muted">No sub-folders</li>}
        </ul>
        <div className="modal-actions">
          <button className="button" onClick={onCancel}>
            Cancel
          </button>
          <button className="button primary" disabled={!listing} onClick={() => listing && onChoose(listing.dir)}>
            Open this folder
          </button>
        </div>
      </div>
    </div>
  );
}
