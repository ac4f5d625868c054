import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { ServerRun } from '@/shared/api/contract/model-server';
import { ApiError } from '@/shared/api/errors';
import { buildLocal } from '../build-local/local-build';
import { readTemplate, requireResource, type ResourceView, type TemplateView } from '../build-local/template-source';
import { validateTemplateFile } from '../template/validate-file';
import { formatPath } from '@/shared/template/problems';
import { tritonLoadProblems } from './triton-messages';
import type { ModelProblem } from '@/shared/api/contract/model-server';
import { findStudioContainers, OWNER_LABEL, ownerIsAlive, studioLabels } from '../engine/labels';
import { removeContainerQuietly } from '../engine/run-container';
import { demuxDockerStream, tailContainerLogs } from '../engine/streams';
import { writeFileAtomic } from '../fs/atomic-write';
import type { JobHandle as AnyJobHandle, JobManager } from '../jobs/job-manager';
import { ensureImage } from './image';
import { findFreePort } from './ports';
import { makeWorldReadable, unreadableBy } from './readable';
import { NotReadyError, waitUntilReady } from './readiness';
import { serverSpec, type ServerSpec } from './server-spec';
import { systemErrorReason } from '@/shared/api/system-errors';

export const MODEL_SERVER_JOB_KIND = 'model-server';
type JobHandle = AnyJobHandle<typeof MODEL_SERVER_JOB_KIND>;
const MODEL_SERVER_ROLE = 'model-server';
const RESOURCE_LABEL = 'dism.resource';
const DEFAULT_READY_TIMEOUT_S = 180;
const PORT_RETRIES = 5;

export interface ModelServerDeps {
  jobs: JobManager;
  engine: { client(): Promise<Docker> };
}

export interface StartOptions {
  templateFile: string;
  resourceKey?: string;
  image?: string;
  port?: number;
  readyTimeoutS?: number;
  build?: 'always' | 'if-missing' | 'never';
  fixPermissions?: boolean;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(v: T): void;
  reject(e: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((a, b) => {
    resolve = a;
    reject = b;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

interface RunRecord {
  run: ServerRun;
  /** The template as it was started, to trace the server's messages back to its fields. */
  template: TemplateView;
  resource: ResourceView;
  stop: Deferred<void>;
  ready: Deferred<ServerRun>;
  ended: Deferred<ServerRun>;
  job?: JobHandle;
}

function lastLinesText(lines: ServerRun['lastLines']): string {
  return lines?.length
    ? `\nLast log lines:\n${lines.map((l) => `  ${l.stream === 'stderr' ? '!' : ' '} ${l.text}`).join('\n')}`
    : '\n(The container printed nothing.)';
}

/** A model problem as one block of text: the field and its line, what it means, the server's words. */
export function problemText(p: ModelProblem): string {
  const where = p.path ? `${p.path}${p.line ? ` (template.yaml line ${p.line})` : ''}: ` : '';
  return `${where}${p.explanation}\n  The server said: ${p.server.replace(/\n/g, '\n    ')}`;
}

function isPortConflict(err: unknown): boolean {
  return /port is already allocated|address already in use|bind: address/i.test(String((err as Error)?.message ?? err));
}

/**
 * start-api: runs model server containers for projects, keeps their state and logs in the back end
 * (as jobs of kind `model-server`), and stops them on request, on cancel, and at shutdown.
 */
export class ModelServerManager {
  private readonly records = new Map<string, RunRecord>();

  constructor(private readonly deps: ModelServerDeps) {}

  list(projectDir?: string): ServerRun[] {
    return [...this.records.values()]
      .map((r) => r.run)
      .filter((r) => !projectDir || r.projectDir === path.resolve(projectDir))
      .reverse();
  }

  get(id: string): ServerRun {
    return this.require(id).run;
  }

  /** Resolves when the server is ready; rejects with the start error. */
  waitReady(id: string): Promise<ServerRun> {
    return this.require(id).ready.promise;
  }

  /** Resolves when the run has ended (stopped, exited or failed) and its container is gone. */
  waitEnded(id: string): Promise<ServerRun> {
    return this.require(id).ended.promise;
  }

  async stop(id: string): Promise<ServerRun> {
    const rec = this.require(id);
    if (!['stopped', 'exited', 'failed'].includes(rec.run.state)) {
      const midway = ['preparing', 'pulling', 'starting'].includes(rec.run.state);
      this.update(rec, { state: 'stopping', message: 'Stopping…' });
      rec.stop.resolve();
      // Before the container runs (e.g. a long pull) the work itself must be interrupted.
      if (midway) await this.deps.jobs.cancel(id).catch(() => undefined);
      await rec.ended.promise;
    }
    return rec.run;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.records.values()].filter((r) => !r.run.endedAt).map((r) => this.stop(r.run.id).catch(() => undefined)));
  }

  /** Validate the request, then run the server as a job; returns at once with the run's first state. */
  async start(opts: StartOptions): Promise<ServerRun> {
    const template = await readTemplate(opts.templateFile);
    const resource = requireResource(template, opts.resourceKey);
    await this.checkTemplateFiles(template, resource);
    const spec = serverSpec(template.dir, resource, opts.image);
    const requestedPort = opts.port ?? spec.defaultHostPort;
    const busy = this.list(template.dir).find((r) => r.resourceKey === resource.key && !r.endedAt);
    if (busy)
      throw new ApiError(
        'ALREADY_RUNNING',
        `${resource.key} already has a model server (${busy.state}${busy.url ? ` at ${busy.url}` : ''}). Stop it first.`,
        { id: busy.id },
        'AlreadyRunningError',
      );
    const rec: RunRecord = {
      run: undefined as unknown as ServerRun,
      template,
      resource,
      stop: deferred(),
      ready: deferred(),
      ended: deferred(),
    };
    const snapshot = this.deps.jobs.start({
      kind: MODEL_SERVER_JOB_KIND,
      title: `Model server ${spec.modelName} (${resource.key})`,
      scope: template.dir,
      run: (job) => this.run(rec, job, spec, template.file, opts),
      onCancel: () => rec.stop.resolve(),
    });
    rec.run = {
      id: snapshot.id,
      projectDir: template.dir,
      templateFile: template.file,
      resourceKey: resource.key,
      modelName: spec.modelName,
      framework: spec.framework,
      image: spec.image,
      imageSource: spec.imageSource,
      state: 'preparing',
      message: 'Preparing…',
      requestedPort,
      startedAt: snapshot.startedAt,
      runDir: path.join(template.dir, '.dism-studio', 'runs', `${snapshot.startedAt.replace(/[:.]/g, '-')}-${resource.key}`),
    };
    this.records.set(snapshot.id, rec);
    return rec.run;
  }

  /**
   * The file checks `validate` runs (files exist, Handler/TritonPythonModel classes, SavedModel
   * contents, the ONNX model against InputSignature, InputMetadata and OutputSignature as Triton
   * compares them): an error in this resource would only show up as a server that does not load,
   * so it is refused here, before a container starts, with each problem at its field.
   */
  private async checkTemplateFiles(template: TemplateView, resource: ResourceView): Promise<void> {
    const v = await validateTemplateFile(template.dir, template.file);
    const prefix = formatPath(['Resources', resource.key]);
    const errors = v.problems.filter((p) => p.severity === 'error' && (p.path === prefix || p.path.startsWith(`${prefix}.`)));
    if (!errors.length) return;
    throw new ApiError(
      'TEMPLATE_CHECK_FAILED',
      `${resource.key} cannot be served as the template stands (${errors.length} problem${errors.length > 1 ? 's' : ''}); fix ${errors.length > 1 ? 'them' : 'it'} in the Template step and start again:\n${errors
        .slice(0, 12)
        .map((p) => `  ${p.path} (template.yaml line ${p.line}): ${p.message}`)
        .join('\n')}`,
      { problems: errors },
      'TemplateCheckError',
    );
  }

  private require(id: string): RunRecord {
    const rec = this.records.get(id);
    if (!rec) throw new ApiError('NOT_FOUND', `No model server run with id ${id}`, undefined, 'NotFoundError');
    return rec;
  }

  private update(rec: RunRecord, patch: Partial<ServerRun>, progress?: number | null): void {
    rec.run = { ...rec.run, ...patch, ...(progress !== undefined ? { progress } : {}) };
    if (rec.job) {
      if (progress !== undefined || patch.message) rec.job.progress(progress === undefined ? null : progress, rec.run.message);
      rec.job.chunk({ type: 'model-server', run: rec.run });
    }
  }

  private async run(rec: RunRecord, job: JobHandle, spec: ServerSpec, templateFile: string, opts: StartOptions): Promise<ServerRun> {
    // jobs.start calls run() synchronously, before start() has filled rec.run.
    await Promise.resolve();
    rec.job = job;
    let docker: Docker | undefined;
    let container: Docker.Container | undefined;
    let logs: Promise<void> | undefined;
    let tearingDown = false;
    const t0 = Date.parse(rec.run.startedAt);
    try {
      await this.prepareBuild(rec, job, spec, templateFile, opts);
      docker = await this.deps.engine.client();
      await this.pullIfMissing(rec, job, docker, spec);
      await this.removeOrphans(job, docker, rec.run.projectDir);
      await this.checkMountReadable(job, spec, opts.fixPermissions ?? false);

      this.update(rec, { state: 'starting', message: 'Starting the container…' }, null);
      const started = await this.createAndStart(rec, job, docker, spec);
      container = started.container;
      logs = started.logs;
      const c = container;
      // One exit watcher for the whole run; quiet once we are removing the container ourselves.
      const exitedError = new Promise<ApiError>((resolve) => {
        void c
          .wait()
          .then(
            (r: { StatusCode: number }) => r.StatusCode,
            () => -1,
          )
          .then(async (code) => {
            if (!tearingDown)
              resolve(
                await this.exitError(rec, c, code, rec.run.state === 'ready' ? 'while serving' : 'before it was ready', started.logs),
              );
          })
          .catch((err: Error) => {
            if (!tearingDown)
              resolve(
                new ApiError(
                  'CONTAINER_EXITED',
                  `The model server container ended and its state could not be read: ${err.message}`,
                  undefined,
                  'ContainerExitedError',
                ),
              );
          });
      });

      const timeoutMs = (opts.readyTimeoutS ?? DEFAULT_READY_TIMEOUT_S) * 1000;
      this.update(rec, { state: 'waiting', message: `Waiting for ${rec.run.url} to be ready…` }, 0);
      try {
        await waitUntilReady(rec.run.url!, spec.modelName, {
          timeoutMs,
          signal: job.signal,
          stop: Promise.race([
            exitedError,
            rec.stop.promise.then(
              () => new ApiError('CANCELLED', 'Stopped before the model server was ready', undefined, 'CancelledError'),
            ),
          ]),
          onPoll: (s, elapsed) =>
            this.update(
              rec,
              {
                message: `Waiting for the model server (${Math.round(elapsed / 1000)} s of ${Math.round(timeoutMs / 1000)} s): server ${s.server ? 'ready' : 'not ready'}, model ${s.model ? 'ready' : 'not ready'}${s.detail ? ` (${s.detail})` : ''}`,
              },
              Math.min(0.99, elapsed / timeoutMs),
            ),
        });
      } catch (err) {
        if (err instanceof NotReadyError) {
          const lastLines = await tailContainerLogs(container, 30).catch(() => []);
          this.update(rec, { lastLines });
          throw new ApiError(
            'NOT_READY_TIMEOUT',
            `The model server did not become ready within ${Math.round(timeoutMs / 1000)} s (server ${err.last.server ? 'ready' : 'not ready'}, model ${spec.modelName} ${err.last.model ? 'ready' : 'not ready'}${err.last.detail ? `, last answer: ${err.last.detail}` : ''}). It was stopped. If the model is just slow to load, start again with a longer timeout.${lastLinesText(lastLines)}`,
            { lastLines },
            'NotReadyError',
          );
        }
        throw err;
      }
      const readyAt = new Date();
      this.update(
        rec,
        { state: 'ready', message: `Ready at ${rec.run.url}`, readyAt: readyAt.toISOString(), readyMs: readyAt.getTime() - t0 },
        1,
      );
      job.log(`Model ${spec.modelName} is ready at ${rec.run.url} (${((readyAt.getTime() - t0) / 1000).toFixed(1)} s after Start)`, 'info');
      rec.ready.resolve(rec.run);

      const outcome = await Promise.race([
        rec.stop.promise.then(() => 'stop' as const),
        exitedError.then((error) => ({ error })),
        new Promise<'abort'>((resolve) => job.signal.addEventListener('abort', () => resolve('abort'), { once: true })),
      ]);
      if (typeof outcome === 'object') throw outcome.error;
      this.update(rec, { state: 'stopping', message: 'Stopping…' });
      return rec.run;
    } catch (err) {
      const e =
        err instanceof ApiError
          ? err
          : new ApiError((err as NodeJS.ErrnoException).code ?? 'START_FAILED', (err as Error).message, undefined, (err as Error).name);
      const cancelled = job.signal.aborted || e.code === 'CANCELLED';
      this.update(
        rec,
        cancelled
          ? { state: 'stopping', message: 'Stopping…' }
          : { state: rec.run.state === 'exited' ? 'exited' : 'failed', message: e.message, error: { code: e.code, message: e.message } },
      );
      rec.ready.reject(e);
      if (cancelled) return rec.run;
      throw e;
    } finally {
      tearingDown = true;
      if (docker && container) {
        await container.stop({ t: 5 }).catch(() => undefined);
        await removeContainerQuietly(docker, container.id).catch((err) =>
          job.log(`Could not remove container ${container!.id.slice(0, 12)}: ${(err as Error).message}`, 'stderr'),
        );
        await logs?.catch(() => undefined);
        job.log(`Container ${container.id.slice(0, 12)} stopped and removed`, 'info');
      }
      const endedAt = new Date().toISOString();
      const finalState = rec.run.state === 'failed' || rec.run.state === 'exited' ? rec.run.state : 'stopped';
      this.update(rec, { state: finalState, endedAt, ...(finalState === 'stopped' ? { message: 'Stopped' } : {}) });
      await this.saveRun(rec, job).catch((err) =>
        job.log(`Could not save the run's logs in ${rec.run.runDir}: ${systemErrorReason(err)}`, 'stderr'),
      );
      rec.ended.resolve(rec.run);
    }
  }

  private async prepareBuild(rec: RunRecord, job: JobHandle, spec: ServerSpec, templateFile: string, opts: StartOptions): Promise<void> {
    const mode = opts.build ?? 'if-missing';
    const exists = await fs.stat(spec.resourceDir).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (mode === 'always' || (mode === 'if-missing' && !exists)) {
      this.update(rec, { message: 'Building .dism-artifacts/build (local build)…' });
      const res = await buildLocal(templateFile, { onProgress: (m) => job.log(m, 'info') });
      job.log(`Local build written to ${res.buildDir} (local build — DIALS checks not run)`, 'info');
    } else if (!exists) {
      throw new ApiError(
        'BUILD_MISSING',
        `There is no local build for ${spec.resourceKey} (${spec.resourceDir} is missing). Run the local build first.`,
        undefined,
        'BuildMissingError',
      );
    }
  }

  private async pullIfMissing(rec: RunRecord, job: JobHandle, docker: Docker, spec: ServerSpec): Promise<void> {
    let lastLogged = 0;
    const { pulled } = await ensureImage(docker, spec.image, {
      signal: job.signal,
      onPullStart: () => {
        this.update(rec, { state: 'pulling', message: `Pulling ${spec.image}…`, pull: { fraction: null, status: '', layers: [] } }, null);
        job.log(`Image ${spec.image} is not on this machine; pulling it`, 'info');
      },
      onProgress: (p) => {
        this.update(
          rec,
          {
            pull: p,
            message: `Pulling ${spec.image}: ${p.layers.filter((l) => /complete|exists/i.test(l.status)).length}/${p.layers.length} layers`,
          },
          p.fraction,
        );
        if (Date.now() - lastLogged > 2000) {
          lastLogged = Date.now();
          job.log(
            `pull: ${p.layers.map((l) => `${l.id} ${l.status}${l.total ? ` ${Math.round(((l.current ?? 0) / l.total) * 100)}%` : ''}`).join(', ') || p.status}`,
            'info',
          );
        }
      },
    });
    if (pulled) job.log(`Pulled ${spec.image}`, 'info');
  }

  /** Containers of this project left by an earlier session (crash, kill -9) are removed before starting. */
  private async removeOrphans(job: JobHandle, docker: Docker, projectDir: string): Promise<void> {
    const tracked = new Set([...this.records.values()].map((r) => r.run.containerId).filter(Boolean));
    for (const c of await findStudioContainers(docker, { 'dism.project': projectDir, 'dism.role': MODEL_SERVER_ROLE })) {
      if (tracked.has(c.Id)) continue;
      const owner = c.Labels[OWNER_LABEL];
      if (ownerIsAlive(owner) && !owner.startsWith(`${process.pid}@`)) {
        job.log(`Container ${c.Id.slice(0, 12)} for this project belongs to another running DISM Studio (${owner}); leaving it`, 'info');
        continue;
      }
      await removeContainerQuietly(docker, c.Id);
      job.log(`Removed orphaned container ${c.Names?.[0] ?? c.Id.slice(0, 12)} (${c.State}) left by an earlier session`, 'info');
    }
  }

  private async checkMountReadable(job: JobHandle, spec: ServerSpec, fix: boolean): Promise<void> {
    if (spec.runsAsUid === undefined) return;
    let bad = await unreadableBy(spec.resourceDir, spec.runsAsUid, 0);
    if (bad.length && fix) {
      await makeWorldReadable(spec.resourceDir);
      job.log(`Made ${spec.resourceDir} readable for everyone (chmod -R a+rX)`, 'info');
      bad = await unreadableBy(spec.resourceDir, spec.runsAsUid, 0);
    }
    if (bad.length) {
      const list = bad
        .slice(0, 8)
        .map((b) => `  ${path.relative(spec.resourceDir, b.path) || '.'} (${b.kind}, mode ${b.mode}, owner ${b.uid}:${b.gid})`);
      throw new ApiError(
        'MOUNT_NOT_READABLE',
        `The ${spec.framework} image runs as UID ${spec.runsAsUid}, which cannot read ${bad.length}${bad.length >= 50 ? '+' : ''} entr${bad.length === 1 ? 'y' : 'ies'} of ${spec.resourceDir}:\n${list.join('\n')}\nFix: chmod -R a+rX "${spec.resourceDir}" (or make the files in CodeUri readable and build again), or start with "Fix permissions".`,
        { unreadable: bad },
        'PermissionError',
      );
    }
  }

  private async createAndStart(
    rec: RunRecord,
    job: JobHandle,
    docker: Docker,
    spec: ServerSpec,
  ): Promise<{ container: Docker.Container; logs: Promise<void> }> {
    const tried = new Set<number>();
    const portKey = `${spec.containerPort}/tcp`;
    for (let attempt = 0; ; attempt++) {
      const hostPort = await findFreePort(rec.run.requestedPort, '127.0.0.1', 100, tried);
      tried.add(hostPort);
      const portNote =
        hostPort !== rec.run.requestedPort ? `Port ${rec.run.requestedPort} is in use on 127.0.0.1; using ${hostPort}.` : undefined;
      const container = await docker.createContainer({
        name: `dism-studio-${spec.modelName}-${rec.run.id.slice(0, 8)}`,
        Image: spec.image,
        Cmd: spec.cmd,
        Env: spec.env,
        Tty: false,
        Labels: studioLabels({
          project: rec.run.projectDir,
          role: MODEL_SERVER_ROLE,
          extra: { [RESOURCE_LABEL]: spec.resourceKey, 'dism.run': rec.run.id },
        }),
        ExposedPorts: { [portKey]: {} },
        HostConfig: {
          Binds: [`${spec.resourceDir}:${spec.mountPath}:ro`],
          PortBindings: { [portKey]: [{ HostIp: '127.0.0.1', HostPort: String(hostPort) }] },
        },
      });
      this.update(rec, { containerId: container.id });
      let stream: Readable | undefined;
      let logs: Promise<void> | undefined;
      try {
        // Attach before start so no early output (e.g. an import traceback) is missed. Podman
        // already prepares the container when attached to, so this fails as a start would.
        stream = (await container.attach({ stream: true, stdout: true, stderr: true, logs: true })) as unknown as Readable;
        // The attach socket is cut when the container is removed: that ends the logs, it is not an error.
        logs = demuxDockerStream(stream, (s, text) => job.log(text, s)).catch(() => undefined);
        await container.start();
      } catch (err) {
        stream?.destroy();
        await removeContainerQuietly(docker, container.id);
        if (isPortConflict(err) && attempt < PORT_RETRIES) {
          job.log(`Port ${hostPort} was taken while starting; trying the next one`, 'info');
          continue;
        }
        const msg = (err as { json?: { message?: string } }).json?.message ?? (err as Error).message;
        throw new ApiError(
          'CONTAINER_START_FAILED',
          `The container for ${spec.modelName} could not start: ${msg}${/executable file not found|no such file/i.test(msg) ? `\nThe image ${spec.image} has no "${spec.cmd[0]}" command; is it a ${spec.framework} image?` : ''}`,
          undefined,
          'ContainerStartError',
        );
      }
      const url = `http://127.0.0.1:${hostPort}`;
      this.update(rec, { hostPort, url, ...(portNote ? { portNote } : {}) });
      job.log(
        `Started container ${container.id.slice(0, 12)} from ${spec.image}: ${spec.cmd.join(' ')}; ${spec.resourceDir} mounted read-only at ${spec.mountPath}; ${url} → port ${spec.containerPort}`,
        'info',
      );
      if (portNote) job.log(portNote, 'info');
      return { container, logs: logs! };
    }
  }

  private async exitError(
    rec: RunRecord,
    container: Docker.Container,
    code: number,
    when: string,
    attached: Promise<void>,
  ): Promise<ApiError> {
    // The container's whole output is in the job log once the attached stream has ended (it ends
    // with the container; a short wait covers an engine that is slow to close it). Asking the
    // engine for the logs of a container that has just exited can hang without keeping the process
    // alive (seen with dockerode on Docker 20.10: the CLI then quit with exit code 0).
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([attached, new Promise((r) => (timer = setTimeout(r, 3000)))]);
    clearTimeout(timer);
    const output = rec.job
      ? this.deps.jobs
          .logs(rec.job.id, 0, 100_000)
          .filter((l): l is typeof l & { stream: 'stdout' | 'stderr' } => l.stream === 'stdout' || l.stream === 'stderr')
          .map((l) => ({ stream: l.stream, text: l.text }))
      : await tailContainerLogs(container, 30).catch(() => []);
    const lastLines = output.slice(-30);
    // Triton stops when a model fails to load (--exit-on-error): say which field caused it
    const problems =
      rec.run.framework === 'Tritonserver'
        ? tritonLoadProblems(
            output.map((l) => l.text),
            { template: rec.template, resource: rec.resource },
          )
        : [];
    this.update(rec, { state: 'exited', exitCode: code, lastLines, ...(problems.length ? { problems } : {}) });
    if (problems.length)
      return new ApiError(
        'MODEL_LOAD_FAILED',
        `Triton could not load the model ${rec.run.modelName} and stopped (exit code ${code}):\n${problems.map(problemText).join('\n')}`,
        { exitCode: code, lastLines, problems },
        'ModelLoadError',
      );
    return new ApiError(
      'CONTAINER_EXITED',
      `The model server container exited with code ${code} ${when}.${lastLinesText(lastLines)}`,
      { exitCode: code, lastLines },
      'ContainerExitedError',
    );
  }

  /** The run's container log and state, saved in the project (`.dism-studio/runs/<time>-<resource>/`). */
  private async saveRun(rec: RunRecord, job: JobHandle): Promise<void> {
    const runDir = rec.run.runDir!;
    const lines = this.deps.jobs.logs(job.id, 0, 100_000).map((l) => `${l.ts} ${l.stream.padEnd(6)} ${l.text}`);
    await writeFileAtomic(path.join(runDir, 'model-server.log'), `${lines.join('\n')}\n`);
    await writeFileAtomic(path.join(runDir, 'run.json'), `${JSON.stringify(rec.run, null, 2)}\n`);
  }
}
