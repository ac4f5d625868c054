import { promises as fs } from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import type { DismcliCommand, DismcliEvent, DismcliProblem, DismcliRunResult } from '@/shared/api/contract/dismcli';
import { ApiError } from '@/shared/api/errors';
import { studioLabels } from '../engine/labels';
import { containerUserFor, runOneShotContainer } from '../engine/run-container';
import { ARTIFACTS_DIR } from '../projects/project-folder';
import { DismcliOutputParser } from './output-parser';

const DISMCLI_ROLE = 'dismcli';

export interface RunDismcliOptions {
  projectDir: string;
  command: DismcliCommand;
  /**
   * The template, relative to the project. dismcli runs in the template's folder (as the DISM
   * examples do), so .dism-artifacts/ lands next to the template, where the local build and
   * start-api look for it; required for build, and for package it picks that same folder.
   */
  template?: string;
  dialsUrl: string;
  imageTag: string;
  /** Bind the engine socket (some dismcli commands drive the engine themselves). */
  engineSocket?: string | null;
  /** Run as this user so files in the project are not left owned by root. */
  user?: { uid: number; gid: number };
  signal?: AbortSignal;
  onLine?: (text: string) => void;
  onEvent?: (event: DismcliEvent) => void;
}

function dismcliArgs(command: DismcliCommand, dialsUrl: string, template?: string): string[] {
  if (command === 'build') {
    if (!template) throw new ApiError('INVALID_INPUT', 'dismcli build needs the template.', undefined, 'InvalidInputError');
    return ['dismcli', 'build', '-f', template, '-u', dialsUrl];
  }
  // -i: never stop at the interactive duplicate-name question; stdin is closed anyway.
  return ['dismcli', 'package', '-u', dialsUrl, '-i'];
}

/** Template path as dismcli will see it: relative to the project, and inside it. */
async function projectRelativeTemplate(projectDir: string, template: string): Promise<string> {
  const abs = path.resolve(projectDir, template);
  const rel = path.relative(projectDir, abs);
  if (rel.startsWith('..') || path.isAbsolute(rel))
    throw new ApiError(
      'INVALID_INPUT',
      `The template ${abs} is outside the project folder ${projectDir}; dismcli only sees the project.`,
      undefined,
      'InvalidInputError',
    );
  const st = await fs.stat(abs).catch(() => null);
  if (!st?.isFile()) throw new ApiError('NOT_FOUND', `Template not found: ${abs}`, undefined, 'NotFoundError');
  return rel.split(path.sep).join('/');
}

async function listArtifacts(projectDir: string, workDir: string, command: DismcliCommand): Promise<string[]> {
  const root = path.join(workDir, ARTIFACTS_DIR, command);
  const out: string[] = [];
  const walk = async (dir: string) => {
    for (const e of await fs.readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const abs = path.join(dir, e.name);
      if (e.isDirectory()) await walk(abs);
      else out.push(path.relative(projectDir, abs).split(path.sep).join('/'));
    }
  };
  await walk(root);
  return out.sort();
}

/** Group of the engine socket, so a non-root user inside the runner may use it. */
async function socketGroup(socket: string): Promise<number | null> {
  return fs.stat(socket).then(
    (s) => s.gid,
    () => null,
  );
}

/**
 * Run one dismcli command in the runner image: the project bound at its own absolute path, the
 * template's folder in it as the working directory (dismcli's relative paths, .dism-artifacts and
 * its .cache/.cache-dev token cache live there), the user's UID/GID, no stdin, output parsed live.
 * The container is removed however it ends.
 */
export async function runDismcli(docker: Docker, opts: RunDismcliOptions): Promise<DismcliRunResult> {
  const projectDir = path.resolve(opts.projectDir);
  const template =
    opts.template !== undefined || opts.command === 'build' ? await projectRelativeTemplate(projectDir, opts.template ?? '') : undefined;
  const workDir = template ? path.dirname(path.join(projectDir, template)) : projectDir;
  const cmd = dismcliArgs(opts.command, opts.dialsUrl, template && path.posix.basename(template));
  const user = opts.user ?? containerUserFor({});
  const binds = [`${projectDir}:${projectDir}`];
  const groupAdd: string[] = [];
  if (opts.engineSocket) {
    binds.push(`${opts.engineSocket}:/var/run/docker.sock`);
    const gid = await socketGroup(opts.engineSocket);
    if (gid !== null && gid !== user.gid) groupAdd.push(String(gid));
  }
  const parser = new DismcliOutputParser();
  const emit = (events: DismcliEvent[]) => events.forEach((e) => opts.onEvent?.(e));
  opts.onLine?.(`$ ${cmd.join(' ')}   (in ${workDir}, image ${opts.imageTag})`);

  const { exitCode } = await runOneShotContainer(
    docker,
    {
      Image: opts.imageTag,
      Cmd: cmd,
      WorkingDir: workDir,
      User: `${user.uid}:${user.gid}`,
      Env: ['HOME=/tmp', 'PYTHONUNBUFFERED=1', ...(opts.engineSocket ? ['DOCKER_HOST=unix:///var/run/docker.sock'] : [])],
      Labels: studioLabels({ project: projectDir, role: DISMCLI_ROLE }),
      // A TTY makes Python (even a PyInstaller build that ignores PYTHONUNBUFFERED) flush each line,
      // so the login URL shows while dismcli waits; stdin stays closed so a prompt fails instead of hanging.
      Tty: true,
      HostConfig: { Binds: binds, ...(groupAdd.length ? { GroupAdd: groupAdd } : {}) },
    },
    {
      signal: opts.signal,
      onLine: (_s, text) => {
        opts.onLine?.(text);
        emit(parser.feed(text));
      },
    },
  );
  emit(parser.end());
  const problems: DismcliProblem[] = parser.all();
  if (exitCode !== 0 && problems.length === 0) {
    const p: DismcliProblem = {
      kind: 'exit',
      title: `dismcli ${opts.command} failed (exit code ${exitCode})`,
      message: `dismcli ended with exit code ${exitCode} without a recognised error message.`,
      hint: 'Read the log for what it printed last.',
      lines: [],
    };
    problems.push(p);
    emit([{ type: 'problem', problem: p }]);
  }
  return {
    command: opts.command,
    exitCode,
    ok: exitCode === 0,
    problems,
    artifacts: await listArtifacts(projectDir, workDir, opts.command),
    dialsUrl: opts.dialsUrl,
    imageTag: opts.imageTag,
  };
}
