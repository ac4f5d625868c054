/**
 * TEST STAND-IN: DIALS's OMS proxy (GET api/v1/oms-proxy/?endpoint=<OMS resource>&…). DIALS forwards
 * every other query parameter to https://cmsoms.cern.ch/agg/api/v1/<endpoint> and returns OMS's JSON
 * unchanged (cms-DQM/dials v1.12.0 backend/oms_proxy), so the body is OMS's JSON:API document:
 * `{"data": [{"id", "type", "attributes": {…}, "links": {"self"}}], "links": {…}, "meta":
 * {"totalResourceCount": N}}` — its links point at OMS, not at DIALS. Query syntax is the OMS
 * aggregation API's: `filter[<attribute>][EQ|NEQ|LT|GT|LE|GE|LIKE]=v`, `page[offset]`,
 * `page[limit]`, `fields=a,b`, `sort=a,-b`, `group[granularity]=lumisection|run`.
 * Any OMS error is an unhandled requests.HTTPError in DIALS: a 500 page.
 */
import { djangoServerError } from './responses';
import type { World } from './world';

const OMS_API = 'https://cmsoms.cern.ch/agg/api/v1';
/** Stand-in choice: OMS's default page size is not in any source we have; clients should always send page[limit]. */
export const OMS_DEFAULT_LIMIT = 10;

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
/** LS length in seconds (2^18 LHC orbits). */
const LS_SECONDS = 23.31;

/** The HLT paths every stand-in run has (only HLT_ZeroBias_v12 matches the preset's HLT_ZeroBias_v\d+). */
export const HLT_PATHS = [
  'DQM_PixelReconstruction_v8',
  'HLT_Physics_v13',
  'HLT_ZeroBias_FirstCollisionAfterAbortGap_v11',
  'HLT_ZeroBias_v12',
];

type Attributes = Record<string, string | number | boolean | null | string[]>;

function runStart(run: number): number {
  return Date.UTC(2025, 6, 1) + (run - 398000) * 3 * 3600_000;
}

function fillOf(run: number): number {
  return run === 398100 ? 10500 : run === 398101 ? 10501 : 10600 + Math.floor((run - 398000) / 3);
}

function runAttributes(run: number, lsCount: number): Attributes {
  const start = runStart(run);
  return {
    run_number: run,
    fill_number: fillOf(run),
    start_time: iso(start),
    end_time: iso(start + lsCount * LS_SECONDS * 1000),
    last_lumisection_number: lsCount,
    stable_beam: true,
    fill_type_runtime: 'PROTONS',
    b_field: 3.8,
    energy: 6800,
    clock_type: 'LHC',
    sequence: 'GLOBAL-RUN',
    l1_key: 'l1_trg_collisions2025/v21',
    l1_menu: 'L1Menu_Collisions2025_v1_2_0',
    hlt_key: '/cdaq/physics/Run2025/2e34/v1.2.1/HLT/V3',
    components: ['CSC', 'DAQ', 'DCS', 'DQM', 'DT', 'ECAL', 'ES', 'HCAL', 'PIXEL', 'RPC', 'TRACKER', 'TRG'],
    delivered_lumi: Math.round(lsCount * 0.35 * 1000) / 1000,
    recorded_lumi: Math.round(lsCount * 0.343 * 1000) / 1000,
    duration: Math.round(lsCount * LS_SECONDS),
  };
}

/** The 17 lumisection attributes of DISM's seed-project OMS exports, plus start and end time. */
function lumisectionAttributes(world: World, run: number, ls: number): Attributes {
  const c = world.conditions(run, ls);
  const delivered = Math.round(c.pileup * 0.0075 * 1e6) / 1e6;
  const start = runStart(run) + (ls - 1) * LS_SECONDS * 1000;
  return {
    run_number: run,
    lumisection_number: ls,
    fill_number: fillOf(run),
    start_time: iso(start),
    end_time: iso(start + LS_SECONDS * 1000),
    delivered_lumi_per_lumisection: delivered,
    recorded_lumi_per_lumisection: Math.round(delivered * 0.98 * 1e6) / 1e6,
    pileup: c.pileup,
    physics_flag: c.beamsStable,
    prescale_index: 3,
    prescale_name: '2p0E34',
    beams_stable: c.beamsStable,
    cms_active: true,
    bpix_ready: c.bpixReady,
    fpix_ready: true,
    tibtid_ready: true,
    tob_ready: true,
    tecp_ready: true,
    tecm_ready: true,
  };
}

function pathRate(world: World, run: number, ls: number, path: string): number {
  const c = world.conditions(run, ls);
  if (path === 'HLT_ZeroBias_v12') return c.hltZeroBiasRate;
  if (path === 'HLT_ZeroBias_FirstCollisionAfterAbortGap_v11') return Math.round(c.hltZeroBiasRate * 0.08 * 100) / 100;
  if (path === 'HLT_Physics_v13') return Math.round((12 + c.pileup / 20) * 100) / 100;
  return Math.round(5000 * (c.pileup / 60) * 100) / 100;
}

interface Resource {
  type: string;
  /** Rows of the given runs (all runs when `runs` is null), in OMS's order. */
  rows(world: World, granularity: string, runs: number[] | null): Generator<{ id: string; attributes: Attributes }>;
}

/** [run, LS count] of the runs asked for (a run_number EQ filter narrows the scan; other filters apply after). */
function runsOf(world: World, only: number[] | null): Array<[number, number]> {
  const all = world.allRuns();
  return only ? only.filter((r) => all.has(r)).map((r) => [r, all.get(r)!] as [number, number]) : [...all.entries()];
}

function* lsOf(world: World, only: number[] | null): Generator<[number, number]> {
  for (const [run, lsCount] of runsOf(world, only)) for (let ls = 1; ls <= lsCount; ls++) yield [run, ls];
}

const RESOURCES: Record<string, Resource> = {
  runs: {
    type: 'runs',
    *rows(world, _g, only) {
      for (const [run, lsCount] of runsOf(world, only)) yield { id: String(run), attributes: runAttributes(run, lsCount) };
    },
  },
  lumisections: {
    type: 'lumisections',
    *rows(world, _g, only) {
      for (const [run, ls] of lsOf(world, only)) yield { id: `${run}_${ls}`, attributes: lumisectionAttributes(world, run, ls) };
    },
  },
  hltpathinfo: {
    type: 'hltpathinfo',
    *rows(world, _g, only) {
      for (const [run, lsCount] of runsOf(world, only)) {
        for (const path of HLT_PATHS) {
          let sum = 0;
          for (let ls = 1; ls <= lsCount; ls++) sum += pathRate(world, run, ls, path);
          yield {
            id: `${run}_${path}`,
            attributes: {
              run_number: run,
              path_name: path,
              rate: Math.round((sum / lsCount) * 100) / 100,
              counter: Math.round(sum * LS_SECONDS),
            },
          };
        }
      }
    },
  },
  hltpathrates: {
    type: 'hltpathrates',
    *rows(world, granularity, only) {
      for (const [run, lsCount] of runsOf(world, only)) {
        for (const path of HLT_PATHS) {
          if (granularity === 'run') {
            let sum = 0;
            for (let ls = 1; ls <= lsCount; ls++) sum += pathRate(world, run, ls, path);
            yield {
              id: `${run}_${path}`,
              attributes: {
                run_number: run,
                first_lumisection_number: 1,
                last_lumisection_number: lsCount,
                path_name: path,
                rate: Math.round((sum / lsCount) * 100) / 100,
                counter: Math.round(sum * LS_SECONDS),
              },
            };
            continue;
          }
          for (let ls = 1; ls <= lsCount; ls++) {
            const rate = pathRate(world, run, ls, path);
            yield {
              id: `${run}_${ls}_${path}`,
              attributes: {
                run_number: run,
                first_lumisection_number: ls,
                last_lumisection_number: ls,
                path_name: path,
                rate,
                counter: Math.round(rate * LS_SECONDS),
              },
            };
          }
        }
      }
    },
  },
  datasetrates: {
    type: 'datasetrates',
    *rows(world, _g, only) {
      for (const [run, ls] of lsOf(world, only)) {
        for (const [name, factor] of [
          ['StreamExpress', 0.6],
          ['ZeroBias', 1],
        ] as const) {
          const rate = Math.round(world.conditions(run, ls).hltZeroBiasRate * factor * 100) / 100;
          yield {
            id: `${run}_${ls}_${name}`,
            attributes: {
              run_number: run,
              first_lumisection_number: ls,
              last_lumisection_number: ls,
              dataset_name: name,
              rate,
              events: Math.round(rate * LS_SECONDS),
            },
          };
        }
      }
    },
  },
};

const FILTER = /^filter\[([^\]]+)\]\[([A-Z]+)\]$/;

function like(pattern: string, value: string): boolean {
  const rx = new RegExp(
    `^${pattern
      .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
      .replace(/%/g, '.*')
      .replace(/_/g, '.')}$`,
    's',
  );
  return rx.test(value);
}

function matches(attr: unknown, op: string, raw: string): boolean {
  if (typeof attr === 'number') {
    const v = Number(raw);
    if (!Number.isFinite(v)) throw djangoServerError();
    return op === 'EQ'
      ? attr === v
      : op === 'NEQ'
        ? attr !== v
        : op === 'LT'
          ? attr < v
          : op === 'GT'
            ? attr > v
            : op === 'LE'
              ? attr <= v
              : op === 'GE'
                ? attr >= v
                : like(raw, String(attr));
  }
  const text = typeof attr === 'boolean' ? String(attr) : String(attr ?? '');
  const v = typeof attr === 'boolean' ? raw.toLowerCase() : raw;
  if (op === 'EQ') return text === v;
  if (op === 'NEQ') return text !== v;
  if (op === 'LIKE') return like(v, text);
  return op === 'LT' ? text < v : op === 'GT' ? text > v : op === 'LE' ? text <= v : text >= v;
}

/** Numbers OMS (and DIALS re-encoding them) writes as floats. */
export const OMS_FLOAT_KEYS = new Set([
  'pileup',
  'delivered_lumi_per_lumisection',
  'recorded_lumi_per_lumisection',
  'rate',
  'b_field',
  'delivered_lumi',
  'recorded_lumi',
]);

/** The proxied OMS document for one request (throws the 500 DIALS sends for anything OMS refuses). */
export function omsQuery(world: World, params: URLSearchParams): Record<string, unknown> {
  const endpoint = params.get('endpoint');
  if (endpoint === null) throw djangoServerError(); // params.pop("endpoint") → KeyError
  const resource = RESOURCES[endpoint.replace(/\/+$/, '')];
  if (!resource) throw djangoServerError(); // OMS 404 → raise_for_status → unhandled
  const filters: Array<[string, string, string]> = [];
  for (const [k, v] of params) {
    const m = FILTER.exec(k);
    if (!m) continue;
    if (!['EQ', 'NEQ', 'LT', 'GT', 'LE', 'GE', 'LIKE'].includes(m[2])) throw djangoServerError();
    filters.push([m[1], m[2], v]);
  }
  const granularity = params.get('group[granularity]') ?? 'lumisection';
  const limitRaw = params.get('page[limit]');
  const offsetRaw = params.get('page[offset]');
  const limit = limitRaw === null ? OMS_DEFAULT_LIMIT : Number(limitRaw);
  const offset = offsetRaw === null ? 0 : Number(offsetRaw);
  if (!Number.isInteger(limit) || limit < 1 || !Number.isInteger(offset) || offset < 0) throw djangoServerError();

  const runEq = filters.filter(([a, op]) => a === 'run_number' && op === 'EQ').map(([, , v]) => Number(v));
  const only = runEq.length ? [...new Set(runEq)] : null;
  let rows: Array<{ id: string; attributes: Attributes }> = [];
  for (const row of resource.rows(world, granularity, only)) {
    let ok = true;
    for (const [attr, op, value] of filters) {
      if (!(attr in row.attributes)) throw djangoServerError(); // OMS: 400 unknown attribute
      if (!matches(row.attributes[attr], op, value)) {
        ok = false;
        break;
      }
    }
    if (ok) rows.push(row);
  }
  const sort = params.get('sort');
  if (sort) {
    const keys = sort
      .split(',')
      .filter(Boolean)
      .map((s) => (s.startsWith('-') ? { k: s.slice(1), dir: -1 } : { k: s, dir: 1 }));
    rows = rows.sort((a, b) => {
      for (const { k, dir } of keys) {
        const x = a.attributes[k] as any;
        const y = b.attributes[k] as any;
        if (x !== y) return (x < y ? -1 : 1) * dir;
      }
      return 0;
    });
  }
  const total = rows.length;
  const fields = params.get('fields');
  const keep = fields ? new Set(fields.split(',')) : null;
  const page = rows.slice(offset, offset + limit).map((r) => ({
    id: r.id,
    type: resource.type,
    attributes: keep ? Object.fromEntries(Object.entries(r.attributes).filter(([k]) => keep.has(k))) : r.attributes,
    links: { self: `${OMS_API}/${resource.type}/${r.id}` },
  }));
  const forwarded = [...params].filter(([k]) => k !== 'endpoint' && k !== 'page[offset]' && k !== 'page[limit]');
  const link = (o: number) => {
    const q = new URLSearchParams([...forwarded, ['page[offset]', String(o)], ['page[limit]', String(limit)]]);
    return `${OMS_API}/${endpoint}/?${q.toString()}`;
  };
  const last = total === 0 ? 0 : Math.floor((total - 1) / limit) * limit;
  return {
    data: page,
    links: {
      first: link(0),
      prev: offset > 0 ? link(Math.max(0, offset - limit)) : null,
      self: link(offset),
      next: offset + limit < total ? link(offset + limit) : null,
      last: link(last),
    },
    meta: { totalResourceCount: total },
  };
}
