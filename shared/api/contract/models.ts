import { z } from 'zod';
import { method } from './define';
import { jobSnapshotOf } from './jobs';

export const ImportJoblibResult = z.object({
  presetFile: z.string(),
  image: z.string(),
  className: z.string(),
  versions: z.record(z.string(), z.string()),
  layers: z.array(
    z.object({
      name: z.string(),
      monitoringElement: z.string(),
      nComponents: z.number(),
      xshape: z.tuple([z.number(), z.number()]),
      onnx: z.string(),
    }),
  ),
  warnings: z.array(z.string()),
});
export type ImportJoblibResult = z.infer<typeof ImportJoblibResult>;

/** The `import-joblib` job: no chunks, the extraction's output is its log. */
export const ImportJoblibJob = jobSnapshotOf('import-joblib', ImportJoblibResult);

export const modelMethods = {
  'models.importJoblib': method(
    z
      .object({
        /** template.yaml (absolute, or relative to projectDir). */
        template: z.string().min(1),
        projectDir: z.string().min(1),
        resource: z.string().min(1),
        image: z.string().min(1).optional(),
        /** Replace an earlier import in preview-<resource>/. The UI sets it only after the user confirmed. */
        overwrite: z.boolean().optional(),
      })
      .strict(),
    ImportJoblibJob,
    'Extract a trained PixelNMF (.joblib) in its runtime image and write ONNX models + a preview preset (job; result: ImportJoblibResult). Fails with OUTPUT_EXISTS when preview-<resource>/ holds an earlier import, unless overwrite',
  ),
};
