import path from 'node:path';
import type {
  DialsAccount,
  DialsFetchManifest,
  DialsFetchProgress,
  DialsFetchRequest,
  DialsModel,
  DialsProductionFlags,
  DialsProjectData,
  DialsSignInEvent,
  TemplateMe,
} from '@/shared/api/contract/dials';
import type { JobSnapshotOf } from '@/shared/api/contract/job-kinds';
import { ApiError } from '@/shared/api/errors';
import type { RunSelection } from '@/shared/dials/run-selection';
import { PRESET_FILE_NAME } from '@/shared/preset/model-preset';
import { isInside } from '../fs/paths';
import type { JobManager } from '../jobs/job-manager';
import { loadPresetFile } from '../pipeline/preset-io';
import type { AppSettingsStore } from '../projects/app-settings';
import { DialsConnection, type ConnectionOptions } from './dials-connection';
import { DialsError } from './dials-errors';
import { loadDialsTarget } from './dials-instance';
import { DEFAULT_CONCURRENCY, DEFAULT_PAGE_SIZE, runDialsFetch } from './fetch-job';
import { projectDialsData, projectFetchFolder, readManifest } from './fetch-folder';
import { hltSelection, type HltSelection } from './oms-fetch';
import { readTemplateText, templateHltRegex, templateMesOf } from './template-mes';

/** The MEs a fetch takes from the template: the ticked ones, each of which must be in its InputSignature. */
export function selectMes(all: TemplateMe[], ticked: string[] | undefined, template: string): TemplateMe[] {
  if (!ticked) return all;
  const unknown = ticked.filter((m) => !all.some((t) => t.me === m));
  if (unknown.length)
    throw new DialsError(
      'DIALS_BAD_REQUEST',
      `${unknown.join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not in the InputSignature of ${template} (it has ${all.map((t) => t.me).join(', ')}).`,
    );
  return all.filter((t) => ticked.includes(t.me));
}

/** The HLT paths to fetch: the project preset's HLT cut, or else the template's hltpathrates filter. */
export async function hltForProject(projectDir: string | null, templateText: string): Promise<HltSelection | null> {
  let glob: string | null = null;
  if (projectDir) {
    try {
      glob = (await loadPresetFile(path.join(projectDir, PRESET_FILE_NAME))).preset.filters.hlt?.triggerGlob ?? null;
    } catch {
      glob = null; // no or no valid preset: the template decides
    }
  }
  return hltSelection(glob, templateHltRegex(templateText));
}

export interface DialsServiceOptions extends Partial<Pick<ConnectionOptions, 'retry' | 'timeoutMs' | 'sleep' | 'now'>> {
  pageSize?: number;
  concurrency?: number;
  pollIntervalS?: number;
}

/** DIALS for the app: per project its instance (the Export step's choice), sign-in jobs, fetch jobs, production flags. */
export class DialsService {
  private readonly signInEvents = new Map<string, Array<{ seq: number; event: DialsSignInEvent }>>();

  constructor(
    private readonly deps: { jobs: JobManager; settings: AppSettingsStore; userDataDir: string; version: string },
    private readonly opts: DialsServiceOptions = {},
  ) {}

  connection(instance: string): DialsConnection {
    return new DialsConnection(instance, { userDataDir: this.deps.userDataDir, ...this.opts });
  }

  async projectConnection(projectDir: string): Promise<DialsConnection> {
    return this.connection((await loadDialsTarget(this.deps.settings, projectDir)).url);
  }

  async account(projectDir: string): Promise<DialsAccount> {
    return (await this.projectConnection(projectDir)).account();
  }

  async signIn(projectDir: string): Promise<JobSnapshotOf<'dials.sign-in'>> {
    const conn = await this.projectConnection(projectDir);
    const running = this.deps.jobs.list({ kind: 'dials.sign-in', scope: projectDir }).find((j) => j.state === 'running');
    if (running) return running as JobSnapshotOf<'dials.sign-in'>;
    const events: Array<{ seq: number; event: DialsSignInEvent }> = [];
    const job = this.deps.jobs.start({
      kind: 'dials.sign-in',
      title: `Sign in to DIALS (${conn.instance})`,
      scope: projectDir,
      run: async (job) => {
        const emit = (event: DialsSignInEvent) => {
          events.push({ seq: events.length + 1, event });
          job.chunk(event);
        };
        job.progress(null, 'Asking DIALS for a sign-in code…');
        const account = await conn.signIn({
          signal: job.signal,
          pollIntervalS: this.opts.pollIntervalS,
          onDevice: (d) => {
            emit({ type: 'device', url: d.url, userCode: d.userCode, expiresAt: new Date(d.expiresAt).toISOString() });
            job.log(`Open ${d.url} and approve the sign-in${d.userCode ? ` (code ${d.userCode})` : ''}.`);
            job.progress(null, 'Waiting for you to approve the sign-in in the browser…');
          },
        });
        emit({ type: 'signed-in', user: account.user });
        job.log(`Signed in to ${conn.instance}${account.user ? ` as ${account.user}` : ''}.`);
        return account;
      },
    });
    this.signInEvents.set(job.id, events);
    if (this.signInEvents.size > 20) this.signInEvents.delete(this.signInEvents.keys().next().value!);
    return job;
  }

  signInEventsOf(jobId: string): Array<{ seq: number; event: DialsSignInEvent }> {
    return [...(this.signInEvents.get(jobId) ?? [])];
  }

  async signOut(projectDir: string): Promise<DialsAccount> {
    const conn = await this.projectConnection(projectDir);
    await conn.signOut();
    return conn.account();
  }

  private templateFile(projectDir: string, template: string): string {
    const file = path.resolve(projectDir, template);
    if (!isInside(projectDir, file))
      throw new ApiError('INVALID_INPUT', `The template ${template} is not inside the project folder.`, undefined, 'InvalidInputError');
    return file;
  }

  async templateMes(projectDir: string, template: string): Promise<TemplateMe[]> {
    const file = this.templateFile(projectDir, template);
    return templateMesOf(await readTemplateText(file), file);
  }

  async datasets(projectDir: string, query: string, workspace?: string) {
    return (await this.projectConnection(projectDir)).datasets(query, workspace ?? null);
  }

  async models(projectDir: string, workspace?: string): Promise<DialsModel[]> {
    const ws = workspace ?? (await readManifest(projectFetchFolder(projectDir)).catch(() => null))?.workspace ?? null;
    return (await this.projectConnection(projectDir)).models(ws);
  }

  projectData(projectDir: string): Promise<DialsProjectData> {
    return projectDialsData(projectDir);
  }

  async flags(projectDir: string, modelId: number): Promise<DialsProductionFlags> {
    const folder = projectFetchFolder(projectDir);
    const manifest = await readManifest(folder);
    if (!manifest)
      throw new DialsError('DIALS_NO_FETCH', 'Fetch sample maps from DIALS first: the production flags are asked for the fetched runs.');
    // From the instance the data came from, whatever the project's choice is now.
    return this.connection(manifest.instance).flagsForFetch(folder, manifest, modelId);
  }

  async fetch(request: DialsFetchRequest): Promise<JobSnapshotOf<'dials.fetch'>> {
    const projectDir = request.projectDir;
    if (this.deps.jobs.list({ kind: 'dials.fetch', scope: projectDir }).some((j) => j.state === 'running'))
      throw new ApiError('BUSY', 'A DIALS fetch is already running for this project; wait for it or cancel it.', undefined, 'BusyError');
    const templateFile = this.templateFile(projectDir, request.template);
    const text = await readTemplateText(templateFile);
    const mes = selectMes(templateMesOf(text, templateFile), request.mes, request.template);
    const hlt = await hltForProject(projectDir, text);
    const conn = await this.projectConnection(projectDir);
    const folder = projectFetchFolder(projectDir);
    return this.deps.jobs.start({
      kind: 'dials.fetch',
      title: `Fetch ${request.dataset} from DIALS`,
      scope: projectDir,
      run: (job) =>
        runDialsFetch({
          folder,
          request: {
            dataset: request.dataset,
            runs: request.runs as RunSelection,
            mes,
            ls: request.ls ?? {},
            workspace: request.workspace ?? null,
            template: request.template,
            replace: Boolean(request.replace),
          },
          http: conn.http(request.workspace ?? null, {
            onRetry: (n) =>
              job.log(`${n.route}: ${n.reason}; trying again in ${(n.delayMs / 1000).toFixed(1)} s (retry ${n.attempt})`, 'stderr'),
          }),
          hlt,
          signal: job.signal,
          pageSize: this.opts.pageSize ?? DEFAULT_PAGE_SIZE,
          concurrency: this.opts.concurrency ?? DEFAULT_CONCURRENCY,
          log: (t, s) => job.log(t, s),
          progress: (p, message) => {
            job.progress(fetchFraction(p), message);
            job.chunk(p);
          },
          replaceHint: 'confirm',
          createdBy: `DISM Studio ${this.deps.version}`,
          now: this.opts.now,
        }),
    });
  }
}

/** The job's progress bar: the maps are most of the work. */
export function fetchFraction(p: DialsFetchProgress): number | null {
  if (p.phase === 'plan') return null;
  const maps = p.pagesTotal ? p.pagesDone / p.pagesTotal : 0;
  if (p.phase === 'maps') return 0.9 * maps;
  if (p.phase === 'oms') return 0.9;
  if (p.phase === 'hlt') return 0.94;
  return 0.97;
}

export type { DialsFetchManifest };
