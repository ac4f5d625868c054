import { useEffect, useState } from 'react';
import { useApi } from '@/renderer/src/api/ApiContext';
import type { AppInfo, RecentProject } from '@/shared/api/contract';
import { reportError } from '@/renderer/src/store/app-store';
import { FolderBrowser } from '@/renderer/src/components/FolderBrowser';
import { useOpenProject } from '@/renderer/src/components/use-open-project';

/** Open a folder (native picker in Electron, folder browser otherwise) or a recent project. */
export function ProjectPicker({ compact = false }: { compact?: boolean }) {
  const api = useApi();
  const openProject = useOpenProject();
  const [recent, setRecent] = useState<RecentProject[]>([]);
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [browsing, setBrowsing] = useState(false);

  useEffect(() => {
    api.invoke('projects.recent', {}).then(setRecent, (e) => reportError('Could not read recent projects', e));
    api.invoke('app.info', {}).then(setInfo, () => undefined);
  }, [api]);

  const openFolder = async () => {
    if (info?.nativeDialogs) {
      try {
        const { dir } = await api.invoke('projects.pickFolder', {});
        if (dir) await openProject(dir);
      } catch (err) {
        reportError('Could not open the folder picker', err);
      }
    } else {
      setBrowsing(true);
    }
  };

  const forget = async (dir: string) => {
    try {
      setRecent(await api.invoke('projects.forget', { dir }));
    } catch (err) {
      reportError('Could not update recent projects', err);
    }
  };

  return (
    <div className={`project-picker${compact ? ' compact' : ''}`}>
      <button className="button primary" onClick={openFolder}>
        Open project folder…
      </button>
      {recent.length > 0 && (
        <div className="recent-projects">
          <h3>Recent projects</h3>
          <ul>
            {recent.map((r) => (
              <li key={r.dir}>
                <button className="link-button" onClick={() => void openProject(r.dir)} title={r.dir}>
                  <strong>{r.name}</strong> <span className="muted">{r.dir}</span>
                </button>
                <button className="icon-button" aria-label={`Remove ${r.name} from recent projects`} onClick={() => void forget(r.dir)}>
                  ×
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
      {browsing && (
        <FolderBrowser
          onCancel={() => setBrowsing(false)}
          onChoose={async (dir) => {
            setBrowsing(false);
            await openProject(dir);
          }}
        />
      )}
    </div>
  );
}
