import type { HltColumns, OmsColumns } from '@/shared/pipeline/filter';
import { inputError, readJsonInput } from './input-error';

/** Key of a lumisection in the tables here. */
export const lumiKey = (run: number, ls: number) => `${run}:${ls}`;

/** Columnar OMS lumisection JSON: {attribute: [values]} with run_number and lumisection_number. */
export interface OmsTable {
  source: string;
  index: Map<string, number>;
  attributes: Record<string, unknown[]>;
}

export async function loadOmsColumnar(file: string): Promise<OmsTable> {
  const doc = await readJsonInput(file, 'OMS metadata');
  if (!doc || typeof doc !== 'object' || Array.isArray(doc))
    throw inputError(`${file}: expected columnar OMS JSON {"run_number": [...], "lumisection_number": [...], ...}`);
  const cols = doc as Record<string, unknown>;
  for (const k of ['run_number', 'lumisection_number']) {
    if (!Array.isArray(cols[k]))
      throw inputError(`${file}: key "${k}" is missing or not a list; columnar OMS JSON needs run_number and lumisection_number`);
  }
  const runs = cols.run_number as unknown[];
  const lumis = cols.lumisection_number as unknown[];
  if (runs.length !== lumis.length)
    throw inputError(`${file}: run_number has ${runs.length} values but lumisection_number has ${lumis.length}`);
  const attributes: Record<string, unknown[]> = {};
  for (const [k, v] of Object.entries(cols)) {
    if (!Array.isArray(v)) continue;
    if (v.length !== runs.length) throw inputError(`${file}: key "${k}" has ${v.length} values, expected ${runs.length} like run_number`);
    attributes[k] = v;
  }
  const index = new Map<string, number>();
  runs.forEach((r, i) => index.set(lumiKey(Number(r), Number(lumis[i])), i));
  return { source: file, index, attributes };
}

/** OMS attributes for the given lumisections; LS that OMS does not list get a warning. */
export function alignOms(
  table: OmsTable,
  runs: ArrayLike<number>,
  lumis: ArrayLike<number>,
  wanted: string[],
  warnings: string[],
): OmsColumns {
  const n = runs.length;
  const found: boolean[] = new Array(n);
  const attributes: Record<string, Array<number | boolean | null>> = {};
  const missingAttrs = wanted.filter((a) => !(a in table.attributes));
  if (missingAttrs.length)
    warnings.push(`${table.source}: no OMS attribute ${missingAttrs.join(', ')}; those cuts fail for every lumisection`);
  for (const a of wanted) attributes[a] = new Array(n).fill(null);
  const missing: string[] = [];
  for (let i = 0; i < n; i++) {
    const row = table.index.get(lumiKey(runs[i], lumis[i]));
    found[i] = row !== undefined;
    if (row === undefined) {
      missing.push(`${runs[i]}:${lumis[i]}`);
      continue;
    }
    for (const a of wanted) {
      const v = table.attributes[a]?.[row];
      attributes[a][i] = typeof v === 'number' || typeof v === 'boolean' ? v : null;
    }
  }
  if (missing.length)
    warnings.push(
      `${table.source}: no OMS metadata for ${missing.length} lumisection(s) (run:LS ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''}); they do not pass the filter`,
    );
  return { found, attributes };
}

/** `HLT_ZeroBias_v*` → /^HLT_ZeroBias_v.*$/ (* any run of characters, ? one character). */
export function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

export interface HltTable {
  source: string;
  /** run:LS → rate and the trigger it came from. */
  rates: Map<string, { rate: number | null; trigger: string }>;
}

/**
 * Per-run HLT rate JSON {run: {trigger: {rate, first_lumisection_number, run_number}}}; per run the
 * last (sorted) trigger that matches: the preset's glob (preview filter), or a template's path_name
 * filter as a regular expression (test inference).
 */
export async function loadHltRates(file: string, trigger: string | RegExp, warnings: string[]): Promise<HltTable> {
  const doc = await readJsonInput(file, 'HLT rate');
  if (!doc || typeof doc !== 'object' || Array.isArray(doc))
    throw inputError(
      `${file}: expected per-run HLT rate JSON {"<run>": {"<trigger>": {"rate": [...], "first_lumisection_number": [...]}}}`,
    );
  const re = typeof trigger === 'string' ? globToRegExp(trigger) : trigger;
  const triggerGlob = typeof trigger === 'string' ? trigger : `/${trigger.source}/`;
  const rates = new Map<string, { rate: number | null; trigger: string }>();
  for (const [run, triggers] of Object.entries(doc as Record<string, unknown>)) {
    if (!triggers || typeof triggers !== 'object') throw inputError(`${file}: run ${run} is not an object of triggers`);
    const matches = Object.keys(triggers)
      .filter((t) => re.test(t))
      .sort();
    if (matches.length === 0) {
      warnings.push(`${file}: run ${run} has no trigger matching ${triggerGlob} (has ${Object.keys(triggers).join(', ') || 'none'})`);
      continue;
    }
    if (matches.length > 1)
      warnings.push(
        `${file}: run ${run} has several triggers matching ${triggerGlob} (${matches.join(', ')}); using ${matches[matches.length - 1]}`,
      );
    const trigger = matches[matches.length - 1];
    const entry = (triggers as Record<string, unknown>)[trigger] as Record<string, unknown>;
    const rate = entry?.rate;
    const first = entry?.first_lumisection_number;
    if (!Array.isArray(rate) || !Array.isArray(first) || rate.length !== first.length) {
      throw inputError(`${file}: run ${run} trigger ${trigger} needs "rate" and "first_lumisection_number" lists of equal length`);
    }
    const runNumbers = Array.isArray(entry.run_number) ? (entry.run_number as unknown[]) : null;
    first.forEach((ls, i) => {
      const r = runNumbers ? Number(runNumbers[i]) : Number(run);
      const v = rate[i];
      rates.set(lumiKey(r, Number(ls)), { rate: typeof v === 'number' ? v : null, trigger });
    });
  }
  return { source: file, rates };
}

export function alignHlt(table: HltTable, runs: ArrayLike<number>, lumis: ArrayLike<number>, warnings: string[]): HltColumns {
  const n = runs.length;
  const out: HltColumns = { found: new Array(n), rate: new Array(n), trigger: new Array(n) };
  const missing: string[] = [];
  for (let i = 0; i < n; i++) {
    const e = table.rates.get(lumiKey(runs[i], lumis[i]));
    out.found[i] = e !== undefined;
    out.rate[i] = e?.rate ?? null;
    out.trigger[i] = e?.trigger ?? null;
    if (!e) missing.push(`${runs[i]}:${lumis[i]}`);
  }
  if (missing.length)
    warnings.push(
      `${table.source}: no HLT rate for ${missing.length} lumisection(s) (run:LS ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''}); they do not pass the filter`,
    );
  return out;
}
