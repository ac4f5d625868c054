import type { PipelineStage } from '@/shared/pipeline/model';
import type { TimelineLs } from '../timeline/timeline-model';

// The stage logic lives with the pipeline; the UI only labels it.
export { firstAffectedStage, type PipelineStage } from '@/shared/pipeline/model';

export const STAGE_LABEL: Record<PipelineStage, string> = {
  inference: 'preprocessing + NMF inference',
  clustering: 'threshold clustering (no NMF inference)',
  combine: 'layer combination (no NMF inference)',
  flagging: 'flagging patterns (no NMF inference)',
  filter: 'lumisection filter only',
};

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
    if (saved[i].flagged !== current[i].flagged)
      out.push({ position: i, run: current[i].run, ls: current[i].ls, before: saved[i].flagged, after: current[i].flagged });
  }
  return out;
}
