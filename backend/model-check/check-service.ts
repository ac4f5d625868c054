/**
 * The model check as a back-end service (built once by createServices): checks and re-dumps run as
 * jobs found again under the template resource's scope; vendoring and aliases are quick file work.
 */
import path from 'node:path';
import {
  modelCheckScope,
  type ModelCheckReport,
  type RedumpResult,
  type VendorPlan,
  type VendorResult,
} from '@/shared/api/contract/model-check';
import { findTemplates } from '../projects/project-folder';
import type { EngineService } from '../engine/engine-service';
import { containerUserFor } from '../engine/run-container';
import type { JobManager } from '../jobs/job-manager';
import { readTemplate } from '../build-local/template-source';
import { ImageModulesCache } from './image-modules';
import { checkTarget, runModelCheck } from './model-check';
import { addAliases, redumpModel, vendorApply, vendorPlan } from './vendor';

/** Where the per-image module listings are cached. */
export function imageModulesDir(userDataDir: string): string {
  return path.join(userDataDir, 'image-modules');
}

export class ModelCheckService {
  readonly cache: ImageModulesCache;
  constructor(private readonly deps: { jobs: JobManager; engine: EngineService; userDataDir: string }) {
    this.cache = new ImageModulesCache(imageModulesDir(deps.userDataDir));
  }

  private async engineDeps() {
    const docker = await this.deps.engine.client().catch(() => null);
    const status = this.deps.engine.current();
    return { docker, engineAdvice: docker ? undefined : status.advice.join(' '), cache: this.cache, user: containerUserFor(status) };
  }

  async targets(projectDir: string) {
    const out = [];
    for (const rel of await findTemplates(projectDir)) {
      const templateFile = path.join(projectDir, rel);
      try {
        const t = await readTemplate(templateFile);
        out.push({
          templateFile,
          resources: t.resources.map((r) => ({
            key: r.key,
            type: r.type,
            framework: r.framework,
            checkable: typeof r.properties.CodeUri === 'string',
            ...(typeof r.properties.CodeUri === 'string' ? {} : { why: `${r.model} on Triton has no Python code (no CodeUri)` }),
          })),
        });
      } catch (err) {
        out.push({ templateFile, resources: [], error: (err as Error).message });
      }
    }
    return out;
  }

  /** Starts a check job; the target is resolved first so a bad template fails the call, not the job. */
  async start(input: { templateFile: string; resourceKey?: string; image?: string; pull?: boolean }) {
    const t = await checkTarget(input.templateFile, input.resourceKey, input.image);
    const deps = await this.engineDeps();
    return this.deps.jobs.start({
      kind: 'model-check',
      title: `Will DIALS load ${t.resource.key}?`,
      scope: modelCheckScope(t.template.file, t.resource.key),
      run: async (job): Promise<ModelCheckReport> =>
        runModelCheck(deps, {
          ...input,
          resourceKey: t.resource.key,
          signal: job.signal,
          onProgress: (m) => job.progress(null, m),
          onLine: (l) => job.log(l, 'stdout'),
        }),
    });
  }

  async plan(templateFile: string, resourceKey?: string, image?: string): Promise<VendorPlan> {
    return vendorPlan(templateFile, resourceKey, await this.engineDeps(), image);
  }

  async apply(templateFile: string, resourceKey: string | undefined, planId: string, image?: string): Promise<VendorResult> {
    return vendorApply(templateFile, resourceKey, planId, await this.engineDeps(), image);
  }

  async aliases(templateFile: string, resourceKey?: string): Promise<VendorResult> {
    return addAliases(templateFile, resourceKey);
  }

  async redump(input: { templateFile: string; resourceKey?: string; image?: string }) {
    const t = await checkTarget(input.templateFile, input.resourceKey, input.image);
    const deps = await this.engineDeps();
    const docker = await this.deps.engine.client();
    return this.deps.jobs.start({
      kind: 'model-redump',
      title: `Re-dump ${t.resource.key} from the vendored code`,
      scope: modelCheckScope(t.template.file, t.resource.key),
      run: async (job): Promise<RedumpResult> => {
        job.progress(null, `Loading and saving the model again in ${t.image}…`);
        return redumpModel(docker, {
          ...input,
          resourceKey: t.resource.key,
          user: deps.user,
          signal: job.signal,
          onLine: (l) => job.log(l, 'stdout'),
        });
      },
    });
  }
}
