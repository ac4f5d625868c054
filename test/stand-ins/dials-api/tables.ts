/**
 * TEST STAND-IN: DIALS's list endpoints as ordered tables with their django-filter filters
 * (cms-DQM/dials v1.12.0, backend/<app>/filters.py), record fields in the order DRF serializes them
 * (primary key first, then the declared `dataset`/`me` name fields, then the model fields), and the
 * ordering the cursor pagination runs on (each viewset's composite primary key).
 */
import { walkLevels, walkSorted, type KeyedRow } from './cursor';
import { djangoServerError, filterErrors } from './responses';
import type { DatasetDef, MeDef, WorkspaceDef, World } from './world';

export type FilterKind = 'number' | 'numberIn' | 'string' | 'regex' | 'bool';

/** Query parameters a table accepts (django-filter ignores every other parameter, silently). */
export interface FilterSpec {
  param: string;
  kind: FilterKind;
}

export type FilterValues = Map<string, number | number[] | string | RegExp | boolean>;

const NUMBER = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/;

/** Validate and convert filters like django-filter: bad numbers → 400 `{"param": ["Enter a number."]}`. */
export function parseFilters(params: URLSearchParams, specs: FilterSpec[]): FilterValues {
  const values: FilterValues = new Map();
  const errors: Record<string, string[]> = {};
  for (const { param, kind } of specs) {
    const all = params.getAll(param);
    if (!all.length) continue;
    const raw = all[all.length - 1]; // QueryDict.get: the last value wins
    if (raw === '') continue; // an empty value is no filter
    if (kind === 'number') {
      if (!NUMBER.test(raw)) errors[param] = ['Enter a number.'];
      else values.set(param, Number(raw));
    } else if (kind === 'numberIn') {
      const items = raw.split(',').filter((x) => x !== '');
      if (items.some((x) => !NUMBER.test(x))) errors[param] = ['Enter a number.'];
      else values.set(param, items.map(Number));
    } else if (kind === 'bool') {
      if (['true', 'True', '1'].includes(raw)) values.set(param, true);
      else if (['false', 'False', '0'].includes(raw)) values.set(param, false);
      // anything else: NullBooleanField → None → not filtered
    } else if (kind === 'regex') {
      try {
        values.set(param, new RegExp(raw));
      } catch {
        // PostgreSQL rejects the pattern when the query runs: an unhandled DataError, a 500 page.
        throw djangoServerError();
      }
    } else values.set(param, raw);
  }
  if (Object.keys(errors).length) throw filterErrors(errors);
  return values;
}

export type Rec = Record<string, unknown>;

export interface TableRow extends KeyedRow {
  /** The record; `fields` (from `fields=`) lets histogram rows skip drawing a map nobody asked for. */
  record(fields?: ReadonlySet<string> | null): Rec;
}

export interface TableCtx {
  world: World;
  ws: WorkspaceDef;
  f: FilterValues;
}

export interface Table {
  /** The first path segment under /api/v1/. */
  resource: string;
  /** The Django model name in "No <model> matches the given query." */
  model: string;
  /** The ordering fields (the cursor position holds one value per field). */
  ordering: string[];
  filters: FilterSpec[];
  /** Fields written as Python floats. */
  floatKeys: ReadonlySet<string>;
  paginated: boolean;
  rows(ctx: TableCtx, position: number[] | null, reverse: boolean): Iterable<TableRow>;
  /** The object of a detail route, or null (404); `ids` are the route's integers. */
  get?(world: World, ws: WorkspaceDef, ids: number[]): Rec | null;
}

// ───────────────────────────── shared filter logic ─────────────────────────────

const num = (f: FilterValues, k: string) => f.get(k) as number | undefined;
const nums = (f: FilterValues, k: string) => f.get(k) as number[] | undefined;
const str = (f: FilterValues, k: string) => f.get(k) as string | undefined;
const re = (f: FilterValues, k: string) => f.get(k) as RegExp | undefined;

/** exact / lte / gte / in on one integer field. */
function numberOk(f: FilterValues, field: string, v: number): boolean {
  const eq = num(f, field);
  if (eq !== undefined && v !== eq) return false;
  const lte = num(f, `${field}__lte`);
  if (lte !== undefined && v > lte) return false;
  const gte = num(f, `${field}__gte`);
  if (gte !== undefined && v < gte) return false;
  const inn = nums(f, `${field}__in`);
  if (inn !== undefined && !inn.includes(v)) return false;
  return true;
}

function textOk(f: FilterValues, field: string, v: string): boolean {
  const eq = str(f, field);
  if (eq !== undefined && v !== eq) return false;
  const rx = re(f, `${field}__regex`);
  if (rx !== undefined && !rx.test(v)) return false;
  return true;
}

/** Datasets passing dataset_id(+__in) and dataset(+__regex), ordered by id. */
function datasetsOf(ctx: TableCtx): DatasetDef[] {
  return ctx.ws.datasets
    .filter((d) => numberOk(ctx.f, 'dataset_id', d.datasetId) && textOk(ctx.f, 'dataset', d.dataset))
    .sort((a, b) => a.datasetId - b.datasetId);
}

const spec = (kind: FilterKind, ...params: string[]): FilterSpec[] => params.map((param) => ({ param, kind }));
const DATASET_FILTERS = [...spec('string', 'dataset'), ...spec('regex', 'dataset__regex')];
const ME_FILTERS = [...spec('string', 'me'), ...spec('regex', 'me__regex')];
const LFN_FILTERS = [...spec('string', 'logical_file_name'), ...spec('regex', 'logical_file_name__regex')];

function datasetOfId(ws: WorkspaceDef, id: number): DatasetDef {
  return ws.datasets.find((d) => d.datasetId === id)!;
}

// ───────────────────────────── record builders ─────────────────────────────

export function datasetRecord(d: DatasetDef): Rec {
  return {
    dataset_id: d.datasetId,
    dataset: d.dataset,
    era: d.era,
    data_tier: d.dataTier,
    primary_ds_name: d.primaryDsName,
    processed_ds_name: d.processedDsName,
    processing_version: d.processingVersion,
    last_modification_date: d.lastModificationDate,
  };
}

export function histRecord(
  world: World,
  ws: WorkspaceDef,
  d: DatasetDef,
  run: number,
  ls: number,
  m: MeDef,
  fields?: ReadonlySet<string> | null,
): Rec {
  const needed = !fields || fields.has('entries') || fields.has('data');
  const h = needed ? world.content(ws, d, run, ls, m) : { entries: 0, data: null };
  const head = {
    dataset_id: d.datasetId,
    dataset: d.dataset,
    me: m.me,
    file_id: world.fileOf(d, run, ls).fileId,
    run_number: run,
    ls_number: ls,
    me_id: m.meId,
    x_min: m.xMin,
    x_max: m.xMax,
    x_bin: m.xBins,
  };
  return m.dim === 2
    ? { ...head, y_min: m.yMin, y_max: m.yMax, y_bin: m.yBins, entries: h.entries, data: h }
    : { ...head, entries: h.entries, data: h };
}

/** The `fields=` parameter as a set (null when absent or empty). */
export function fieldSet(fields: string | null): ReadonlySet<string> | null {
  return fields ? new Set(fields.split(',')) : null;
}

function lumisectionRecord(world: World, ws: WorkspaceDef, d: DatasetDef, run: number, ls: number): Rec {
  const r = world.runOf(d, run)!;
  return {
    dataset_id: d.datasetId,
    dataset: d.dataset,
    run_number: run,
    ls_number: ls,
    th1_count: world.mesInRun(ws, r, 1).length,
    th2_count: world.mesInRun(ws, r, 2).length,
  };
}

// ───────────────────────────── tables ─────────────────────────────

const HIST_FLOATS = new Set(['x_min', 'x_max', 'y_min', 'y_max']);

function histTable(resource: 'th1' | 'th2'): Table {
  const dim = resource === 'th1' ? 1 : 2;
  return {
    resource,
    model: resource.toUpperCase(),
    ordering: ['dataset_id', 'run_number', 'ls_number', 'me_id'],
    filters: [
      ...spec(
        'number',
        'dataset_id',
        'file_id',
        'run_number',
        'run_number__lte',
        'run_number__gte',
        'ls_number',
        'ls_number__lte',
        'ls_number__gte',
        'me_id',
        'entries__gte',
      ),
      ...DATASET_FILTERS,
      ...LFN_FILTERS,
      ...ME_FILTERS,
    ],
    floatKeys: HIST_FLOATS,
    paginated: true,
    *rows(ctx, position, reverse) {
      const { world, ws, f } = ctx;
      const datasets = datasetsOf(ctx);
      const mes = ws.mes.filter((m) => m.dim === dim && numberOk(f, 'me_id', m.meId) && textOk(f, 'me', m.me));
      const fileFilter =
        num(f, 'file_id') !== undefined || str(f, 'logical_file_name') !== undefined || re(f, 'logical_file_name__regex') !== undefined;
      const entriesGte = num(f, 'entries__gte');
      const levels = [
        () => datasets.map((d) => d.datasetId),
        ([ds]: number[]) =>
          datasetOfId(ws, ds)
            .runs.filter((r) => numberOk(f, 'run_number', r.run))
            .map((r) => r.run),
        ([ds, run]: number[]) => {
          const d = datasetOfId(ws, ds);
          const r = world.runOf(d, run)!;
          const lo = Math.max(1, Math.ceil(num(f, 'ls_number__gte') ?? 1));
          const hi = Math.min(r.lsCount, Math.floor(num(f, 'ls_number__lte') ?? r.lsCount));
          const out: number[] = [];
          for (let ls = lo; ls <= hi; ls++) {
            if (!numberOk(f, 'ls_number', ls)) continue;
            if (fileFilter) {
              const file = world.fileOf(d, run, ls);
              if (!numberOk(f, 'file_id', file.fileId) || !textOk(f, 'logical_file_name', file.logicalFileName)) continue;
            }
            out.push(ls);
          }
          return out;
        },
        ([ds, run]: number[]) => {
          const r = world.runOf(datasetOfId(ws, ds), run)!;
          return mes.filter((m) => !r.missingMeIds.has(m.meId)).map((m) => m.meId);
        },
      ];
      for (const key of walkLevels(levels, position, reverse)) {
        const [ds, run, ls, meId] = key;
        const d = datasetOfId(ws, ds);
        const m = world.me(ws, meId);
        if (entriesGte !== undefined && world.content(ws, d, run, ls, m).entries < entriesGte) continue;
        yield { key, record: (fields) => histRecord(world, ws, d, run, ls, m, fields) };
      }
    },
    get(world, ws, [ds, run, ls, meId]) {
      const d = ws.datasets.find((x) => x.datasetId === ds);
      const r = d && world.runOf(d, run);
      const m = ws.mes.find((x) => x.meId === meId && x.dim === dim);
      if (!d || !r || !m || ls < 1 || ls > r.lsCount || r.missingMeIds.has(meId)) return null;
      return histRecord(world, ws, d, run, ls, m);
    },
  };
}

const lumisectionTable: Table = {
  resource: 'lumisection',
  model: 'Lumisection',
  ordering: ['dataset_id', 'run_number', 'ls_number'],
  filters: [
    ...spec('number', 'dataset_id', 'run_number', 'run_number__lte', 'run_number__gte', 'ls_number', 'ls_number__lte', 'ls_number__gte'),
    ...DATASET_FILTERS,
  ],
  floatKeys: new Set(),
  paginated: true,
  *rows(ctx, position, reverse) {
    const { world, ws, f } = ctx;
    const datasets = datasetsOf(ctx);
    const levels = [
      () => datasets.map((d) => d.datasetId),
      ([ds]: number[]) =>
        datasetOfId(ws, ds)
          .runs.filter((r) => numberOk(f, 'run_number', r.run))
          .map((r) => r.run),
      ([ds, run]: number[]) => {
        const r = world.runOf(datasetOfId(ws, ds), run)!;
        const out: number[] = [];
        for (let ls = 1; ls <= r.lsCount; ls++) if (numberOk(f, 'ls_number', ls)) out.push(ls);
        return out;
      },
    ];
    for (const key of walkLevels(levels, position, reverse)) {
      const [ds, run, ls] = key;
      yield { key, record: () => lumisectionRecord(world, ws, datasetOfId(ws, ds), run, ls) };
    }
  },
  get(world, ws, [ds, run, ls]) {
    const d = ws.datasets.find((x) => x.datasetId === ds);
    const r = d && world.runOf(d, run);
    if (!d || !r || ls < 1 || ls > r.lsCount) return null;
    return lumisectionRecord(world, ws, d, run, ls);
  },
};

const runRecord = (d: DatasetDef, run: number, lsCount: number): Rec => ({
  dataset_id: d.datasetId,
  dataset: d.dataset,
  run_number: run,
  ls_count: lsCount,
});

const runTable: Table = {
  resource: 'run',
  model: 'Run',
  ordering: ['dataset_id', 'run_number'],
  filters: [
    ...spec('number', 'dataset_id', 'run_number', 'run_number__lte', 'run_number__gte'),
    ...spec('numberIn', 'dataset_id__in'),
    ...DATASET_FILTERS,
  ],
  floatKeys: new Set(),
  paginated: true,
  *rows(ctx, position, reverse) {
    const rows = datasetsOf(ctx).flatMap((d) =>
      d.runs
        .filter((r) => numberOk(ctx.f, 'run_number', r.run))
        .map((r) => ({ key: [d.datasetId, r.run], record: () => runRecord(d, r.run, r.lsCount) })),
    );
    yield* walkSorted(rows, position, reverse);
  },
  get(world, ws, [ds, run]) {
    const d = ws.datasets.find((x) => x.datasetId === ds);
    const r = d && world.runOf(d, run);
    return d && r ? runRecord(d, run, r.lsCount) : null;
  },
};

const datasetIndexTable: Table = {
  resource: 'dataset-index',
  model: 'DatasetIndex',
  ordering: ['dataset_id'],
  filters: DATASET_FILTERS,
  floatKeys: new Set(),
  paginated: true,
  *rows(ctx, position, reverse) {
    yield* walkSorted(
      datasetsOf(ctx).map((d) => ({ key: [d.datasetId], record: () => datasetRecord(d) })),
      position,
      reverse,
    );
  },
  get(_world, ws, [ds]) {
    const d = ws.datasets.find((x) => x.datasetId === ds);
    return d ? datasetRecord(d) : null;
  },
};

const fileRecord = (d: DatasetDef, file: DatasetDef['files'][number]): Rec => ({
  dataset_id: d.datasetId,
  dataset: d.dataset,
  file_id: file.fileId,
  file_size: file.fileSize,
  creation_date: file.creationDate,
  last_modification_date: file.creationDate,
  logical_file_name: file.logicalFileName,
  status: file.status,
  err_trace: file.errTrace,
});

const fileIndexTable: Table = {
  resource: 'file-index',
  model: 'FileIndex',
  ordering: ['dataset_id', 'file_id'],
  filters: [...spec('number', 'dataset_id', 'min_size'), ...spec('string', 'status'), ...LFN_FILTERS, ...DATASET_FILTERS],
  floatKeys: new Set(),
  paginated: true,
  *rows(ctx, position, reverse) {
    const { f } = ctx;
    const minSize = num(f, 'min_size');
    const rows = datasetsOf(ctx).flatMap((d) =>
      d.files
        .filter(
          (x) =>
            textOk(f, 'logical_file_name', x.logicalFileName) &&
            (str(f, 'status') === undefined || x.status === str(f, 'status')) &&
            (minSize === undefined || x.fileSize >= minSize),
        )
        .sort((a, b) => a.fileId - b.fileId)
        .map((x) => ({ key: [d.datasetId, x.fileId], record: () => fileRecord(d, x) })),
    );
    yield* walkSorted(rows, position, reverse);
  },
  get(_world, ws, [ds, fileId]) {
    const d = ws.datasets.find((x) => x.datasetId === ds);
    const file = d?.files.find((x) => x.fileId === fileId);
    return d && file ? fileRecord(d, file) : null;
  },
};

const modelRecord = (m: WorkspaceDef['models'][number]): Rec => ({
  model_id: m.modelId,
  filename: m.filename,
  target_me: m.targetMe,
  active: m.active,
});

const modelsTable: Table = {
  resource: 'ml-models-index',
  model: 'MLModelsIndex',
  ordering: ['model_id'],
  filters: [
    ...spec('number', 'model_id'),
    ...spec('numberIn', 'model_id__in'),
    ...spec('string', 'filename', 'target_me'),
    ...spec('regex', 'filename__regex', 'target_me__regex'),
    ...spec('bool', 'active'),
  ],
  floatKeys: new Set(),
  paginated: true,
  *rows(ctx, position, reverse) {
    const { f } = ctx;
    const rows = ctx.ws.models
      .filter(
        (m) =>
          numberOk(f, 'model_id', m.modelId) &&
          textOk(f, 'filename', m.filename) &&
          textOk(f, 'target_me', m.targetMe) &&
          (f.get('active') === undefined || f.get('active') === m.active),
      )
      .sort((a, b) => a.modelId - b.modelId)
      .map((m) => ({ key: [m.modelId], record: () => modelRecord(m) }));
    yield* walkSorted(rows, position, reverse);
  },
  get(_world, ws, [id]) {
    const m = ws.models.find((x) => x.modelId === id);
    return m ? modelRecord(m) : null;
  },
};

const badLumiRecord = (b: WorkspaceDef['badLumis'][number]): Rec => ({
  model_id: b.modelId,
  dataset_id: b.datasetId,
  file_id: b.fileId,
  run_number: b.run,
  ls_number: b.ls,
  me_id: b.meId,
  mse: b.mse,
});

const badLumisTable: Table = {
  resource: 'ml-bad-lumisection',
  model: 'MLBadLumisection',
  ordering: ['model_id', 'dataset_id', 'run_number', 'ls_number', 'me_id'],
  filters: [
    ...spec('number', 'model_id', 'dataset_id', 'me_id', 'run_number', 'ls_number'),
    ...spec('numberIn', 'model_id__in', 'dataset_id__in', 'run_number__in'),
    ...DATASET_FILTERS,
    ...ME_FILTERS,
  ],
  floatKeys: new Set(['mse']),
  paginated: true,
  *rows(ctx, position, reverse) {
    const { ws, f } = ctx;
    const datasets = new Set(datasetsOf(ctx).map((d) => d.datasetId));
    const mes = new Set(ws.mes.filter((m) => textOk(f, 'me', m.me)).map((m) => m.meId));
    const rows = ws.badLumis
      .filter(
        (b) =>
          numberOk(f, 'model_id', b.modelId) &&
          datasets.has(b.datasetId) &&
          numberOk(f, 'me_id', b.meId) &&
          mes.has(b.meId) &&
          numberOk(f, 'run_number', b.run) &&
          numberOk(f, 'ls_number', b.ls),
      )
      .map((b) => ({ key: [b.modelId, b.datasetId, b.run, b.ls, b.meId], record: () => badLumiRecord(b) }));
    yield* walkSorted(rows, position, reverse);
  },
  get(_world, ws, [model, ds, run, ls, me]) {
    const b = ws.badLumis.find((x) => x.modelId === model && x.datasetId === ds && x.run === run && x.ls === ls && x.meId === me);
    return b ? badLumiRecord(b) : null;
  },
};

const mesTable: Table = {
  resource: 'mes',
  model: 'MEs',
  ordering: ['me_id'],
  filters: [...ME_FILTERS, ...spec('number', 'dim')],
  floatKeys: new Set(),
  paginated: false,
  *rows(ctx) {
    const { world, ws, f } = ctx;
    for (const m of [...ws.mes].sort((a, b) => a.meId - b.meId)) {
      if (!textOk(f, 'me', m.me) || !numberOk(f, 'dim', m.dim)) continue;
      yield { key: [m.meId], record: () => ({ me_id: m.meId, me: m.me, count: world.meCount(ws, m), dim: m.dim }) };
    }
  },
  get(world, ws, [id]) {
    const m = ws.mes.find((x) => x.meId === id);
    return m ? { me_id: m.meId, me: m.me, count: world.meCount(ws, m), dim: m.dim } : null;
  },
};

export const TABLES: Record<string, Table> = Object.fromEntries(
  [
    histTable('th1'),
    histTable('th2'),
    lumisectionTable,
    runTable,
    datasetIndexTable,
    fileIndexTable,
    modelsTable,
    badLumisTable,
    mesTable,
  ].map((t) => [t.resource, t]),
);

/** `fields=a,b` (DIALS's FieldsFilterMixin): keep only those keys, in the record's order. */
export function selectFields(rec: Rec, fields: string | null): Rec {
  const keep = fieldSet(fields);
  if (!keep) return rec;
  return Object.fromEntries(Object.entries(rec).filter(([k]) => keep.has(k)));
}
