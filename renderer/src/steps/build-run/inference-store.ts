import { create } from 'zustand';
import type { InferenceResult } from '@/shared/api/contract';

/** The last test inference of a project and how its table is shown. */
export interface InferenceView {
  projectDir: string;
  result: InferenceResult;
  /** The preview's flags it was compared with. */
  preview: boolean[] | null;
  onlyDisagreements: boolean;
  page: number;
}

interface InferenceStore {
  last: InferenceView | null;
  set(last: InferenceView | null): void;
  patch(p: Partial<Pick<InferenceView, 'onlyDisagreements' | 'page'>>): void;
}

/**
 * Kept outside the card: a row click opens the Preview, and coming back to Build & Run shows the
 * same table on the same page (the step's components are unmounted in between).
 */
export const useInferenceStore = create<InferenceStore>((set) => ({
  last: null,
  set: (last) => set({ last }),
  patch: (p) => set((s) => (s.last ? { last: { ...s.last, ...p } } : s)),
}));
