import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { JobSnapshot } from '@/shared/api/contract';
import { demoTemplateYaml } from '@/backend/demo/demo-template';
import { DialsService, type DialsServiceOptions } from '@/backend/dials/dials-service';
import { JobManager } from '@/backend/jobs/job-manager';
import { AppSettingsStore } from '@/backend/projects/app-settings';
import { pixelBarrelPreset } from '@/shared/preset/pixel-barrel';
import { PRESET_FILE_NAME } from '@/shared/preset/model-preset';
import { startDialsStandIn, type DialsStandIn, type DialsStandInOptions } from '../stand-ins/dials-api/dials-stand-in';

/** Retries without waiting (the delays asked for are recorded), so fault tests run in milliseconds. */
export function fastRetry(delays: number[] = []): Pick<DialsServiceOptions, 'retry' | 'sleep'> {
  return {
    retry: { attempts: 4, baseDelayMs: 10, maxDelayMs: 50, maxRetryAfterMs: 5000 },
    sleep: async (ms, signal) => {
      delays.push(ms);
      signal?.throwIfAborted();
      await new Promise((r) => setTimeout(r, 1));
    },
  };
}

export interface DialsTestWorld {
  dials: DialsStandIn;
  root: string;
  userDataDir: string;
  projectDir: string;
  jobs: JobManager;
  logs: Map<string, string[]>;
  settings: AppSettingsStore;
  service: DialsService;
  /** Sign in without the device flow (a token as the device flow gives it, saved in the cache). */
  signIn(): Promise<void>;
  waitJob(id: string): Promise<JobSnapshot>;
  close(): Promise<void>;
}

/**
 * A project with the demo's template and the "pixel barrel" preset (BPix2–4 of the stand-in's MEs),
 * the DIALS API stand-in as its custom instance, and a DialsService over them.
 */
export async function dialsTestWorld(
  opts: { standIn?: DialsStandInOptions; service?: DialsServiceOptions; template?: (yaml: string) => string; preset?: boolean } = {},
): Promise<DialsTestWorld> {
  const dials = await startDialsStandIn(opts.standIn);
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'dism-dials-test-'));
  const userDataDir = path.join(root, 'user-data');
  const projectDir = path.join(root, 'project');
  await fs.mkdir(projectDir, { recursive: true });
  const preset = pixelBarrelPreset();
  const yaml = demoTemplateYaml(preset);
  await fs.writeFile(path.join(projectDir, 'template.yaml'), opts.template ? opts.template(yaml) : yaml);
  if (opts.preset !== false) await fs.writeFile(path.join(projectDir, PRESET_FILE_NAME), JSON.stringify(preset, null, 2));
  const logs = new Map<string, string[]>();
  const jobs = new JobManager({
    update: () => undefined,
    log: (l) => logs.set(l.jobId, [...(logs.get(l.jobId) ?? []), l.text]),
    chunk: () => undefined,
  });
  const settings = new AppSettingsStore(userDataDir);
  await settings.setProjectSetting(projectDir, 'dismcli.dials', { choice: 'custom', customUrl: dials.url });
  const service = new DialsService({ jobs, settings, userDataDir, version: 'test' }, { ...fastRetry(), ...opts.service });
  return {
    dials,
    root,
    userDataDir,
    projectDir,
    jobs,
    logs,
    settings,
    service,
    async signIn() {
      const conn = service.connection(dials.url);
      const token = dials.auth.issueUserToken() as unknown as Record<string, unknown>;
      const now = Date.now();
      await conn.tokens.save({
        instance: conn.instance,
        tokenType: String(token.token_type),
        accessToken: String(token.access_token),
        refreshToken: String(token.refresh_token),
        expiresAt: now + Number(token.expires_in) * 1000,
        refreshExpiresAt: now + Number(token.refresh_expires_in) * 1000,
        lifetimeS: Number(token.expires_in),
        user: null,
      });
    },
    waitJob: (id) => jobs.wait(id),
    async close() {
      await jobs.cancelAll();
      await dials.close();
      await fs.rm(root, { recursive: true, force: true });
    },
  };
}
