import path from 'node:path';
import { ensureDemoProject } from '../../demo/demo-project';
import { loadPresetFile, savePresetFile } from '../../pipeline/preset-io';
import { PipelineService } from '../../pipeline/pipeline-service';
import { findProjectPresets } from '../../pipeline/project-presets';
import { summarizeProject } from '../../projects/project-folder';
import { pixelBarrelPreset } from '../../../shared/preset/pixel-barrel';
import type { BackendContext, HandlerMap } from '../types';
import { rememberSessionPreset } from '../write-targets';

const services = new WeakMap<BackendContext, PipelineService>();

/** One pipeline service per back end, disposed with it. */
export function pipelineService(ctx: BackendContext): PipelineService {
  let s = services.get(ctx);
  if (!s) {
    const created = new PipelineService(ctx.jobs);
    services.set(ctx, created);
    ctx.onDispose(() => created.dispose());
    s = created;
  }
  return s;
}

export const pipelineHandlers: HandlerMap<
  | 'pipeline.run'
  | 'pipeline.results'
  | 'pipeline.presets'
  | 'pipeline.lumisection'
  | 'pipeline.reflag'
  | 'pipeline.whatIf'
  | 'pipeline.savePreset'
  | 'pipeline.release'
  | 'preset.load'
  | 'preset.save'
  | 'preset.default'
  | 'demo.open'
> = {
  'pipeline.run': async (input, ctx) => {
    const started = await pipelineService(ctx).start(input);
    rememberSessionPreset(ctx, started.sessionId, started.presetFile);
    return started;
  },
  'pipeline.presets': ({ projectDir }) => findProjectPresets(projectDir),
  'pipeline.results': ({ sessionId, offset, limit }, ctx) => pipelineService(ctx).results(sessionId, offset, limit),
  'pipeline.lumisection': ({ sessionId, index }, ctx) => pipelineService(ctx).lumisection(sessionId, index),
  'pipeline.reflag': ({ sessionId, preset }, ctx) => pipelineService(ctx).reflag(sessionId, preset),
  'pipeline.whatIf': ({ sessionId, index, regions, preset }, ctx) => pipelineService(ctx).whatIf(sessionId, index, regions, preset),
  'pipeline.savePreset': ({ sessionId, preset, file }, ctx) => pipelineService(ctx).savePreset(sessionId, preset, file),
  'pipeline.release': ({ sessionId }, ctx) => pipelineService(ctx).release(sessionId),
  'preset.load': async ({ file }) => {
    const loaded = await loadPresetFile(file);
    return { file: loaded.file, preset: loaded.preset };
  },
  'preset.save': async ({ file, preset }) => ({ file: path.resolve(file), preset: await savePresetFile(file, preset) }),
  'preset.default': () => pixelBarrelPreset(),
  'demo.open': async (_input, ctx) => {
    const { dir, generated } = await ensureDemoProject(ctx.userDataDir);
    await ctx.opened.opened(dir);
    return { project: await summarizeProject(dir), generated };
  },
};
