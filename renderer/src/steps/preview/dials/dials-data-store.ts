import { create } from 'zustand';
import type { DismApi } from '@/shared/api/client';
import type { DialsProjectData } from '@/shared/api/contract/dials';

/**
 * What the open project holds from DIALS (fetch manifest, interrupted fetch, production flags), for
 * the Preview's data card, the production card and the timeline's "DIALS production" lane.
 */
interface DialsDataState {
  projectDir: string | null;
  data: DialsProjectData | null;
  error: string | null;
  refresh(api: DismApi, projectDir: string): Promise<DialsProjectData | null>;
}

let seq = 0;

export const useDialsData = create<DialsDataState>((set) => ({
  projectDir: null,
  data: null,
  error: null,
  async refresh(api, projectDir) {
    const mine = ++seq;
    set((s) => (s.projectDir === projectDir ? {} : { projectDir, data: null, error: null }));
    try {
      const data = await api.invoke('dials.projectData', { projectDir });
      if (mine === seq) set({ projectDir, data, error: null });
      return data;
    } catch (err) {
      if (mine === seq) set({ projectDir, data: null, error: (err as Error).message });
      return null;
    }
  },
}));
