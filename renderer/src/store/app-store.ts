import { create } from 'zustand';
import type { EngineStatus, ProjectSummary } from '@/shared/api/contract';
import { errorText } from '../components/error-text';
import type { StepId } from '../steps/step-ids';

export interface Notice {
  id: number;
  /** info and success fade after NOTICE_FADE_MS; warnings and errors stay until dismissed. */
  kind: 'error' | 'warning' | 'info' | 'success';
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
  /** The pointer or focus rests on a notice: it does not fade meanwhile. */
  holdNotice(id: number, held: boolean): void;
}

/** How long an info or success notice stays. */
export const NOTICE_FADE_MS = 6000;
const FADES: ReadonlyArray<Notice['kind']> = ['info', 'success'];
/** At most this many notices at once (the oldest go first). */
const MAX_NOTICES = 4;

let noticeId = 0;
const fadeTimers = new Map<number, ReturnType<typeof setTimeout>>();

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
  notify: (n) => {
    const id = ++noticeId;
    set((s) => {
      // The same notice again (e.g. a repeated failure) replaces the earlier one.
      const others = s.notices.filter((x) => !(x.kind === n.kind && x.title === n.title && x.message === n.message));
      const kept = others.slice(-(MAX_NOTICES - 1));
      for (const gone of s.notices.filter((x) => !kept.includes(x))) clearTimeout(fadeTimers.get(gone.id));
      return { notices: [...kept, { ...n, id }] };
    });
    if (FADES.includes(n.kind)) scheduleFade(id);
  },
  dismiss: (id) => {
    clearTimeout(fadeTimers.get(id));
    fadeTimers.delete(id);
    set((s) => ({ notices: s.notices.filter((n) => n.id !== id) }));
  },
  holdNotice: (id, held) => {
    const n = useAppStore.getState().notices.find((x) => x.id === id);
    if (!n || !FADES.includes(n.kind)) return;
    clearTimeout(fadeTimers.get(id));
    fadeTimers.delete(id);
    if (!held) scheduleFade(id);
  },
}));

function scheduleFade(id: number): void {
  clearTimeout(fadeTimers.get(id));
  fadeTimers.set(
    id,
    setTimeout(() => useAppStore.getState().dismiss(id), NOTICE_FADE_MS),
  );
}

/** Show an error from the back end with its real name and message. */
export function reportError(title: string, err: unknown): void {
  useAppStore.getState().notify({ kind: 'error', title, message: errorText(err) });
}
