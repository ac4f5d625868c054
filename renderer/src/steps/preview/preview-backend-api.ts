import type { DismApi } from '../../../../shared/api/client';
import type { JobSnapshot } from '../../../../shared/api/contract';
import type { LumisectionResult, LumisectionStages, PipelineChunk } from '../../../../shared/api/contract/pipeline';
import { ApiError } from '../../../../shared/api/errors';
import { decodeArray } from '../../../../shared/pipeline/encoded-array';
import { PRESET_FILE_NAME } from '../../../../shared/preset/model-preset';
import type { LumisectionStageMaps } from './figure/build-figure';
import type { PreviewBackend, RunHandlers, StartedRun } from './preview-backend';
import type { TimelineLs } from './timeline/timeline-model';

/** The Preview screen's back end over the typed API (`pipeline.*`, `jobs.*`, job events). */

function toItem(r: LumisectionResult): TimelineLs {
  return { index: r.index, run: r.run, ls: r.ls, flaggedBeforeFilter: r.flaggedBeforeFilter, flagged: r.flagged, passedFilter: r.passedFilter, reasons: r.reasons, score: r.score };
}

export function decodeStages(s: LumisectionStages): LumisectionStageMaps {
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

/** "data/raw_BPix{2,3,4}.npy" style: paths relative to the project, common prefix folded. */
export function describeSources(sources: string[], projectDir: string): string {
  const rel = sources.map((s) => (s.startsWith(projectDir + '/') ? s.slice(projectDir.length + 1) : s));
  if (rel.length <= 1) return rel.join('');
  let pre = rel[0];
  for (const r of rel) while (!r.startsWith(pre)) pre = pre.slice(0, -1);
  let suf = rel[0];
  for (const r of rel) while (!r.endsWith(suf)) suf = suf.slice(1);
  if (pre.length + suf.length >= Math.min(...rel.map((r) => r.length))) return rel.join(', ');
  const mids = rel.map((r) => r.slice(pre.length, r.length - suf.length));
  return `${pre}{${mids.join(',')}}${suf}`;
}

function isChunk(d: unknown): d is PipelineChunk {
  return typeof d === 'object' && d !== null && (d as { kind?: unknown }).kind === 'lumisections' && Array.isArray((d as { items?: unknown }).items);
}

function jobError(s: JobSnapshot): Error {
  if (s.state === 'cancelled') return new ApiError('CANCELLED', 'The preview run was cancelled.');
  const e = s.error;
  return new ApiError(e?.code ?? 'JOB_FAILED', e?.message ?? `The preview run ${s.state}`, e?.details, e?.name ?? 'ApiError');
}

export function createApiPreviewBackend(api: DismApi): PreviewBackend {
  return {
    async start(projectDir: string, handlers: RunHandlers, presetFile?: string): Promise<StartedRun> {
      // Subscribe before starting: chunks and the end of a short run can arrive before the reply.
      let jobId: string | null = null;
      let sessionId = '';
      const early: Array<{ kind: 'chunk'; data: unknown; jobId: string } | { kind: 'update'; snap: JobSnapshot }> = [];
      let settle: { resolve(v: TimelineLs[]): void; reject(e: unknown): void } | null = null;
      let finished = false;
      const done = new Promise<TimelineLs[]>((resolve, reject) => (settle = { resolve, reject }));
      done.catch(() => undefined);
      const onUpdate = (snap: JobSnapshot) => {
        if (snap.id !== jobId || finished) return;
        if (snap.state === 'running' || snap.state === 'queued') {
          handlers.onProgress(snap.progress, snap.message);
          return;
        }
        finished = true;
        unsubscribe();
        if (snap.state !== 'succeeded') return settle!.reject(jobError(snap));
        // The authoritative list (chunks are a preview of it).
        api.invoke('pipeline.results', { sessionId }).then((r) => settle!.resolve(r.items.map(toItem)), settle!.reject);
      };
      const offChunk = api.on('job.chunk', (c) => {
        if (jobId === null) early.push({ kind: 'chunk', data: c.data, jobId: c.jobId });
        else if (c.jobId === jobId && isChunk(c.data)) handlers.onChunk(c.data.items.map(toItem));
      });
      const offUpdate = api.on('job.update', (s) => (jobId === null ? early.push({ kind: 'update', snap: s }) : onUpdate(s)));
      const unsubscribe = () => {
        offChunk();
        offUpdate();
      };
      let run;
      try {
        run = await api.invoke('pipeline.run', { projectDir, ...(presetFile ? { presetFile } : {}) });
      } catch (err) {
        unsubscribe();
        throw err;
      }
      sessionId = run.sessionId;
      jobId = run.jobId;
      for (const e of early) {
        if (e.kind === 'chunk') {
          if (e.jobId === jobId && isChunk(e.data)) handlers.onChunk(e.data.items.map(toItem));
        } else onUpdate(e.snap);
      }
      // If the job ended before we could see its update (reconnect, missed event), ask for it.
      if (!finished) api.invoke('jobs.get', { id: jobId }).then(onUpdate, () => undefined);
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
    async createDefaultPreset(projectDir) {
      const preset = await api.invoke('preset.default', {});
      const sep = projectDir.includes('\\') && !projectDir.includes('/') ? '\\' : '/';
      return (await api.invoke('preset.save', { file: `${projectDir.replace(/[\\/]$/, '')}${sep}${PRESET_FILE_NAME}`, preset })).file;
    },
  };
}
