import type { PresetFilters } from '../preset/model-preset';

/** OMS lumisection attributes aligned with the lumisections being processed. */
export interface OmsColumns {
  /** Whether OMS had a row for this (run, LS). */
  found: boolean[];
  /** Attribute name → value per LS (null when OMS had no row or a null value). */
  attributes: Record<string, Array<number | boolean | null>>;
}

/** HLT rate of the selected trigger, aligned with the lumisections being processed. */
export interface HltColumns {
  found: boolean[];
  rate: Array<number | null>;
  trigger: Array<string | null>;
}

export interface LumiConditions {
  /** null when no OMS metadata was given: the OMS cuts are skipped (with a warning). */
  oms: OmsColumns | null;
  hlt: HltColumns | null;
}

export type FilterReasonCode =
  'min_entries' | 'oms_missing' | 'oms_flag_false' | 'oms_flag_missing' | 'pileup_low' | 'pileup_missing' | 'hlt_missing' | 'hlt_rate_low';

export interface FilterReason {
  code: FilterReasonCode;
  message: string;
}

export interface FilterOutcome {
  passed: boolean;
  reasons: FilterReason[];
}

function fmt(v: number): string {
  return Math.abs(v) >= 1e4 ? v.toExponential(3) : String(Math.round(v * 1000) / 1000);
}

/** The lumisection filter: why an LS is not trusted. Flags of LS that do not pass are cleared. */
export function evaluateFilter(filters: PresetFilters, entries: Record<string, number>, cond: LumiConditions, i: number): FilterOutcome {
  const reasons: FilterReason[] = [];
  for (const [layer, min] of Object.entries(filters.minEntries)) {
    const e = entries[layer];
    if (e !== undefined && !(e > min))
      reasons.push({ code: 'min_entries', message: `${layer} has ${fmt(e)} entries (needs > ${fmt(min)})` });
  }
  const oms = cond.oms;
  if (oms && (filters.omsBooleans.length > 0 || filters.minPileup !== null)) {
    if (!oms.found[i]) reasons.push({ code: 'oms_missing', message: 'no OMS metadata for this lumisection' });
    else {
      for (const attr of filters.omsBooleans) {
        const v = oms.attributes[attr]?.[i];
        if (v === null || v === undefined) reasons.push({ code: 'oms_flag_missing', message: `OMS ${attr} is missing` });
        else if (!v) reasons.push({ code: 'oms_flag_false', message: `OMS ${attr} is false` });
      }
      if (filters.minPileup !== null) {
        const p = oms.attributes.pileup?.[i];
        if (typeof p !== 'number') reasons.push({ code: 'pileup_missing', message: 'OMS pileup is missing' });
        else if (!(p > filters.minPileup))
          reasons.push({ code: 'pileup_low', message: `pileup ${fmt(p)} (needs > ${fmt(filters.minPileup)})` });
      }
    }
  }
  const hlt = cond.hlt;
  if (hlt && filters.hlt) {
    const rate = hlt.rate[i];
    if (!hlt.found[i] || rate === null)
      reasons.push({ code: 'hlt_missing', message: `no ${filters.hlt.triggerGlob} rate for this lumisection` });
    else if (!(rate > filters.hlt.minRate))
      reasons.push({
        code: 'hlt_rate_low',
        message: `${hlt.trigger[i] ?? filters.hlt.triggerGlob} rate ${fmt(rate)} Hz (needs > ${fmt(filters.hlt.minRate)})`,
      });
  }
  return { passed: reasons.length === 0, reasons };
}
