import { z } from 'zod';

/**
 * The model preset: everything the NMF preview pipeline needs besides the data. Saved as JSON next to
 * the project (paths are relative to the preset file) so physicists can edit and share it.
 */

/**
 * Largest pattern side. The largest barrel map is 130×72 bins, so a bigger pattern can never match;
 * the bound keeps a typo like {"ones": [100000, 100000]} from allocating gigabytes in the back end.
 */
export const MAX_PATTERN_SIDE = 1024;
const PatternSide = z.number().int().positive().max(MAX_PATTERN_SIDE);

/** A 2-D pattern: explicit rows of numbers, or the shorthand {"ones": [rows, cols]}. */
export const PatternSpec = z
  .union([
    z.array(z.array(z.number()).min(1).max(MAX_PATTERN_SIDE)).min(1).max(MAX_PATTERN_SIDE),
    z.object({ ones: z.tuple([PatternSide, PatternSide]) }).strict(),
  ])
  .describe('A 2-D pattern: rows of numbers, or {"ones": [rows, cols]}');
export type PatternSpec = z.infer<typeof PatternSpec>;

/** Half-open index range [start, stop) as numpy slices write it. */
const Range = z.tuple([z.number().int().min(0), z.number().int().min(0)]).refine(([a, b]) => b >= a, 'range stop must be ≥ start');

export const PresetLayer = z
  .object({
    /** Input name in the template's InputSignature, e.g. "BPix2". */
    name: z.string().min(1).describe('Input name in the template InputSignature, e.g. "BPix2"'),
    /** Full monitoring-element path, matched to the template's InputSignature. */
    monitoringElement: z.string().min(1).describe("Full monitoring-element path, matched to the template's InputSignature"),
    /** Raw map shape [rows, columns] (the template Dims without the leading -1). */
    shape: z
      .tuple([z.number().int().positive(), z.number().int().positive()])
      .describe('Raw map shape [rows, columns] (the template Dims without the leading -1)'),
    /** The empty centre cross removed before anything else: rows and columns as [start, stop). */
    cross: z
      .object({ rows: Range, columns: Range })
      .strict()
      .describe('The empty centre cross removed first: rows and columns as half-open [start, stop)'),
    /** NMF model as ONNX, relative to the preset file. */
    onnx: z.string().min(1).describe('NMF model as ONNX (input [N, rows−cross, cols−cross] float32), relative to the preset file'),
    /** Average map (.npy, shape = `shape`), relative to the preset file. */
    localNorm: z.string().min(1).describe('Average map (.npy, shape = shape), relative to the preset file'),
    /** Boolean map (.npy, shape = `shape`), true where a bin is usually non-zero. */
    lossMask: z
      .string()
      .min(1)
      .describe('Boolean map (.npy, shape = shape), true where a bin is usually non-zero; relative to the preset file'),
  })
  .strict();
export type PresetLayer = z.infer<typeof PresetLayer>;

export const ThresholdEntry = z
  .object({
    /** A bin is anomalous when (preprocessed − reconstruction)² > lossThreshold. */
    lossThreshold: z.number().describe('A bin is anomalous when (preprocessed − reconstruction)² > lossThreshold'),
    /** Shape of the clusters to keep. */
    pattern: PatternSpec.describe('Shape of the clusters to keep'),
    /** Keep a window when its TM_SQDIFF to the pattern is below this. */
    filterThreshold: z.number().describe('Keep a window when its TM_SQDIFF to the pattern is below this'),
  })
  .strict();
export type ThresholdEntry = z.infer<typeof ThresholdEntry>;

export const PresetFilters = z
  .object({
    /** Minimum entries (sum of the raw map) per layer name; the LS passes when entries > value. */
    minEntries: z.record(z.string(), z.number()).describe('Per layer name: the LS passes when the sum of the raw map > value'),
    /** OMS lumisection booleans that must all be true. */
    omsBooleans: z.array(z.string().min(1)).describe('OMS lumisection attributes that must all be true'),
    /** The LS passes when pileup > minPileup; null disables the cut. */
    minPileup: z.number().nullable().describe('The LS passes when OMS pileup > minPileup; null disables the cut'),
    /** HLT rate cut; null disables it. */
    hlt: z
      .object({
        triggerGlob: z.string().min(1).describe('Trigger name glob, e.g. HLT_ZeroBias_v*'),
        minRate: z.number().describe('The LS passes when the rate > minRate (Hz)'),
      })
      .strict()
      .nullable()
      .describe('HLT rate cut from the per-run HLT rate JSON; null disables it'),
  })
  .strict();
export type PresetFilters = z.infer<typeof PresetFilters>;

export const ModelPreset = z
  .object({
    $schema: z.string().optional(),
    kind: z.literal('dism-studio.pixel-nmf-preset'),
    version: z.literal(1),
    name: z.string().min(1),
    description: z.string().optional(),
    /** Layers in combine order; every layer is rebinned to the first layer's cropped shape. */
    layers: z.array(PresetLayer).min(1).describe("Layers in combine order; every layer is rebinned to the first layer's cropped shape"),
    /** Clipping of the NMF input: values > max become max, exact zeros become zeroValue, NaN becomes 0. */
    reconstructionInput: z
      .object({ max: z.number(), zeroValue: z.number() })
      .strict()
      .default({ max: 5, zeroValue: 1 })
      .describe('Clipping of the NMF input: values > max become max, exact zeros become zeroValue, NaN becomes 0'),
    /** Multi-threshold clustering entries (OR-ed). */
    thresholds: z.array(ThresholdEntry).min(1).describe('Multi-threshold clustering entries (OR-ed)'),
    combine: z
      .object({
        /** Final map = combined ≥ minLayers AND combined > loss mask. */
        minLayers: z.number().describe('Final map = combined ≥ minLayers AND combined > loss mask'),
      })
      .strict(),
    flagging: z
      .object({
        /** The LS is flagged when the final map contains any of these patterns. */
        patterns: z.array(PatternSpec).min(1).describe('The LS is flagged when the final map contains any of these patterns'),
        /** TM_SQDIFF below this counts as a match. */
        threshold: z.number().describe('TM_SQDIFF below this counts as a match'),
      })
      .strict(),
    filters: PresetFilters,
  })
  .strict()
  .superRefine((p, ctx) => {
    const names = new Set<string>();
    p.layers.forEach((l, i) => {
      if (names.has(l.name)) ctx.addIssue({ code: 'custom', path: ['layers', i, 'name'], message: `duplicate layer name "${l.name}"` });
      names.add(l.name);
      const [ny, nx] = l.shape;
      if (l.cross.rows[1] > ny)
        ctx.addIssue({
          code: 'custom',
          path: ['layers', i, 'cross', 'rows'],
          message: `cross rows end ${l.cross.rows[1]} is beyond the ${ny} rows of the map`,
        });
      if (l.cross.columns[1] > nx)
        ctx.addIssue({
          code: 'custom',
          path: ['layers', i, 'cross', 'columns'],
          message: `cross columns end ${l.cross.columns[1]} is beyond the ${nx} columns of the map`,
        });
    });
    for (const k of Object.keys(p.filters.minEntries)) {
      if (!names.has(k))
        ctx.addIssue({
          code: 'custom',
          path: ['filters', 'minEntries', k],
          message: `minEntries names layer "${k}", which is not in layers (${[...names].join(', ')})`,
        });
    }
  });
export type ModelPreset = z.infer<typeof ModelPreset>;

export const PRESET_FILE_NAME = 'preset.json';

/** Expand a pattern spec into rows × cols numbers. */
export function patternMatrix(p: PatternSpec): { rows: number; cols: number; values: Float64Array } {
  if ('ones' in p) {
    const [rows, cols] = p.ones;
    return { rows, cols, values: new Float64Array(rows * cols).fill(1) };
  }
  const rows = p.length;
  const cols = p[0].length;
  if (p.some((r) => r.length !== cols)) throw new Error(`pattern rows have different lengths (${p.map((r) => r.length).join(', ')})`);
  const values = new Float64Array(rows * cols);
  p.forEach((r, i) => r.forEach((v, j) => (values[i * cols + j] = v)));
  return { rows, cols, values };
}
