import path from 'node:path';
import { ApiError } from '@/shared/api/errors';
import { buildLocal } from '@/backend/build-local/local-build';
import { readTemplate, requireResource } from '@/backend/build-local/template-source';
import { runInference } from '@/backend/inference/run-inference';
import { listLocalImages, tagLocalImage } from '@/backend/model-server/image';
import { parseImageRef } from '@/backend/model-server/image-ref';
import { templateSampleData } from '@/backend/inference/load-inputs';
import { presetSyncState, syncModelPreset } from '@/backend/model-server/preset-sync';
import type { HandlerMap } from '../types';
import { buildState } from '@/backend/build-local/build-state';

type ModelServerMethod =
  | 'modelServer.buildLocal'
  | 'modelServer.buildState'
  | 'modelServer.start'
  | 'modelServer.stop'
  | 'modelServer.runs'
  | 'modelServer.get'
  | 'modelServer.localImages'
  | 'modelServer.tagImage'
  | 'modelServer.presetSync'
  | 'modelServer.infer';

export const modelServerHandlers: HandlerMap<ModelServerMethod> = {
  'modelServer.buildLocal': ({ templateFile }) => buildLocal(templateFile),
  'modelServer.buildState': ({ templateFile }) => buildState(templateFile),
  'modelServer.start': (input, ctx) => ctx.modelServers.start(input),
  'modelServer.stop': ({ id }, ctx) => ctx.modelServers.stop(id),
  'modelServer.runs': ({ projectDir }, ctx) => ctx.modelServers.list(projectDir),
  'modelServer.get': ({ id }, ctx) => ctx.modelServers.get(id),
  'modelServer.localImages': async ({ like }, ctx) =>
    listLocalImages(await ctx.engine.client(), like ? parseImageRef(like).baseName : undefined),
  'modelServer.tagImage': async ({ source, target }, ctx) => {
    await tagLocalImage(await ctx.engine.client(), source, target);
    return { target: parseImageRef(target).full };
  },
  'modelServer.presetSync': ({ templateFile, resourceKey, apply }) =>
    apply ? syncModelPreset(templateFile, resourceKey) : presetSyncState(templateFile, resourceKey),
  'modelServer.infer': async (input, ctx) => {
    const template = await readTemplate(input.templateFile);
    const resource = requireResource(template, input.resourceKey);
    let url = input.url;
    let saveDir: string | undefined;
    if (input.runId) {
      const run = ctx.modelServers.get(input.runId);
      if (run.state !== 'ready' || !run.url)
        throw new ApiError(
          'SERVER_NOT_READY',
          `The model server is ${run.state}, not ready; start it and wait until it is ready.`,
          undefined,
          'ServerNotReadyError',
        );
      url = run.url;
      saveDir = run.runDir;
    }
    if (!url) throw new ApiError('SCHEMA_INVALID', 'Give runId (a running model server) or url.', undefined, 'SchemaError');
    const data = input.data ?? (await templateSampleData(template.dir, resource));
    return runInference({
      url,
      resource,
      template,
      baseDir: path.dirname(template.file),
      data,
      previewFlags: input.previewFlags,
      maxValuesPerRequest: input.maxValuesPerRequest,
      saveDir,
    });
  },
};
