/** The four kinds of lumisection-filter reasons, how they are named and coloured (timeline, Why panel, report). */

export type ReasonCategory = 'statistics' | 'oms' | 'pileup' | 'hlt';

export function reasonCategory(code: string): ReasonCategory {
  if (code.startsWith('pileup')) return 'pileup';
  if (code.startsWith('hlt')) return 'hlt';
  if (code.startsWith('oms')) return 'oms';
  return 'statistics';
}

export const REASON_LABEL: Record<ReasonCategory, string> = {
  statistics: 'too few entries',
  oms: 'OMS not ready',
  pileup: 'low pileup',
  hlt: 'low HLT rate',
};

export const REASON_COLOUR: Record<ReasonCategory, string> = {
  statistics: '#7b4fb0',
  oms: '#8c6d1f',
  pileup: '#1a8f8f',
  hlt: '#c2185b',
};
