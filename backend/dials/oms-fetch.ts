import { globToRegExp } from '../pipeline/oms';
import type { DialsClient } from './dials-client';
import { badResponse } from './records';

/**
 * OMS data through DIALS's OMS proxy (`oms-proxy/?endpoint=…`, the query of cmsdials'
 * `OMSProxyClient`: `filter[<attribute>][<OP>]=v`, `page[offset]`, `page[limit]`), saved in the
 * layouts the Preview reads (backend/pipeline/oms.ts): columnar lumisection attributes
 * `{attribute: [values]}` and per-run HLT rates `{run: {path: {rate, first_lumisection_number, run_number}}}`.
 * OMS's own links point at OMS, so pages are walked by offset until `meta.totalResourceCount`.
 */

const OMS_PAGE = 1000;

export type OmsColumns = Record<string, Array<string | number | boolean | null>>;
export type HltRates = Record<string, { rate: Array<number | null>; first_lumisection_number: number[]; run_number: number[] }>;

export interface LsWindow {
  first?: number;
  last?: number;
}

const inWindow = (ls: number, w: LsWindow) => (w.first === undefined || ls >= w.first) && (w.last === undefined || ls <= w.last);

async function allDocuments(client: DialsClient, endpoint: string, params: Record<string, string>, signal?: AbortSignal) {
  const out: Array<Record<string, unknown>> = [];
  for (let offset = 0; ; offset += OMS_PAGE) {
    const page = await client.oms(endpoint, { ...params, 'page[offset]': offset, 'page[limit]': OMS_PAGE }, signal);
    out.push(...page.data.map((d) => d.attributes));
    if (page.data.length < OMS_PAGE || (page.total !== null && offset + OMS_PAGE >= page.total)) return out;
  }
}

/** The lumisection attributes of one run (every scalar attribute OMS has), LS in order, only those in the window. */
export async function fetchOmsLumisections(client: DialsClient, run: number, window: LsWindow, signal?: AbortSignal): Promise<OmsColumns> {
  const docs = await allDocuments(client, 'lumisections', { 'filter[run_number][EQ]': String(run) }, signal);
  const rows = docs
    .filter((a, i) => {
      if (typeof a.lumisection_number !== 'number' || a.run_number !== run)
        throw badResponse(`OMS lumisection document ${i + 1} of run ${run} has no lumisection_number / run_number ${run}`, {
          where: 'oms-proxy/?endpoint=lumisections',
          field: 'lumisection_number',
        });
      return inWindow(a.lumisection_number, window);
    })
    .sort((a, b) => (a.lumisection_number as number) - (b.lumisection_number as number));
  const names = new Set<string>();
  for (const r of rows)
    for (const [k, v] of Object.entries(r)) if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) names.add(k);
  const cols: OmsColumns = {};
  for (const n of names)
    cols[n] = rows.map((r) =>
      r[n] === undefined || (typeof r[n] === 'object' && r[n] !== null) ? null : (r[n] as string | number | boolean | null),
    );
  return cols;
}

export function mergeOmsColumns(parts: OmsColumns[]): OmsColumns {
  const names = new Set(parts.flatMap((p) => Object.keys(p)));
  const out: OmsColumns = {};
  for (const n of names) out[n] = parts.flatMap((p) => p[n] ?? new Array<null>(p.run_number?.length ?? 0).fill(null));
  return out;
}

/** Which HLT paths to fetch: a LIKE pattern for OMS (coarse) and the exact rule applied to what comes back. */
export interface HltSelection {
  like: string;
  matches(path: string): boolean;
  /** As the user wrote it: the preset's glob or the template's regular expression. */
  describe: string;
}

/** From the preset's HLT trigger glob (`HLT_ZeroBias_v*`), or else the template's path_name regular expression (`HLT_ZeroBias_v\d+`). */
export function hltSelection(presetGlob: string | null, templateRegex: string | null): HltSelection | null {
  if (presetGlob) {
    const re = globToRegExp(presetGlob);
    return { like: presetGlob.replace(/\*/g, '%').replace(/\?/g, '_'), matches: (p) => re.test(p), describe: presetGlob };
  }
  if (templateRegex) {
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${templateRegex})$`);
    } catch {
      return null;
    }
    // The literal start of the expression narrows what OMS sends; the expression decides.
    const prefix = /^[A-Za-z0-9_]*/.exec(templateRegex.replace(/^\^/, ''))![0];
    return { like: `${prefix}%`, matches: (p) => re.test(p), describe: `/${templateRegex}/` };
  }
  return null;
}

/** Per-LS rates of the selected HLT paths of one run. */
export async function fetchHltRates(
  client: DialsClient,
  run: number,
  sel: HltSelection,
  window: LsWindow,
  signal?: AbortSignal,
): Promise<HltRates> {
  const docs = await allDocuments(
    client,
    'hltpathrates',
    { 'filter[run_number][EQ]': String(run), 'filter[path_name][LIKE]': sel.like, 'group[granularity]': 'lumisection' },
    signal,
  );
  const byPath: HltRates = {};
  docs.forEach((a, i) => {
    const path = a.path_name;
    const ls = a.first_lumisection_number;
    if (typeof path !== 'string' || typeof ls !== 'number')
      throw badResponse(`OMS HLT rate document ${i + 1} of run ${run} has no path_name / first_lumisection_number`, {
        where: 'oms-proxy/?endpoint=hltpathrates',
        field: typeof path !== 'string' ? 'path_name' : 'first_lumisection_number',
      });
    if (!sel.matches(path) || !inWindow(ls, window)) return;
    const e = (byPath[path] ??= { rate: [], first_lumisection_number: [], run_number: [] });
    e.rate.push(typeof a.rate === 'number' ? a.rate : null);
    e.first_lumisection_number.push(ls);
    e.run_number.push(run);
  });
  for (const e of Object.values(byPath)) {
    const order = e.first_lumisection_number.map((_, i) => i).sort((x, y) => e.first_lumisection_number[x] - e.first_lumisection_number[y]);
    e.rate = order.map((i) => e.rate[i]);
    e.first_lumisection_number = order.map((i) => e.first_lumisection_number[i]);
    e.run_number = order.map((i) => e.run_number[i]);
  }
  return byPath;
}
