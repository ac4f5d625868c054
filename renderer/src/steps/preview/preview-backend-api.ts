import type { DismApi } from '@/shared/api/client';
import type { JobSnapshot } from '@/shared/api/contract';
import type { LumisectionResult, LumisectionStages, SampleDataSource } from '@/shared/api/contract/pipeline';
import { ApiError } from '@/shared/api/errors';
import { followJob, isFinished } from '@/renderer/src/api/use-job';
import { decodeArray } from '@/shared/pipeline/encoded-array';
import { PRESET_FILE_NAME } from '@/shared/preset/model-preset';
import { describeSources } from '@/shared/pipeline/sources';
import type { LumisectionStageMaps } from '@/shared/plot/panels';
import type { RunAverageStages } from '@/shared/api/contract/inspect';
import type { PreviewBackend, RunHandlers, StartedRun } from './preview-backend';
import type { TimelineLs } from './timeline/timeline-model';

/** The Preview screen's back end over the typed API (`pipeline.*`, its job followed like every other: api/use-job.ts). */

function toItem(r: LumisectionResult): TimelineLs {
  return {
    index: r.index,
    run: r.run,
    ls: r.ls,
    flaggedBeforeFilter: r.flaggedBeforeFilter,
    flagged: r.flagged,
    passedFilter: r.passedFilter,
    reasons: r.reasons,
    score: r.score,
  };
}

export function decodeStages(
  s: Pick<LumisectionStages | RunAverageStages, 'layers' | 'combined' | 'lossMask' | 'final'>,
): LumisectionStageMaps {
  return {
    layers: s.layers.map((l) => ({
      name: l.name,
      raw: decodeArray(l.raw),
      preprocessed: decodeArray(l.preprocessed),
      reconstruction: decodeArray(l.reconstruction),
      loss: decodeArray(l.loss),
      lossBinary: decodeArray(l.lossBinary),
    })),
    combined: decodeArray(s.combined),
    lossMask: decodeArray(s.lossMask),
    final: decodeArray(s.final),
  };
}

function jobError(s: JobSnapshot): Error {
  if (s.state === 'cancelled') return new ApiError('CANCELLED', 'The preview run was cancelled.');
  const e = s.error;
  return new ApiError(e?.code ?? 'JOB_FAILED', e?.message ?? `The preview run ${s.state}`, e?.details, e?.name ?? 'ApiError');
}

export function createApiPreviewBackend(api: DismApi): PreviewBackend {
  return {
    async start(projectDir: string, handlers: RunHandlers, presetFile?: string, dataSource?: SampleDataSource): Promise<StartedRun> {
      const run = await api.invoke('pipeline.run', {
        projectDir,
        ...(presetFile ? { presetFile } : {}),
        ...(dataSource && dataSource !== 'auto' ? { dataSource } : {}),
      });
      // The results so far stand in for the chunks sent before we followed the job.
      const resultsSoFar = async () => {
        const r = await api.invoke('pipeline.results', { sessionId: run.sessionId });
        return [{ seq: 0, data: { kind: 'lumisections' as const, start: 0, items: r.items } }];
      };
      const done = new Promise<TimelineLs[]>((resolve, reject) => {
        let finished = false;
        const end = (fn: () => void) => {
          if (finished) return;
          finished = true;
          stop();
          fn();
        };
        const stop = followJob(
          api,
          'pipeline.run',
          run.jobId,
          {
            snapshot: (snap) => {
              if (finished) return;
              if (!isFinished(snap)) return handlers.onProgress(snap.progress, snap.message);
              // The authoritative list (chunks are a preview of it).
              end(() =>
                snap.state === 'succeeded'
                  ? api.invoke('pipeline.results', { sessionId: run.sessionId }).then((r) => resolve(r.items.map(toItem)), reject)
                  : reject(jobError(snap)),
              );
            },
            chunks: (chunks) => {
              if (!finished) for (const c of chunks) handlers.onChunk(c.data.items.map(toItem));
            },
            lost: (err) => end(() => reject(err)),
          },
          resultsSoFar,
        );
      });
      done.catch(() => undefined);
      return {
        sessionId: run.sessionId,
        jobId: run.jobId,
        presetFile: run.presetFile,
        preset: run.preset,
        layerNames: run.layers.map((l) => l.name),
        source: describeSources(run.sources, projectDir),
        warnings: run.warnings,
        total: run.total,
        done,
      };
    },
    async cancel(jobId) {
      await api.invoke('jobs.cancel', { id: jobId });
    },
    async release(sessionId) {
      await api.invoke('pipeline.release', { sessionId });
    },
    async stages(sessionId, index) {
      return decodeStages(await api.invoke('pipeline.lumisection', { sessionId, index }));
    },
    async reflag(sessionId, preset) {
      const r = await api.invoke('pipeline.reflag', { sessionId, preset });
      return { items: r.items.map(toItem), stage: r.stage, ms: r.ms };
    },
    async whatIf(sessionId, index, preset, regions) {
      const s = await api.invoke('pipeline.whatIf', { sessionId, index, preset, regions });
      return { item: toItem(s.result), maps: decodeStages(s) };
    },
    async savePreset(sessionId, preset) {
      return api.invoke('pipeline.savePreset', { sessionId, preset });
    },
    async plotSettings(projectDir) {
      return api.invoke('preview.plotSettings', { projectDir });
    },
    async savePlotSettings(projectDir, settings) {
      await api.invoke('preview.savePlotSettings', { projectDir, settings });
    },
    async runAverage(sessionId, run) {
      const a = await api.invoke('pipeline.runAverage', { sessionId, run });
      return { count: a.count, maps: decodeStages(a) };
    },
    async createDefaultPreset(projectDir) {
      const preset = await api.invoke('preset.default', {});
      const sep = projectDir.includes('\\') && !projectDir.includes('/') ? '\\' : '/';
      return (await api.invoke('preset.save', { file: `${projectDir.replace(/[\\/]$/, '')}${sep}${PRESET_FILE_NAME}`, preset })).file;
    },
  };
}
