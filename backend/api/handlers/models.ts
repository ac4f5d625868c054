import path from 'node:path';
import { containerUserFor } from '@/backend/engine/run-container';
import { importJoblib, planImportOutputs } from '@/backend/import-joblib/import-joblib';
import type { HandlerMap } from '../types';

export const modelHandlers: HandlerMap<'models.importJoblib'> = {
  'models.importJoblib': async ({ template, projectDir, resource, image, overwrite }, ctx) => {
    const templateFile = path.resolve(projectDir, template);
    // Answered before the job starts, so the UI can ask "replace the earlier import?" and call again.
    const allowHint = 'confirm to replace it';
    await planImportOutputs(templateFile, resource, Boolean(overwrite), allowHint);
    const docker = await ctx.engine.client();
    const user = containerUserFor(ctx.engine.current());
    return ctx.jobs.start({
      kind: 'import-joblib',
      title: `Import ${resource} from ${path.basename(templateFile)}`,
      scope: projectDir,
      run: async (job) => {
        job.progress(null, 'Extracting the model in its runtime image…');
        const result = await importJoblib(docker, {
          template: templateFile,
          resource,
          image,
          user,
          overwrite: Boolean(overwrite),
          allowHint,
          signal: job.signal,
          onLine: (l) => job.log(l, 'stdout'),
        });
        for (const w of result.warnings) job.log(`note: ${w}`);
        return result;
      },
    });
  },
};
