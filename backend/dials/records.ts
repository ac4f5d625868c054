import { DialsError } from './dials-errors';

/**
 * The record fields of the DIALS Python client (cms-DQM/dials-py 1.5.0, `clients/<resource>/models.py`),
 * checked on every record DIALS sends: a record that does not match is reported with its field —
 * never skipped, never guessed. Extra keys are allowed (pydantic ignores them too).
 */
type FieldType = 'int' | 'number' | 'str' | 'str?' | 'bool' | 'datetime' | 'list[number]' | 'list[list[number]]';

/** What th1/ and th2/ records share: where the map comes from and its x axis. */
const LUMISECTION_HISTOGRAM_FIELDS = {
  dataset: 'str',
  me: 'str',
  dataset_id: 'int',
  file_id: 'int',
  run_number: 'int',
  ls_number: 'int',
  me_id: 'int',
  x_min: 'number',
  x_max: 'number',
  x_bin: 'number',
} as const;

export const RECORD_FIELDS = {
  DatasetIndex: {
    dataset_id: 'int',
    dataset: 'str',
    era: 'str',
    data_tier: 'str',
    primary_ds_name: 'str',
    processed_ds_name: 'str',
    processing_version: 'int',
    last_modification_date: 'datetime',
  },
  Run: { dataset_id: 'int', dataset: 'str', run_number: 'int', ls_count: 'int' },
  Lumisection: { dataset_id: 'int', dataset: 'str', run_number: 'int', ls_number: 'int', th1_count: 'int', th2_count: 'int' },
  MonitoringElement: { me_id: 'int', me: 'str', count: 'int', dim: 'int' },
  /** `mes/{dataset_id}/{run_number}/`: the MEs of a run (no count). */
  RunMonitoringElement: { me_id: 'int', me: 'str', dim: 'int' },
  // x_bin / y_bin are floats in the client's models and integers on the wire: any number, checked as a bin count below.
  LumisectionHistogram1D: {
    ...LUMISECTION_HISTOGRAM_FIELDS,
    entries: 'number',
    data: 'list[number]',
  },
  LumisectionHistogram2D: {
    ...LUMISECTION_HISTOGRAM_FIELDS,
    y_min: 'number',
    y_max: 'number',
    y_bin: 'number',
    entries: 'number',
    data: 'list[list[number]]',
  },
  MLModelsIndex: { model_id: 'int', filename: 'str', target_me: 'str', active: 'bool' },
  MLBadLumisection: {
    model_id: 'int',
    dataset_id: 'int',
    file_id: 'int',
    run_number: 'int',
    ls_number: 'int',
    me_id: 'int',
    mse: 'number',
  },
  Device: { device_code: 'str', verification_uri_complete: 'str', expires_in: 'int' },
  Token: { access_token: 'str', expires_in: 'int', refresh_expires_in: 'int', refresh_token: 'str', token_type: 'str' },
} as const satisfies Record<string, Record<string, FieldType>>;

export type RecordModel = keyof typeof RECORD_FIELDS;

type TypeOf<T extends FieldType> = T extends 'int' | 'number'
  ? number
  : T extends 'str' | 'datetime'
    ? string
    : T extends 'str?'
      ? string | null
      : T extends 'bool'
        ? boolean
        : T extends 'list[number]'
          ? number[]
          : number[][];
type Fields = typeof RECORD_FIELDS;
export type DialsRecord<M extends RecordModel> = { -readonly [K in keyof Fields[M]]: TypeOf<Extract<Fields[M][K], FieldType>> };

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (typeof v === 'string') return `the text ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

/** Why `v` is not of type `t` (null when it is). Lists of numbers are checked to the last element. */
function mismatch(v: unknown, t: FieldType): string | null {
  switch (t) {
    case 'int':
      return typeof v === 'number' && Number.isInteger(v) ? null : `expected an integer, got ${describe(v)}`;
    case 'number':
      return typeof v === 'number' && Number.isFinite(v) ? null : `expected a number, got ${describe(v)}`;
    case 'str':
      return typeof v === 'string' ? null : `expected text, got ${describe(v)}`;
    case 'str?':
      return v === null || typeof v === 'string' ? null : `expected text or null, got ${describe(v)}`;
    case 'bool':
      return typeof v === 'boolean' ? null : `expected true or false, got ${describe(v)}`;
    case 'datetime':
      return typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? null : `expected an ISO date and time, got ${describe(v)}`;
    case 'list[number]': {
      if (!Array.isArray(v)) return `expected a list of numbers, got ${describe(v)}`;
      for (let i = 0; i < v.length; i++) if (typeof v[i] !== 'number') return `element ${i} is ${describe(v[i])}, expected a number`;
      return null;
    }
    case 'list[list[number]]': {
      if (!Array.isArray(v)) return `expected a list of lists of numbers, got ${describe(v)}`;
      for (let i = 0; i < v.length; i++) {
        const row = v[i] as unknown;
        if (!Array.isArray(row)) return `row ${i} is ${describe(row)}, expected a list of numbers`;
        for (let j = 0; j < row.length; j++)
          if (typeof row[j] !== 'number') return `bin [${i}][${j}] is ${describe(row[j])}, expected a number`;
      }
      return null;
    }
  }
}

/**
 * Check one record against the client's model; `where` says which answer it came from (route and
 * position), for the message. Returns the record typed.
 */
export function checkRecord<M extends RecordModel>(model: M, record: unknown, where: string): DialsRecord<M> {
  if (!record || typeof record !== 'object' || Array.isArray(record))
    throw badResponse(`${where} is ${describe(record)}, expected a ${model} record`, { model, where });
  const fields = RECORD_FIELDS[model] as Record<string, FieldType>;
  const r = record as Record<string, unknown>;
  for (const [field, type] of Object.entries(fields)) {
    if (!(field in r))
      throw badResponse(`${where} has no field "${field}" (a ${model} record has ${Object.keys(fields).join(', ')})`, {
        model,
        where,
        field,
      });
    const problem = mismatch(r[field], type);
    if (problem) throw badResponse(`${where}: field "${field}" ${problem}`, { model, where, field });
  }
  return record as DialsRecord<M>;
}

export function badResponse(what: string, details: Record<string, unknown>): DialsError {
  return new DialsError(
    'DIALS_BAD_RESPONSE',
    `DIALS sent something DISM Studio does not understand: ${what}. Nothing was skipped: the download stopped here and what was saved before is kept. If DIALS changed its API, update DISM Studio; otherwise report it to the DIALS team.`,
    details,
  );
}

/** A paginated list body: `{next, previous, results}`. */
export function checkPage(body: unknown, where: string): { next: string | null; results: unknown[] } {
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw badResponse(`${where} is ${describe(body)}, expected a page {next, previous, results}`, { where });
  const b = body as Record<string, unknown>;
  if (!Array.isArray(b.results))
    throw badResponse(`${where} has no list "results" (got ${describe(b.results)})`, { where, field: 'results' });
  if (b.next !== null && typeof b.next !== 'string')
    throw badResponse(`${where}: field "next" is ${describe(b.next)}, expected a URL or null`, { where, field: 'next' });
  return { next: (b.next as string | null) ?? null, results: b.results };
}
