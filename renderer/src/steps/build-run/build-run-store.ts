import { create } from 'zustand';
import type { BuildState } from '@/shared/api/contract';

/**
 * Build & Run's state per project, kept while the user is in other steps (the step's components
 * unmount when it is left): the template and resource chosen, what was typed in the server fields,
 * and the last build state the back end reported (refreshed from it whenever the step is shown).
 */
export interface BuildRunFields {
  templateRel: string | null;
  resourceKey: string | undefined;
  image: string;
  port: string;
  timeoutS: string;
  build: BuildState | null;
}

export const DEFAULT_READY_TIMEOUT_S = '180';

const initialFields = (templateRel: string | null): BuildRunFields => ({
  templateRel,
  resourceKey: undefined,
  image: '',
  port: '',
  timeoutS: DEFAULT_READY_TIMEOUT_S,
  build: null,
});

interface BuildRunStore {
  byProject: Record<string, BuildRunFields>;
  patch(projectDir: string, patch: Partial<BuildRunFields>, templateRel?: string | null): void;
}

export const useBuildRunStore = create<BuildRunStore>((set) => ({
  byProject: {},
  patch: (projectDir, patch, templateRel = null) =>
    set((s) => ({ byProject: { ...s.byProject, [projectDir]: { ...(s.byProject[projectDir] ?? initialFields(templateRel)), ...patch } } })),
}));

/** The fields of one project (defaults until something is set), and the function that changes them. */
export function useBuildRunFields(
  projectDir: string | undefined,
  firstTemplate: string | null,
): [BuildRunFields, (patch: Partial<BuildRunFields>) => void] {
  const fields = useBuildRunStore((s) => (projectDir ? s.byProject[projectDir] : undefined));
  const patch = useBuildRunStore((s) => s.patch);
  return [
    fields ?? initialFields(firstTemplate),
    (p) => {
      if (projectDir) patch(projectDir, p, firstTemplate);
    },
  ];
}

/** A port the model server can listen on, or why not (empty means the default). */
export function portProblem(port: string): string | null {
  const t = port.trim();
  if (t === '') return null;
  const n = Number(t);
  return /^\d+$/.test(t) && n >= 1 && n <= 65535 ? null : 'The port must be a whole number from 1 to 65535.';
}

/** A readiness timeout the back end accepts, or why not. */
export function timeoutProblem(timeoutS: string): string | null {
  const t = timeoutS.trim();
  const n = Number(t);
  return t !== '' && Number.isFinite(n) && n >= 1 && n <= 3600 ? null : 'The ready timeout must be a number of seconds from 1 to 3600.';
}
