/**
 * TEST STAND-IN: backends the real 23.05-py3 image ships but this stand-in cannot run (PyTorch,
 * TensorFlow, TensorRT, OpenVINO, FIL, DALI). Such a model still goes through everything the
 * stand-in can check — config.pbtxt parsing, autofill, validation, instance groups, the version
 * folder and the model file the backend would open — and then fails to load with a message that
 * says plainly that this is a limit of the stand-in.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Backend, BackendModel, ModelContext } from './backend';
import { info } from './log';
import { str, TritonError } from './model-config';

/** Backends present in nvcr.io/nvidia/tritonserver:23.05-py3 that the stand-in does not have. */
export const ABSENT_BACKENDS = ['pytorch', 'tensorflow', 'tensorrt', 'openvino', 'fil', 'dali'];

const DEFAULT_FILE: Record<string, string> = {
  pytorch: 'model.pt',
  tensorflow: 'model.savedmodel',
  tensorrt: 'model.plan',
  openvino: 'model.xml',
};

export function absentBackend(name: string): Backend {
  return {
    name,
    path: `/opt/tritonserver/backends/${name} (TEST STAND-IN: not available, models are checked but not loaded)`,
    async initModel(ctx: ModelContext): Promise<BackendModel> {
      info('backend_model.cc:183', `TRITONBACKEND_ModelInitialize: ${ctx.name} (version ${ctx.version})`);
      return {
        async initInstances(instances) {
          const file = path.join(
            ctx.repositoryPath,
            String(ctx.version),
            str(ctx.config, 'default_model_filename') || DEFAULT_FILE[name] || `model.${name}`,
          );
          const st = await fs.stat(file).catch(() => undefined);
          const instance = instances[0]?.name ?? ctx.name;
          if (!st) throw new TritonError('Unavailable', `unable to find '${file}' for model instance '${instance}'`);
          const savedModel = name === 'tensorflow' && str(ctx.config, 'platform') === 'tensorflow_savedmodel';
          if (savedModel && !(await fs.stat(path.join(file, 'saved_model.pb')).catch(() => undefined))) {
            throw new TritonError(
              'Unavailable',
              `unable to find '${path.join(file, 'saved_model.pb')}' for model instance '${instance}' (a SavedModel folder holds saved_model.pb)`,
            );
          }
          throw new TritonError(
            'Unsupported',
            `TEST STAND-IN: this image has no '${name}' backend, so model '${ctx.name}' cannot be loaded or run here (the real nvcr.io/nvidia/tritonserver image has it). ` +
              `The stand-in accepted config.pbtxt and found ${path.relative(path.dirname(ctx.repositoryPath), file)}${st.isDirectory() ? '/' : ''}.`,
          );
        },
        async execute() {
          throw new TritonError('Unsupported', `TEST STAND-IN: no '${name}' backend`);
        },
        async unload() {},
      };
    },
  };
}
