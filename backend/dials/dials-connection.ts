import path from 'node:path';
import type { z } from 'zod';
import {
  DialsCertJson,
  DialsGoldenJson,
  type DialsAccount,
  type DialsFetchManifest,
  type DialsModel,
  type DialsProductionFlags,
} from '@/shared/api/contract/dials';
import { writeFileAtomic } from '../fs/atomic-write';
import { CachedTokenCredentials, ClientSecretCredentials, deviceSignIn, DialsTokenStore, type DeviceCode } from './dials-auth';
import { DialsClient } from './dials-client';
import { DialsError } from './dials-errors';
import { DialsHttp, type DialsCredentials, type RetryNotice, type RetryPolicy } from './dials-http';
import { PRODUCTION_FILE } from './fetch-folder';
import { badResponse } from './records';

/**
 * One DIALS instance as the app and the CLI use it: its credentials (the cached device sign-in, or
 * a client secret for scripts), HTTP with a workspace, and the small read operations (account,
 * datasets, models, production flags). The fetch itself is fetch-job.ts.
 */

export interface ConnectionOptions {
  userDataDir: string;
  /** A DIALS client secret (the CLI's DIALS_TOKEN): sent as X-CLIENT-SECRET instead of the cached sign-in. */
  clientSecret?: string | null;
  retry?: Partial<RetryPolicy>;
  timeoutMs?: number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
}

export class DialsConnection {
  readonly instance: string;
  readonly tokens: DialsTokenStore;
  readonly credentials: DialsCredentials;
  /** True when the credentials are a client secret (no sign-in, no sign-out). */
  readonly usesClientSecret: boolean;
  private readonly cached: CachedTokenCredentials | null;

  constructor(
    instance: string,
    private readonly opts: ConnectionOptions,
  ) {
    this.instance = instance.replace(/\/+$/, '');
    this.tokens = new DialsTokenStore(opts.userDataDir);
    this.usesClientSecret = Boolean(opts.clientSecret);
    this.cached = opts.clientSecret
      ? null
      : new CachedTokenCredentials(this.instance, this.tokens, this.http(null, { auth: false }), opts.now);
    this.credentials = opts.clientSecret ? new ClientSecretCredentials(opts.clientSecret) : this.cached!;
  }

  /** HTTP to this instance with the connection's credentials (or none, for the auth routes). */
  http(workspace: string | null, extra: { auth?: false; onRetry?: (n: RetryNotice) => void } = {}): DialsHttp {
    return new DialsHttp({
      instance: this.instance,
      credentials: extra.auth === false ? null : this.credentials,
      workspace,
      retry: this.opts.retry,
      timeoutMs: this.opts.timeoutMs,
      sleep: this.opts.sleep,
      onRetry: extra.onRetry,
    });
  }

  client(workspace: string | null, onRetry?: (n: RetryNotice) => void): DialsClient {
    return new DialsClient(this.http(workspace, { onRetry }));
  }

  /** Who is signed in; with a live session also the workspaces (this request refreshes a token about to expire). */
  async account(signal?: AbortSignal): Promise<DialsAccount> {
    const base: DialsAccount = {
      instance: this.instance,
      signedIn: false,
      user: null,
      accessExpiresAt: null,
      sessionExpiresAt: null,
      workspaces: null,
      defaultWorkspace: null,
    };
    let user: string | null;
    if (this.cached) {
      const saved = await this.tokens.load(this.instance);
      if (!saved || (this.opts.now ?? Date.now)() >= saved.refreshExpiresAt) return base;
      user = saved.user;
    } else user = 'client secret (DIALS_TOKEN)';
    try {
      const w = await this.client(null).workspaces(signal);
      const t = this.cached ? await this.tokens.load(this.instance) : null;
      return {
        ...base,
        signedIn: true,
        user: t?.user ?? user,
        accessExpiresAt: t ? new Date(t.expiresAt).toISOString() : null,
        sessionExpiresAt: t ? new Date(t.refreshExpiresAt).toISOString() : null,
        workspaces: w.workspaces,
        defaultWorkspace: w.default,
      };
    } catch (err) {
      if (err instanceof DialsError && err.code === 'DIALS_SIGN_IN_REQUIRED') return base;
      // Offline or DIALS failing: the sign-in is still there; the workspaces are unknown.
      const t = this.cached ? await this.tokens.load(this.instance) : null;
      return {
        ...base,
        signedIn: true,
        user: t?.user ?? user,
        accessExpiresAt: t ? new Date(t.expiresAt).toISOString() : null,
        sessionExpiresAt: t ? new Date(t.refreshExpiresAt).toISOString() : null,
      };
    }
  }

  /** The device flow; the token is saved for this instance once approved. */
  async signIn(opts: {
    signal?: AbortSignal;
    onDevice(d: DeviceCode): void;
    onPending?(): void;
    pollIntervalS?: number;
  }): Promise<DialsAccount> {
    if (this.usesClientSecret)
      throw new DialsError(
        'DIALS_BAD_REQUEST',
        'DIALS_TOKEN (a client secret) is set: requests use it, no sign-in is needed. Unset DIALS_TOKEN to sign in as yourself.',
      );
    const token = await deviceSignIn(this.http(null, { auth: false }), { ...opts, now: this.opts.now, sleep: this.opts.sleep });
    await this.tokens.save(token);
    return this.account(opts.signal);
  }

  /** Forget this instance's tokens (the file is deleted). */
  async signOut(): Promise<boolean> {
    return this.tokens.remove(this.instance);
  }

  async datasets(
    query: string,
    workspace: string | null,
    signal?: AbortSignal,
  ): Promise<Array<{ datasetId: number; dataset: string; era: string }>> {
    const q = query.trim().replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const page = await this.client(workspace).page(
      'dataset-index/',
      'DatasetIndex',
      { ...(q ? { dataset__regex: q } : {}), page_size: 50 },
      null,
      signal,
    );
    return page.records.map((d) => ({ datasetId: d.dataset_id, dataset: d.dataset, era: d.era }));
  }

  async models(workspace: string | null, signal?: AbortSignal): Promise<DialsModel[]> {
    const all = await this.client(workspace).all('ml-models-index/', 'MLModelsIndex', { page_size: 500 }, signal);
    return all.map((m) => ({ modelId: m.model_id, filename: m.filename, targetMe: m.target_me, active: m.active }));
  }

  /** The dataset_id of a dataset name (exact), with the closest names when DIALS has no such dataset. */
  async datasetId(name: string, workspace: string | null, signal?: AbortSignal): Promise<number> {
    return (await this.client(workspace).dataset(name, signal)).dataset_id;
  }

  /** One model's production flags for runs (of a dataset, or of every dataset the model ran on) — ml-bad-lumisection/. */
  async flags(opts: {
    modelId: number;
    datasetId: number | null;
    dataset: string | null;
    runs: number[];
    workspace: string | null;
    signal?: AbortSignal;
  }): Promise<DialsProductionFlags> {
    const models = await this.models(opts.workspace, opts.signal);
    const model = models.find((m) => m.modelId === opts.modelId);
    if (!model)
      throw new DialsError(
        'DIALS_BAD_REQUEST',
        `DIALS (${opts.workspace ?? 'your default workspace'}) has no model ${opts.modelId}. Models: ${models.map((m) => `${m.modelId} ${m.filename}${m.active ? ' (active)' : ''}`).join('; ') || 'none'}.`,
      );
    const records = await this.client(opts.workspace).all(
      'ml-bad-lumisection/',
      'MLBadLumisection',
      { model_id: opts.modelId, dataset_id: opts.datasetId, run_number__in: opts.runs.join(','), page_size: 500 },
      opts.signal,
    );
    const flagged = records
      .map((r) => ({ run: r.run_number, ls: r.ls_number, mse: r.mse, meId: r.me_id, datasetId: r.dataset_id }))
      .sort((a, b) => a.run - b.run || a.ls - b.ls);
    const runs = [...opts.runs].sort((a, b) => a - b);
    // The certification and golden JSON the Python client's cert_json()/golden_json() return; DIALS needs a dataset for them.
    let certJson: DialsCertJson | null = null;
    let goldenJson: DialsGoldenJson | null = null;
    if (opts.datasetId !== null) {
      const params = { model_id__in: String(opts.modelId), dataset_id__in: String(opts.datasetId), run_number__in: runs.join(',') };
      const http = this.http(opts.workspace);
      certJson = checkJson(
        DialsCertJson,
        await http.get('ml-bad-lumisection/cert-json/', params, { signal: opts.signal }),
        http.describe('ml-bad-lumisection/cert-json/', params),
      );
      goldenJson = checkJson(
        DialsGoldenJson,
        await http.get('ml-bad-lumisection/golden-json/', params, { signal: opts.signal }),
        http.describe('ml-bad-lumisection/golden-json/', params),
      );
    }
    return {
      kind: 'dism-studio.dials-production',
      version: 1,
      instance: this.instance,
      workspace: opts.workspace,
      model,
      dataset: opts.dataset,
      datasetId: opts.datasetId,
      runs,
      flagged,
      certJson,
      goldenJson,
      warnings: productionConsistency(flagged, certJson, goldenJson),
      fetchedAt: new Date((this.opts.now ?? Date.now)()).toISOString(),
    };
  }

  /** Production flags for the runs of a fetch, saved next to it. */
  async flagsForFetch(folder: string, manifest: DialsFetchManifest, modelId: number, signal?: AbortSignal): Promise<DialsProductionFlags> {
    const flags = await this.flags({
      modelId,
      datasetId: manifest.datasetId,
      dataset: manifest.dataset,
      runs: manifest.runsFetched,
      workspace: manifest.workspace,
      signal,
    });
    await writeFileAtomic(path.join(folder, PRODUCTION_FILE), `${JSON.stringify(flags, null, 2)}\n`);
    return flags;
  }
}

/** A raw JSON answer checked against its schema; a mismatch names the field (never silently skipped). */
function checkJson<S extends z.ZodTypeAny>(schema: S, body: unknown, where: string): z.infer<S> {
  const r = schema.safeParse(body);
  if (r.success) return r.data as z.infer<S>;
  const issue = r.error.issues[0];
  const field = issue.path.join('.');
  throw badResponse(`${where}${field ? ` at "${field}"` : ''}: ${issue.message}`, { where, field });
}

/**
 * DIALS answers the same question three ways (the list of bad lumisections, the cert JSON, the golden
 * JSON); they come from one table, so a difference means DIALS changed underneath us — said, not hidden.
 */
export function productionConsistency(
  flagged: ReadonlyArray<{ run: number; ls: number }>,
  cert: DialsCertJson | null,
  golden: DialsGoldenJson | null,
): string[] {
  const warnings: string[] = [];
  const listed = new Set(flagged.map((f) => `${f.run}:${f.ls}`));
  if (cert) {
    const inCert = new Set(Object.entries(cert).flatMap(([run, byLs]) => Object.keys(byLs).map((ls) => `${run}:${ls}`)));
    const onlyList = [...listed].filter((k) => !inCert.has(k));
    const onlyCert = [...inCert].filter((k) => !listed.has(k));
    if (onlyList.length || onlyCert.length)
      warnings.push(
        `DIALS's cert JSON and its list of bad lumisections differ (${[
          onlyList.length ? `only in the list: ${onlyList.slice(0, 10).join(', ')}` : '',
          onlyCert.length ? `only in the cert JSON: ${onlyCert.slice(0, 10).join(', ')}` : '',
        ]
          .filter(Boolean)
          .join('; ')}); the list is used.`,
      );
  }
  if (golden) {
    const goodButFlagged = [...listed].filter((k) => {
      const [run, ls] = k.split(':').map(Number);
      return (golden[String(run)] ?? []).some(([a, b]) => ls >= a && ls <= b);
    });
    if (goodButFlagged.length)
      warnings.push(
        `DIALS's golden JSON calls lumisections good that its model flagged (${goodButFlagged.slice(0, 10).join(', ')}); the flags are used.`,
      );
  }
  return warnings;
}
