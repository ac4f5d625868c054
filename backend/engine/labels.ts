/**
 * The labels on every container and image DISM Studio creates:
 *   - `dism.studio=1`            (STUDIO_LABEL) so anything we made can be found and cleaned up;
 *   - `dism.project=<abs dir>`   (PROJECT_LABEL) the project folder it belongs to;
 *   - `dism.role=<role>`         (ROLE_LABEL) what it is, e.g. `model-server`, `dismcli-runner`;
 *   - `dism.owner=<pid@host>`    (OWNER_LABEL) the process that started it, so a later start can tell
 *                                an orphan (owner gone) from a container another live window runs.
 * Build them with `studioLabels()`, find them with `findStudioContainers()`.
 */
import os from 'node:os';
import type Docker from 'dockerode';
import { pidAlive } from '../fs/atomic-write';

export const STUDIO_LABEL = 'dism.studio';
export const PROJECT_LABEL = 'dism.project';
export const ROLE_LABEL = 'dism.role';
export const OWNER_LABEL = 'dism.owner';

/** Identifies this process in OWNER_LABEL. */
function ownerId(): string {
  return `${process.pid}@${os.hostname()}`;
}

export function studioLabels(opts: { project?: string; role?: string; extra?: Record<string, string> } = {}): Record<string, string> {
  return {
    [STUDIO_LABEL]: '1',
    [OWNER_LABEL]: ownerId(),
    ...(opts.project ? { [PROJECT_LABEL]: opts.project } : {}),
    ...(opts.role ? { [ROLE_LABEL]: opts.role } : {}),
    ...(opts.extra ?? {}),
  };
}

/** True when the owner recorded in a label is a live process on this host. */
export function ownerIsAlive(owner: string | undefined): boolean {
  if (!owner) return false;
  const [pidText, host] = owner.split('@');
  if (host !== os.hostname()) return true; // another machine's engine client: not ours to judge
  const pid = Number(pidText);
  return Number.isInteger(pid) && pid > 0 && pidAlive(pid);
}

export async function findStudioContainers(
  docker: Docker,
  labels: Record<string, string> = {},
  all = true,
): Promise<Docker.ContainerInfo[]> {
  const filters = [`${STUDIO_LABEL}=1`, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)];
  return docker.listContainers({ all, filters: { label: filters } });
}
