import path from 'node:path';
import { DEFAULT_PLOT_SETTINGS, readPlotSettings } from '@/shared/plot/plot-settings';
import type { HandlerMap } from '../types';

/** Where the Preview's plot settings live in the per-project settings (user-data folder). */
const PLOT_SETTINGS_KEY = 'previewPlot';

export const inspectHandlers: HandlerMap<'preview.plotSettings' | 'preview.savePlotSettings' | 'pipeline.runAverage' | 'preview.report'> = {
  'preview.plotSettings': async ({ projectDir }, ctx) => {
    const saved = await ctx.settings.projectSetting<unknown>(path.resolve(projectDir), PLOT_SETTINGS_KEY);
    return saved === undefined ? DEFAULT_PLOT_SETTINGS : readPlotSettings(saved);
  },
  'preview.savePlotSettings': async ({ projectDir, settings }, ctx) => {
    await ctx.settings.setProjectSetting(path.resolve(projectDir), PLOT_SETTINGS_KEY, settings);
    return settings;
  },
  'pipeline.runAverage': ({ sessionId, run }, ctx) => ctx.pipeline.runAverage(sessionId, run),
  'preview.report': (input, ctx) => ctx.reports.start(input),
};
