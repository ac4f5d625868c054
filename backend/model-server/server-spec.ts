import path from 'node:path';
import { modelName, type ResourceView } from '../build-local/template-source';
import { ARTIFACTS_DIR } from '../projects/project-folder';

/** The images DIALS runs when a template sets no Properties.Image. */
const DEFAULT_IMAGES = {
  MLServer: 'seldonio/mlserver:1.5.0',
  Tritonserver: 'nvcr.io/nvidia/tritonserver:23.05-py3',
} as const;

export interface ServerSpec {
  framework: 'MLServer' | 'Tritonserver';
  image: string;
  /** Where the image choice came from, for messages. */
  imageSource: 'option' | 'template' | 'default';
  modelName: string;
  resourceKey: string;
  /** build/<ResourceKey> on the host. */
  resourceDir: string;
  mountPath: string;
  cmd: string[];
  env: string[];
  containerPort: number;
  defaultHostPort: number;
  /** UID the image runs as, whose read access to the mount we check (MLServer only). */
  runsAsUid?: number;
}

export function serverSpec(projectDir: string, r: ResourceView, imageOverride?: string): ServerSpec {
  const name = modelName(r);
  const resourceDir = path.join(projectDir, ARTIFACTS_DIR, 'build', r.key);
  const templateImage = typeof r.properties.Image === 'string' && r.properties.Image.trim() ? r.properties.Image.trim() : undefined;
  const image = imageOverride?.trim() || templateImage || DEFAULT_IMAGES[r.framework];
  const imageSource = imageOverride?.trim() ? 'option' : templateImage ? 'template' : 'default';
  const env = ['PYTHONDONTWRITEBYTECODE=1'];
  if (r.framework === 'MLServer') {
    return {
      framework: 'MLServer',
      image,
      imageSource,
      modelName: name,
      resourceKey: r.key,
      resourceDir,
      mountPath: `/mnt/${name}`,
      cmd: ['mlserver', 'start', `/mnt/${name}`],
      env,
      containerPort: 8080,
      defaultHostPort: 8080,
      runsAsUid: 1000,
    };
  }
  return {
    framework: 'Tritonserver',
    image,
    imageSource,
    modelName: name,
    resourceKey: r.key,
    resourceDir,
    mountPath: '/models/model-repository',
    cmd: ['tritonserver', '--model-repository=/models/model-repository'],
    env,
    containerPort: 8000,
    defaultHostPort: 8000,
  };
}
