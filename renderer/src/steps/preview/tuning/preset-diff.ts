import type { ModelPreset } from '../../../../../shared/preset/model-preset';
import type { TimelineLs } from '../timeline/timeline-model';

/** Pipeline stages in order; a preset edit re-runs from the first stage it affects. */
export const STAGE_ORDER = ['inference', 'clustering', 'combine', 'flagging', 'filter'] as const;
export type PipelineStage = (typeof STAGE_ORDER)[number];

export const STAGE_LABEL: Record<PipelineStage, string> = {
  inference: 'preprocessing + NMF inference',
  clustering: 'threshold clustering (no NMF inference)',
  combine: 'layer combination (no NMF inference)',
  flagging: 'flagging patterns (no NMF inference)',
  filter: 'lumisection filter only',
};

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The first stage whose inputs differ between two presets, or null when nothing changed. */
export function firstAffectedStage(a: ModelPreset, b: ModelPreset): PipelineStage | null {
  if (!same(a.layers, b.layers) || !same(a.reconstructionInput, b.reconstructionInput)) return 'inference';
  if (!same(a.thresholds, b.thresholds)) return 'clustering';
  if (!same(a.combine, b.combine)) return 'combine';
  if (!same(a.flagging, b.flagging)) return 'flagging';
  if (!same(a.filters, b.filters)) return 'filter';
  return null;
}

export interface FlagChange {
  position: number;
  run: number;
  ls: number;
  before: boolean;
  after: boolean;
}

/** LS whose final flag differs between the saved preset's results and the current ones. */
export function flagChanges(saved: readonly TimelineLs[], current: readonly TimelineLs[]): FlagChange[] {
  const out: FlagChange[] = [];
  const n = Math.min(saved.length, current.length);
  for (let i = 0; i < n; i++) {
    if (saved[i].flagged !== current[i].flagged) out.push({ position: i, run: current[i].run, ls: current[i].ls, before: saved[i].flagged, after: current[i].flagged });
  }
  return out;
}
