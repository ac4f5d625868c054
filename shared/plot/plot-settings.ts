import { z } from 'zod';
import { COLOUR_MAP_IDS, type ColourMapId } from './colour-maps';
import { DEFAULT_COLUMN_SCALE, type ColumnScale } from './colour-scale';
import { STAGE_KEYS, type StageKey } from './stage-specs';

/**
 * How the Preview draws the stage maps, kept per project (in DISM Studio's settings, not in the
 * project folder): each stage column's scale, range and colour map, and the grid over the maps.
 */

export const ColumnScaleSchema = z
  .object({
    scale: z.enum(['linear', 'log']),
    range: z.enum(['fixed', 'auto', 'manual']),
    min: z.number().finite().nullable(),
    max: z.number().finite().nullable(),
    colourMap: z.enum(COLOUR_MAP_IDS as [ColourMapId, ...ColourMapId[]]),
  })
  .strict();

/** Dotted lines over every map: none, module and ladder edges (the DQM grid), or also every ROC edge. */
export const GridMode = z.enum(['off', 'modules', 'rocs']);
export type GridMode = z.infer<typeof GridMode>;

export const PlotSettings = z
  .object({
    columns: z.partialRecord(z.enum(STAGE_KEYS as [StageKey, ...StageKey[]]), ColumnScaleSchema),
    grid: GridMode,
  })
  .strict();
export type PlotSettings = z.infer<typeof PlotSettings>;

export const DEFAULT_PLOT_SETTINGS: PlotSettings = { columns: {}, grid: 'modules' };

/** Settings read back from disk: what is no longer valid (an older version, a hand edit) falls back to the default. */
export function readPlotSettings(value: unknown): PlotSettings {
  const parsed = PlotSettings.safeParse(value);
  if (parsed.success) return parsed.data;
  const grid = GridMode.safeParse((value as { grid?: unknown } | null)?.grid);
  const columns: PlotSettings['columns'] = {};
  const raw = (value as { columns?: Record<string, unknown> } | null)?.columns;
  if (raw && typeof raw === 'object')
    for (const key of STAGE_KEYS) {
      const c = ColumnScaleSchema.safeParse(raw[key]);
      if (c.success) columns[key] = c.data;
    }
  return { columns, grid: grid.success ? grid.data : DEFAULT_PLOT_SETTINGS.grid };
}

/** A column's settings with one change applied. */
export function withColumn(s: PlotSettings, key: StageKey, patch: Partial<ColumnScale>): PlotSettings {
  return { ...s, columns: { ...s.columns, [key]: { ...(s.columns[key] ?? DEFAULT_COLUMN_SCALE), ...patch } } };
}
