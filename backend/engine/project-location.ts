/**
 * Can the container engine mount this project folder? Two checks, before a build or a start:
 *   - the file system the folder is on (Linux: /proc/self/mountinfo). A FUSE file system such as
 *     EOS (/eos) lets only the user who mounted it, with that user's credentials, see its files, so
 *     the engine (root, or a rootless engine's user namespace) cannot bind-mount it: the model
 *     server or dismcli fail or see an empty folder ("running it on /eos seems not to work; you need
 *     to run from /afs"). Network file systems may refuse the engine the same way (root squash).
 *   - a probe mount: a container is created (never started) with the folder bound and the engine
 *     is asked whether it sees a file of it there. An engine in a virtual machine (Docker Desktop,
 *     Colima, Podman machine on macOS) that does not share the folder sees it empty, or refuses it.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import type { LocationProblem, ProjectLocation } from '@/shared/api/contract';
import { findStudioContainers, OWNER_LABEL, ownerIsAlive, studioLabels } from './labels';
import { removeContainerQuietly } from './run-container';

export interface MountEntry {
  mountPoint: string;
  type: string;
  source: string;
}

/** `\040`-style escapes of /proc/self/mountinfo. */
function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** The mounts of a /proc/<pid>/mountinfo text. */
export function parseMountInfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const dash = line.indexOf(' - ');
    if (dash < 0) continue;
    const left = line.slice(0, dash).split(' ');
    const right = line.slice(dash + 3).split(' ');
    if (left.length < 5 || right.length < 2) continue;
    out.push({ mountPoint: unescapeMount(left[4]), type: right[0], source: unescapeMount(right[1]) });
  }
  return out;
}

/** The mount a path lies on: the last-mounted one with the longest mount point containing it. */
export function mountOf(dir: string, mounts: MountEntry[]): MountEntry | null {
  let best: MountEntry | null = null;
  for (const m of mounts) {
    const inside = m.mountPoint === '/' || dir === m.mountPoint || dir.startsWith(`${m.mountPoint}/`);
    if (inside && (!best || m.mountPoint.length >= best.mountPoint.length)) best = m;
  }
  return best;
}

const NETWORK_FILESYSTEMS = new Set(['nfs', 'nfs4', 'cifs', 'smb3', 'smbfs', 'ceph', 'glusterfs', 'lustre', 'gpfs', '9p']);

function copyFix(suggestedCopy: string | undefined): string {
  return `Copy the project to /afs (your AFS home) or a local disk and work on the copy${suggestedCopy ? ` (DISM Studio can copy it, e.g. to ${suggestedCopy})` : ''}; export the artifacts to /eos afterwards if you need them there.`;
}

/** The warning for the file system a project is on, or null for one engines mount fine (local disks, AFS). */
export function filesystemProblem(dir: string, mount: MountEntry, suggestedCopy?: string): LocationProblem | null {
  const fuse = mount.type === 'fuse' || mount.type === 'fuseblk' || mount.type.startsWith('fuse.');
  const eos = mount.type === 'fuse.eosxd' || /^\/eos(\/|$)/.test(dir) || /^eos/i.test(mount.source);
  if (fuse) {
    return {
      kind: 'fuse',
      severity: 'warning',
      title: eos
        ? `This project is on EOS (${mount.mountPoint}), which containers cannot mount`
        : `This project is on a FUSE file system (${mount.type} at ${mount.mountPoint})`,
      message: `${dir} is on ${mount.type} (${mount.source}). A FUSE mount${eos ? ' such as EOS' : ''} shows its files only to the user who mounted it, with that user's credentials; the container engine is another user (root, or the user namespace of rootless Podman), so the model server and dismcli cannot bind-mount the project: they fail or see an empty folder.`,
      fix: copyFix(suggestedCopy),
    };
  }
  if (NETWORK_FILESYSTEMS.has(mount.type)) {
    return {
      kind: 'network',
      severity: 'warning',
      title: `This project is on a network file system (${mount.type} at ${mount.mountPoint})`,
      message: `${dir} is on ${mount.type} (${mount.source}). Network file systems often refuse the container engine: a rootful engine acts as root, which the server may treat as nobody (root squash), and rootless Podman's user namespace may not be let in. The model server and dismcli would then fail to mount the project.`,
      fix: copyFix(suggestedCopy).replace('/afs (your AFS home) or a local disk', 'a local disk'),
    };
  }
  return null;
}

/** An entry of the folder to look for through the engine: a template if there is one, else the first visible entry. */
async function probeEntry(dir: string): Promise<string | undefined> {
  const names = (await fs.readdir(dir).catch(() => [] as string[])).sort();
  return names.find((n) => n === 'template.yaml') ?? names.find((n) => !n.startsWith('.')) ?? names[0];
}

const PROBE_MOUNT = '/dism-studio-probe';

function sharingHint(platform: NodeJS.Platform): string {
  if (platform === 'darwin')
    return 'Docker Desktop: Settings → Resources → File sharing; Colima: the mounts in ~/.colima/default/colima.yaml (only your home folder by default); Podman machine: the volumes given to podman machine init -v; OrbStack and Rancher Desktop share your home folder';
  if (platform === 'win32') return 'Docker Desktop: Settings → Resources → File sharing, or keep the project inside your user folder';
  return 'the engine runs somewhere that does not have this folder (another machine, a virtual machine, or another mount namespace)';
}

/**
 * The probe mount: create (never start) a container from a local image with the folder bound, and
 * ask the engine whether a file of the folder is there. Needs no shell in the image.
 */
export async function probeMount(
  docker: Docker,
  dir: string,
  opts: { image?: string; platform?: NodeJS.Platform } = {},
): Promise<{ probe: ProjectLocation['probe']; problem?: LocationProblem }> {
  const platform = opts.platform ?? process.platform;
  const entry = await probeEntry(dir);
  if (!entry) return { probe: { outcome: 'skipped', detail: 'the folder is empty; there is nothing to look for' } };
  let image = opts.image;
  if (!image) {
    const images = await docker.listImages();
    image = images.find((i) => (i.RepoTags ?? []).some((t) => t !== '<none>:<none>'))?.Id ?? images[0]?.Id;
  }
  if (!image) return { probe: { outcome: 'skipped', detail: 'the engine has no image yet to create a probe container from' } };
  // A probe of a DISM Studio that was killed between creating and removing it (it was never
  // started) goes before the next one is made.
  for (const c of await findStudioContainers(docker, { 'dism.project': dir, 'dism.role': 'mount-probe' }).catch(() => []))
    if (!ownerIsAlive(c.Labels[OWNER_LABEL])) await removeContainerQuietly(docker, c.Id).catch(() => undefined);
  let container: Docker.Container;
  try {
    container = await docker.createContainer({
      Image: image,
      Cmd: ['/never-started'],
      NetworkDisabled: true,
      Labels: studioLabels({ project: dir, role: 'mount-probe' }),
      HostConfig: { Binds: [`${dir}:${PROBE_MOUNT}:ro`] },
    });
  } catch (err) {
    const said = (err as { json?: { message?: string } }).json?.message ?? (err as Error).message;
    return {
      probe: { outcome: 'refused', detail: said },
      problem: {
        kind: 'mount-refused',
        severity: 'error',
        title: 'The container engine refuses to mount this project folder',
        message: `Creating a container with ${dir} mounted failed. The engine said: ${said}`,
        fix: `Share the folder with the engine (${sharingHint(platform)}), or copy the project to a folder it can mount.`,
      },
    };
  }
  try {
    // The answer is a bare HTTP response (the stat is in a header): read it to its end, so its
    // connection is let go (an unread one keeps a CLI process alive).
    const answer = (await container.infoArchive({ path: `${PROBE_MOUNT}/${entry}` })) as { resume?: () => void };
    answer.resume?.();
    return { probe: { outcome: 'sees-the-folder', detail: `the engine sees ${entry} in the mounted folder` } };
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 404) throw err;
    return {
      probe: { outcome: 'empty-folder', detail: `the engine does not see ${entry} in the mounted folder` },
      problem: {
        kind: 'not-shared',
        severity: 'error',
        title: 'The container engine does not see this project folder',
        message: `A probe container with ${dir} mounted sees the folder empty (no ${entry}): ${sharingHint(platform)}. The model server and dismcli would find no model and no template there.`,
        fix: `Share ${dir} with the engine, or copy the project into a folder the engine shares (your home folder usually is).`,
      },
    };
  } finally {
    await removeContainerQuietly(docker, container.id).catch(() => undefined);
  }
}

/** A free folder name for the copy: ~/dism-projects/<name>, then <name>-2, -3, … */
export async function suggestedCopyFolder(dir: string, home = os.homedir()): Promise<string> {
  const base = path.join(home, 'dism-projects', path.basename(dir));
  for (let i = 1; ; i++) {
    const candidate = i === 1 ? base : `${base}-${i}`;
    if (!(await fs.stat(candidate).catch(() => null))) return candidate;
  }
}

export interface LocationCheckOptions {
  /** Create the probe container (needs the engine). */
  probe?: boolean;
  /** The image for the probe container (default: any local image). */
  image?: string;
  /** /proc/self/mountinfo's text (tests); read from the machine when absent. */
  mountInfo?: string;
  home?: string;
  platform?: NodeJS.Platform;
}

/** Both checks; `docker` null skips the probe mount (no engine). */
export async function checkProjectLocation(
  dirIn: string,
  docker: Docker | null,
  opts: LocationCheckOptions = {},
): Promise<ProjectLocation> {
  const dir = await fs.realpath(path.resolve(dirIn));
  const platform = opts.platform ?? process.platform;
  const mountInfo = opts.mountInfo ?? (platform === 'linux' ? await fs.readFile('/proc/self/mountinfo', 'utf8').catch(() => '') : '');
  const mount = mountInfo ? mountOf(dir, parseMountInfo(mountInfo)) : null;
  const home = opts.home ?? os.homedir();
  const copyTo = await suggestedCopyFolder(dir, home);
  const problems: LocationProblem[] = [];
  const fsProblem = mount ? filesystemProblem(dir, mount, copyTo) : null;
  if (fsProblem) problems.push(fsProblem);
  let probe: ProjectLocation['probe'] = { outcome: 'skipped', detail: docker ? 'not asked for' : 'no container engine is reachable' };
  if (docker && opts.probe !== false) {
    const r = await probeMount(docker, dir, { image: opts.image, platform });
    probe = r.probe;
    if (r.problem) problems.push(r.problem);
  }
  return {
    dir,
    filesystem: mount ? { type: mount.type, mountPoint: mount.mountPoint, source: mount.source } : null,
    probe,
    problems,
    ...(problems.length ? { suggestedCopy: copyTo } : {}),
  };
}
