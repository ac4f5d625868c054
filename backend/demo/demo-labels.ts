import type { DemoLayer, Region } from './synthetic-maps';
import { moduleCols, rowsAt } from './synthetic-maps';

/** What a demo lumisection contains, and what the model must say about it. */
export type DemoLabel =
  | 'clean'
  | 'outage3'
  | 'outage2'
  | 'hot2'
  | 'single_dead'
  | 'low_stat'
  | 'low_pileup'
  | 'beams_not_stable'
  | 'outage3_bpix_not_ready'
  | 'outage2_low_hlt';

export interface LabelSpec {
  description: string;
  /** Expected flag after the lumisection filter. */
  flagged: boolean;
  /** Expected flag before the filter (null: not predictable, e.g. very noisy low-statistics maps). */
  flaggedBeforeFilter: boolean | null;
  passesFilter: boolean;
}

export const LABELS: Record<DemoLabel, LabelSpec> = {
  clean: { description: 'nothing wrong', flagged: false, flaggedBeforeFilter: false, passesFilter: true },
  outage3: {
    description: 'the same two modules × four ladders are off in BPix2, BPix3 and BPix4',
    flagged: true,
    flaggedBeforeFilter: true,
    passesFilter: true,
  },
  outage2: { description: 'a region is off in BPix3 and BPix4', flagged: true, flaggedBeforeFilter: true, passesFilter: true },
  hot2: { description: 'a hot region (×3 occupancy) in BPix2 and BPix3', flagged: true, flaggedBeforeFilter: true, passesFilter: true },
  single_dead: {
    description:
      'one module off in BPix3 only: below the 2-layer combine threshold and smaller than the 2 × 16 cluster pattern, so not flagged by design',
    flagged: false,
    flaggedBeforeFilter: false,
    passesFilter: true,
  },
  low_stat: {
    description: 'very few entries (2 % of normal): removed by the minimum-entries cut',
    flagged: false,
    flaggedBeforeFilter: null,
    passesFilter: false,
  },
  low_pileup: {
    description: 'pileup 20 (< 25): removed by the pileup cut',
    flagged: false,
    flaggedBeforeFilter: false,
    passesFilter: false,
  },
  beams_not_stable: {
    description: 'beams not stable in OMS: removed by the OMS cut',
    flagged: false,
    flaggedBeforeFilter: false,
    passesFilter: false,
  },
  outage3_bpix_not_ready: {
    description: 'a 3-layer outage while BPix was not ready: flagged before the filter, cleared after',
    flagged: false,
    flaggedBeforeFilter: true,
    passesFilter: false,
  },
  outage2_low_hlt: {
    description: 'a 2-layer outage with HLT_ZeroBias rate 2 Hz (< 5): flagged before the filter, cleared after',
    flagged: false,
    flaggedBeforeFilter: true,
    passesFilter: false,
  },
};

/** Regions changed per layer for a label (raw coordinates); factor 0 = off, > 1 = hot. */
export function labelEdits(label: DemoLabel, layer: DemoLayer): Array<{ region: Region; factor: number }> {
  const region = (f0: number, f1: number, m0: number, m1: number): Region => {
    const [r0, r1] = rowsAt(layer, f0, f1);
    const [c0, c1] = moduleCols(m0, m1);
    return { r0, r1, c0, c1 };
  };
  switch (label) {
    case 'outage3':
    case 'outage3_bpix_not_ready':
      return [{ region: region(0.25, 0.4, 1, 3), factor: 0 }];
    case 'outage2':
    case 'outage2_low_hlt':
      return layer === 'BPix2' ? [] : [{ region: region(0.55, 0.72, 5, 7), factor: 0 }];
    case 'hot2':
      return layer === 'BPix4' ? [] : [{ region: region(0.62, 0.75, 4, 6), factor: 3 }];
    case 'single_dead':
      return layer === 'BPix3' ? [{ region: region(0.1, 0.12, 6, 7), factor: 0 }] : [];
    default:
      return [];
  }
}

/** The demo's lumisections: two runs of 60 LS with labelled ones placed at fixed positions. */
export const DEMO_RUNS = [398100, 398101];
export const LS_PER_RUN = 60;
export const PLACED_LABELS: Record<string, DemoLabel> = {
  '398100:7': 'outage3',
  '398100:15': 'hot2',
  '398100:22': 'single_dead',
  '398100:30': 'outage2',
  '398100:41': 'low_stat',
  '398100:50': 'outage3_bpix_not_ready',
  '398101:5': 'low_pileup',
  '398101:12': 'outage3',
  '398101:20': 'hot2',
  '398101:33': 'outage2_low_hlt',
  '398101:44': 'single_dead',
  '398101:52': 'beams_not_stable',
};
