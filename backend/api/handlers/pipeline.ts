import path from 'node:path';
import { ensureDemoProject } from '@/backend/demo/demo-project';
import { loadPresetFile, savePresetFile } from '@/backend/pipeline/preset-io';
import { findProjectPresets } from '@/backend/pipeline/project-presets';
import { summarizeProject } from '@/backend/projects/project-folder';
import { pixelBarrelPreset } from '@/shared/preset/pixel-barrel';
import type { HandlerMap } from '../types';

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
  'pipeline.run': (input, ctx) => ctx.pipeline.start(input),
  'pipeline.presets': ({ projectDir }) => findProjectPresets(projectDir),
  'pipeline.results': ({ sessionId, offset, limit }, ctx) => ctx.pipeline.results(sessionId, offset, limit),
  'pipeline.lumisection': ({ sessionId, index }, ctx) => ctx.pipeline.lumisection(sessionId, index),
  'pipeline.reflag': ({ sessionId, preset }, ctx) => ctx.pipeline.reflag(sessionId, preset),
  'pipeline.whatIf': ({ sessionId, index, regions, preset }, ctx) => ctx.pipeline.whatIf(sessionId, index, regions, preset),
  'pipeline.savePreset': ({ sessionId, preset, file }, ctx) => ctx.pipeline.savePreset(sessionId, preset, file),
  'pipeline.release': ({ sessionId }, ctx) => ctx.pipeline.release(sessionId),
  'preset.load': async ({ file }) => {
    const loaded = await loadPresetFile(file);
    return { file: loaded.file, preset: loaded.preset };
  },
  'preset.save': async ({ file, preset }) => ({ file: path.resolve(file), preset: await savePresetFile(file, preset) }),
  'preset.default': () => pixelBarrelPreset(),
  'demo.open': async ({ variant }, ctx) => {
    const { dir, generated } = await ensureDemoProject(ctx.userDataDir, { contributors: ctx.demoContributors, variant });
    await ctx.opened.opened(dir);
    return { project: await summarizeProject(dir), generated };
  },
};
