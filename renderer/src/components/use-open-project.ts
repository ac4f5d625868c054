import { useCallback } from 'react';
import { useApi } from '@/renderer/src/api/ApiContext';
import { reportError, useAppStore } from '@/renderer/src/store/app-store';

/** Open a project folder through the back end and make it current. */
export function useOpenProject() {
  const api = useApi();
  return useCallback(
    async (dir: string) => {
      try {
        const project = await api.invoke('projects.open', { dir });
        useAppStore.getState().setProject(project);
        localStorage.setItem('dism.lastProject', project.dir);
        return project;
      } catch (err) {
        reportError('Could not open the project', err);
        return null;
      }
    },
    [api],
  );
}
