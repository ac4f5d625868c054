import { create } from 'zustand';
import type { EngineStatus, ProjectSummary } from '@/shared/api/contract';
import { errorText } from '../components/error-text';
import type { StepId } from '../steps/step-ids';

export interface Notice {
  id: number;
  kind: 'error' | 'info' | 'success';
  title: string;
  message: string;
}

interface AppState {
  connected: boolean;
  project: ProjectSummary | null;
  step: StepId;
  engine: EngineStatus | null;
  notices: Notice[];
  setConnected(c: boolean): void;
  setProject(p: ProjectSummary | null): void;
  setStep(s: StepId): void;
  setEngine(e: EngineStatus): void;
  notify(n: Omit<Notice, 'id'>): void;
  dismiss(id: number): void;
}

let noticeId = 0;

export const useAppStore = create<AppState>((set) => ({
  connected: true,
  project: null,
  step: 'model',
  engine: null,
  notices: [],
  setConnected: (connected) => set({ connected }),
  setProject: (project) => set({ project }),
  setStep: (step) => set({ step }),
  setEngine: (engine) => set({ engine }),
  notify: (n) => set((s) => ({ notices: [...s.notices.slice(-4), { ...n, id: ++noticeId }] })),
  dismiss: (id) => set((s) => ({ notices: s.notices.filter((n) => n.id !== id) })),
}));

/** Show an error from the back end with its real name and message. */
export function reportError(title: string, err: unknown): void {
  useAppStore.getState().notify({ kind: 'error', title, message: errorText(err) });
}
