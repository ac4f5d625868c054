import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { EngineService } from '@/backend/engine/engine-service';
import { JobManager } from '@/backend/jobs/job-manager';
import { ModelServerManager } from '@/backend/model-server/manager';
import { findStudioContainers, OWNER_LABEL, ROLE_LABEL, studioLabels } from '@/backend/engine/labels';
import { removeContainerQuietly } from '@/backend/engine/run-container';

/** The MLServer stand-in image (tests only; see test/stand-ins/mlserver/README.md). */
export const STAND_IN_IMAGE = 'dism-test/mlserver:1.5.0';

export function ensureStandInImage(): void {
  execFileSync('bash', [path.resolve('test/stand-ins/mlserver/build.sh'), STAND_IN_IMAGE], { stdio: 'inherit' });
}

export const docker = new Docker({ socketPath: '/var/run/docker.sock' });

export function toyTemplate(opts: { name?: string; image?: string; extra?: string } = {}): string {
  return `TemplateFormatVersion: "2025-03-31"
Description: toy model for start-api tests
Resources:
  Toy:
    Type: InferenceService::MLServer::SKLearn
    Workspace: global
    Properties:
      Description: sums each map and flags large sums
      Name: ${opts.name ?? 'toy-model'}
${opts.image ? `      Image: ${opts.image}\n` : ''}      BuiltinThreshold: true
      FlaggingKey: Flag
      MetricKey: Metric
      InputSignature:
        - Name: A
          MonitoringElement: Test/A
          DataType: INT32
          Dims: [-1, 2, 2]
      OutputSignature:
        - Name: Flag
          DataType: BOOL
          Dims: [-1]
        - Name: Metric
          DataType: FP32
          Dims: [-1]
      CodeUri: mlserver-model/
      Handler: app.Handler
      ModelUri: mlserver-model/model.bin
${opts.extra ?? ''}`;
}

export const TOY_HANDLER = `import numpy as np
from mlserver import MLModel
from mlserver.codecs import NumpyCodec
from mlserver.types import InferenceRequest, InferenceResponse


class Handler(MLModel):
    async def load(self):
        self.ready = True
        return True

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        x = NumpyCodec.decode_input(payload.inputs[0])
        s = x.reshape(x.shape[0], -1).sum(axis=1)
        print("predict on", x.shape[0], "maps", flush=True)
        return InferenceResponse(model_name=self.name, outputs=[
            NumpyCodec.encode_output(name="Flag", payload=s > 10),
            NumpyCodec.encode_output(name="Metric", payload=s.astype(np.float32)),
        ])
`;

/** A project folder with a template and an MLServer handler folder. */
export async function makeToyProject(
  handler = TOY_HANDLER,
  templateOpts: Parameters<typeof toyTemplate>[0] = {},
): Promise<{ dir: string; template: string }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dism-ms-'));
  await fs.chmod(dir, 0o755);
  await fs.mkdir(path.join(dir, 'mlserver-model'));
  await fs.writeFile(path.join(dir, 'mlserver-model', 'app.py'), handler);
  await fs.writeFile(path.join(dir, 'mlserver-model', 'model.bin'), 'toy');
  await fs.writeFile(path.join(dir, 'template.yaml'), toyTemplate(templateOpts));
  return { dir, template: path.join(dir, 'template.yaml') };
}

export function newManager(env: NodeJS.ProcessEnv = process.env) {
  const jobs = new JobManager({ update: () => undefined, log: () => undefined, chunk: () => undefined });
  const engine = new EngineService(() => undefined, env);
  return { jobs, engine, manager: new ModelServerManager({ jobs, engine }) };
}

export async function studioContainersFor(projectDir: string) {
  return findStudioContainers(docker, { 'dism.project': projectDir });
}

/**
 * This process's containers of one role. Vitest runs each test file in its own process, and other
 * files create containers of the same role at the same time: a check that ours are gone must not
 * see theirs.
 */
export async function ownContainersOfRole(role: string) {
  return findStudioContainers(docker, { [ROLE_LABEL]: role, [OWNER_LABEL]: studioLabels()[OWNER_LABEL] });
}

export async function cleanupProject(dir: string): Promise<void> {
  for (const c of await studioContainersFor(dir)) await removeContainerQuietly(docker, c.Id);
  await fs.rm(dir, { recursive: true, force: true });
}
