/**
 * TEST STAND-IN: fault injection for the DIALS API stand-in. A rule matches requests by route id
 * (`th2`, `th2:list`, `auth:device-token`, `*`…), lets `skip` matching requests through, then fires on
 * the next `times` ones. Faults model what sits in front of DIALS (gateway errors, dropped
 * connections, slowness) and what a broken deployment could send (records that break the schema).
 */

export type Fault =
  /** Answer with this status before DIALS sees the request (429 with Retry-After, 500, 502, 503, 504…). */
  | { kind: 'status'; status: number; retryAfterS?: number }
  /** Send the status line, headers and part of the body (default half of a page's records), then destroy the socket. */
  | { kind: 'drop-mid-page'; fraction?: number }
  /** Destroy the socket before any byte is sent (connection reset). */
  | { kind: 'reset' }
  /** Wait this long before answering (one slow page). */
  | { kind: 'delay'; ms: number }
  /**
   * Break one record of the response: remove `field`, set it to null, or give it a value of the wrong
   * type (`value` overrides what is sent). `record` is the index in `results` (list) — ignored for
   * detail routes. Applies to JSON object records (lists, details, mes).
   */
  | { kind: 'schema'; field: string; violation: 'missing' | 'null' | 'wrong-type'; value?: unknown; record?: number };

export interface FaultRule {
  /** Route id or resource (`th2` matches `th2:list` and `th2:get`); `*` or omitted: every API route. */
  route?: string;
  fault: Fault;
  /** How many matching requests get the fault (default 1; Infinity for all). */
  times?: number;
  /** Let this many matching requests through first (default 0). */
  skip?: number;
}

export interface ActiveRule extends Required<Omit<FaultRule, 'route'>> {
  id: number;
  route: string;
  /** Requests the rule has fired on. */
  fired: number;
  seen: number;
}

export function routeMatches(rule: string, routeId: string): boolean {
  return rule === '*' || rule === routeId || routeId.startsWith(`${rule}:`);
}

export class Faults {
  private rules: ActiveRule[] = [];
  private nextId = 1;
  /** Latency added to every response of a matching route (per request, i.e. per page), ms. */
  private latencies: Array<{ route: string; ms: number }> = [];
  /** Workspaces whose data routes answer 403 (the user is "not in the e-group"). */
  readonly forbiddenWorkspaces = new Set<string>();

  constructor(latencyMs = 0) {
    if (latencyMs > 0) this.latencies.push({ route: '*', ms: latencyMs });
  }

  /** Add a rule; returns it (its `fired` counter shows how often it was applied). */
  add(rule: FaultRule): ActiveRule {
    const r: ActiveRule = {
      id: this.nextId++,
      route: rule.route ?? '*',
      fault: rule.fault,
      times: rule.times ?? 1,
      skip: rule.skip ?? 0,
      fired: 0,
      seen: 0,
    };
    this.rules.push(r);
    return r;
  }

  /** N responses with `status` (429 gets Retry-After, default 1 s). */
  status(route: string, status: number, times = 1, retryAfterS?: number): ActiveRule {
    return this.add({ route, times, fault: { kind: 'status', status, retryAfterS: retryAfterS ?? (status === 429 ? 1 : undefined) } });
  }

  /** Drop the connection after `fraction` of the page has been written, `times` times. */
  dropMidPage(route: string, times = 1, fraction = 0.5, skip = 0): ActiveRule {
    return this.add({ route, times, skip, fault: { kind: 'drop-mid-page', fraction } });
  }

  reset(route: string, times = 1): ActiveRule {
    return this.add({ route, times, fault: { kind: 'reset' } });
  }

  schema(
    route: string,
    field: string,
    violation: 'missing' | 'null' | 'wrong-type' = 'missing',
    opts: { times?: number; record?: number; value?: unknown } = {},
  ): ActiveRule {
    return this.add({ route, times: opts.times ?? 1, fault: { kind: 'schema', field, violation, record: opts.record, value: opts.value } });
  }

  /** Every response of the route waits `ms` first (0 removes it). */
  setLatency(ms: number, route = '*'): void {
    this.latencies = this.latencies.filter((l) => l.route !== route);
    if (ms > 0) this.latencies.push({ route, ms });
  }

  latencyFor(routeId: string): number {
    return this.latencies.filter((l) => routeMatches(l.route, routeId)).reduce((a, l) => a + l.ms, 0);
  }

  /** 403 for data routes of this workspace (DIALS v1.12.0 lets anyone read any workspace; see README). */
  forbidWorkspace(name: string): void {
    this.forbiddenWorkspaces.add(name);
  }

  clear(): void {
    this.rules = [];
    this.latencies = [];
    this.forbiddenWorkspaces.clear();
  }

  /** Rules still able to fire. */
  active(): ActiveRule[] {
    return this.rules.filter((r) => r.fired < r.times);
  }

  /**
   * The faults a request gets: every matching rule counts the request; the first rule of each kind
   * that is past its `skip` and not used up fires.
   */
  take(routeId: string): Fault[] {
    const out: Fault[] = [];
    const kinds = new Set<string>();
    for (const r of this.rules) {
      if (!routeMatches(r.route, routeId) || r.fired >= r.times) continue;
      r.seen++;
      if (r.seen <= r.skip || kinds.has(r.fault.kind)) continue;
      r.fired++;
      kinds.add(r.fault.kind);
      out.push(r.fault);
    }
    return out;
  }
}

/** Apply a schema fault to a record (in place). */
export function breakRecord(rec: Record<string, unknown>, f: Extract<Fault, { kind: 'schema' }>): void {
  if (f.violation === 'missing') {
    delete rec[f.field];
    return;
  }
  if (f.violation === 'null') {
    rec[f.field] = null;
    return;
  }
  if ('value' in f && f.value !== undefined) {
    rec[f.field] = f.value;
    return;
  }
  const v = rec[f.field];
  rec[f.field] =
    typeof v === 'number'
      ? `${v} (not a number)`
      : typeof v === 'string'
        ? 12345
        : typeof v === 'boolean'
          ? 'yes'
          : v === null
            ? 0
            : typeof v === 'object'
              ? 'not-a-list'
              : 'unexpected';
}
