import { closestNames } from '@/shared/template/suggest';
import { DialsError, DialsHttpError } from './dials-errors';
import type { DialsHttp, QueryParams } from './dials-http';
import { badResponse, checkPage, checkRecord, type DialsRecord, type RecordModel } from './records';

/**
 * The DIALS routes DISM Studio reads, with the DIALS Python client's routes, filters and record
 * models, and its cursor pagination: a page's `next` is an absolute URL; like cmsdials' `list_all`
 * we take its `next_token` and ask the instance again with the original filters (never following
 * the URL itself, which carries whatever host the server thought it had).
 */

export interface Page<M extends RecordModel> {
  records: Array<DialsRecord<M>>;
  /** null on the last page. */
  nextToken: string | null;
}

/** `next_token` of a `next` URL (null for the last page). */
export function nextTokenOf(next: string | null, where: string): string | null {
  if (next === null) return null;
  let token: string | null = null;
  try {
    token = new URL(next).searchParams.get('next_token');
  } catch {
    /* reported below */
  }
  if (!token) throw badResponse(`${where}: "next" (${next.slice(0, 120)}) carries no next_token`, { where, field: 'next' });
  return token;
}

export class DialsClient {
  constructor(readonly http: DialsHttp) {}

  /** One page of a paginated list route; every record checked against the client's model. */
  async page<M extends RecordModel>(
    route: string,
    model: M,
    filters: QueryParams,
    nextToken: string | null,
    signal?: AbortSignal,
  ): Promise<Page<M>> {
    const params = { ...filters, ...(nextToken ? { next_token: nextToken } : {}) };
    const where = this.http.describe(route, params);
    const body = checkPage(await this.http.get(route, params, { signal }), where);
    const records = body.results.map((r, i) => checkRecord(model, r, `record ${i + 1} of ${where}`));
    return { records, nextToken: nextTokenOf(body.next, where) };
  }

  /** Every record of a list (small lists only: models, runs, flags). */
  async all<M extends RecordModel>(
    route: string,
    model: M,
    filters: QueryParams,
    signal?: AbortSignal,
    maxPages = 1000,
  ): Promise<Array<DialsRecord<M>>> {
    const out: Array<DialsRecord<M>> = [];
    let token: string | null = null;
    for (let n = 0; n < maxPages; n++) {
      const p: Page<M> = await this.page(route, model, filters, token, signal);
      out.push(...p.records);
      token = p.nextToken;
      if (token === null) return out;
    }
    throw badResponse(`${route} did not end after ${maxPages} pages`, { route });
  }

  /** A dataset of the index by its exact name; unknown: an error with the closest names DIALS has. */
  async dataset(name: string, signal?: AbortSignal): Promise<DialsRecord<'DatasetIndex'>> {
    const exact = await this.page('dataset-index/', 'DatasetIndex', { dataset: name, page_size: 10 }, null, signal);
    const hit = exact.records.find((d) => d.dataset === name);
    if (hit) return hit;
    const primary = name.split('/').filter(Boolean)[0] ?? name;
    const near = await this.page(
      'dataset-index/',
      'DatasetIndex',
      { dataset__regex: primary.replace(/[^A-Za-z0-9]/g, '.'), page_size: 200 },
      null,
      signal,
    ).catch(() => null);
    const closest = closestNames(name, near?.records.map((d) => d.dataset) ?? [], 5);
    throw new DialsError(
      'DIALS_UNKNOWN_DATASET',
      `DIALS (${this.http.workspace ?? 'your default workspace'}) has no dataset "${name}".${closest.length ? ` Closest: ${closest.join(', ')}.` : ''} Pick one from the dataset list.`,
      { dataset: name, closest },
    );
  }

  /** `mes/`: every ME of the workspace (a plain JSON array, not paginated). */
  async mes(signal?: AbortSignal): Promise<Array<DialsRecord<'MonitoringElement'>>> {
    const body = await this.http.get('mes/', {}, { signal });
    if (!Array.isArray(body)) throw badResponse(`mes/ is not a list`, { where: 'mes/' });
    return body.map((r, i) => checkRecord('MonitoringElement', r, `element ${i + 1} of mes/`));
  }

  /** `mes/{dataset_id}/{run_number}/`: the MEs with histograms in the run. */
  async mesOfRun(datasetId: number, run: number, signal?: AbortSignal): Promise<Array<DialsRecord<'RunMonitoringElement'>>> {
    const route = `mes/${datasetId}/${run}/`;
    const body = await this.http.get(route, {}, { signal });
    if (!Array.isArray(body)) throw badResponse(`${route} is not a list`, { where: route });
    return body.map((r, i) => checkRecord('RunMonitoringElement', r, `element ${i + 1} of ${route}`));
  }

  /** `run/{dataset_id}/{run_number}/`, or null when DIALS has no such run in the dataset. */
  async run(datasetId: number, run: number, signal?: AbortSignal): Promise<DialsRecord<'Run'> | null> {
    const route = `run/${datasetId}/${run}/`;
    try {
      return checkRecord('Run', await this.http.get(route, {}, { signal }), route);
    } catch (err) {
      if (err instanceof DialsHttpError && err.status === 404) return null;
      throw err;
    }
  }

  async workspaces(signal?: AbortSignal): Promise<{ workspaces: string[]; default: string | null }> {
    const w = (await this.http.get('auth/workspaces/', {}, { signal, workspace: false })) as { workspaces?: unknown };
    const d = (await this.http.get('auth/user-default-workspace/', {}, { signal, workspace: false })) as { workspace?: unknown };
    if (!Array.isArray(w?.workspaces) || !w.workspaces.every((x) => typeof x === 'string'))
      throw badResponse('auth/workspaces/ has no list "workspaces"', { where: 'auth/workspaces/', field: 'workspaces' });
    return { workspaces: w.workspaces as string[], default: typeof d?.workspace === 'string' ? d.workspace : null };
  }

  /** DIALS's OMS proxy: OMS's JSON:API document for `endpoint` (OMS query syntax, no Workspace). */
  async oms(
    endpoint: string,
    params: QueryParams,
    signal?: AbortSignal,
  ): Promise<{ data: Array<{ attributes: Record<string, unknown> }>; total: number | null }> {
    const where = this.http.describe('oms-proxy/', { endpoint, ...params });
    const body = (await this.http.get('oms-proxy/', { endpoint, ...params }, { signal, workspace: false })) as Record<
      string,
      unknown
    > | null;
    if (!body || typeof body !== 'object' || !Array.isArray(body.data))
      throw badResponse(`${where} has no list "data" (an OMS document)`, { where, field: 'data' });
    const data = body.data.map((d, i) => {
      const a = (d as { attributes?: unknown })?.attributes;
      if (!a || typeof a !== 'object' || Array.isArray(a))
        throw badResponse(`document ${i + 1} of ${where} has no "attributes"`, { where, field: 'attributes' });
      return { attributes: a as Record<string, unknown> };
    });
    const meta = body.meta as { totalResourceCount?: unknown } | undefined;
    return { data, total: typeof meta?.totalResourceCount === 'number' ? meta.totalResourceCount : null };
  }
}
