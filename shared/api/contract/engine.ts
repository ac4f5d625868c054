import { z } from 'zod';
import { method } from './define';

export const EngineCandidate = z.object({
  /** Where we looked: a socket path, a unix:// / tcp:// / ssh:// / npipe:// address, or an unresolved context's meta.json. */
  address: z.string(),
  /** Why this address was tried, e.g. "DOCKER_HOST", 'docker context "colima" (…)', "Colima (profile default)", "rootless Podman socket". */
  source: z.string(),
  outcome: z.enum(['ok', 'missing', 'permission-denied', 'refused', 'timeout', 'error']),
  detail: z.string().optional(),
});
export type EngineCandidate = z.infer<typeof EngineCandidate>;

/** The Podman API service DISM Studio started itself (a child of the app, stopped with it). */
export const StartedPodmanService = z.object({
  command: z.string(),
  socket: z.string(),
  pid: z.number().int(),
  startedAt: z.string(),
});
export type StartedPodmanService = z.infer<typeof StartedPodmanService>;

/**
 * What DISM Studio can do itself when no engine answers: podman is installed but its API socket is
 * not running and there is no systemd user session to start it (lxplus-like hosts).
 */
export const PodmanServiceOffer = z.object({
  /** The command DISM Studio would run, as a child process. */
  command: z.string(),
  socket: z.string(),
  /** Why this is offered, in plain words. */
  why: z.string(),
});
export type PodmanServiceOffer = z.infer<typeof PodmanServiceOffer>;

export const EngineStatus = z.object({
  state: z.enum(['checking', 'connected', 'unreachable']),
  kind: z.enum(['docker', 'podman']).optional(),
  version: z.string().optional(),
  apiVersion: z.string().optional(),
  address: z.string().optional(),
  /** The engine runs as a normal user (rootless Docker or Podman): container root is that user. */
  rootless: z.boolean().optional(),
  /** The engine labels containers with SELinux: mounts of the user's folders are relabelled (:z). */
  selinux: z.boolean().optional(),
  /** Every address tried, in order, with what happened. */
  tried: z.array(EngineCandidate),
  /** What the user should do when unreachable (one item per suggestion). */
  advice: z.array(z.string()),
  /** Things worth knowing while connected, e.g. that the current docker context did not answer. */
  notes: z.array(z.string()).optional(),
  /** When unreachable: the Podman service DISM Studio can start (engine.startPodmanService). */
  podmanOffer: PodmanServiceOffer.optional(),
  /** The Podman service DISM Studio started and is using. */
  podmanService: StartedPodmanService.optional(),
  checkedAt: z.string(),
});
export type EngineStatus = z.infer<typeof EngineStatus>;

/** One reason a project folder may not reach the containers (the model server, dismcli). */
export const LocationProblem = z.object({
  kind: z.enum(['fuse', 'network', 'not-shared', 'mount-refused']),
  /** 'warning': it may fail; 'error': the engine was seen not to get the folder. */
  severity: z.enum(['warning', 'error']),
  title: z.string(),
  message: z.string(),
  /** What to do, in plain words. */
  fix: z.string(),
});
export type LocationProblem = z.infer<typeof LocationProblem>;

export const ProjectLocation = z.object({
  dir: z.string(),
  /** The file system the folder is on (Linux: from /proc/self/mountinfo), when known. */
  filesystem: z.object({ type: z.string(), mountPoint: z.string(), source: z.string() }).nullable(),
  /** The probe mount: a container created (never started) with the folder bound, asked whether it sees a file of it. */
  probe: z.object({
    outcome: z.enum(['sees-the-folder', 'empty-folder', 'refused', 'skipped']),
    detail: z.string(),
  }),
  problems: z.array(LocationProblem),
  /** A folder the project can be copied to (a local or AFS home), when a problem was found. */
  suggestedCopy: z.string().optional(),
});
export type ProjectLocation = z.infer<typeof ProjectLocation>;

export const engineMethods = {
  'engine.status': method(
    z.object({ refresh: z.boolean().optional() }).strict(),
    EngineStatus,
    'Container engine connection state; refresh re-runs discovery',
  ),
  'engine.startPodmanService': method(
    z.object({}).strict(),
    EngineStatus,
    'Start the offered Podman API service as a child of DISM Studio (stopped with it) and connect to it',
  ),
  'engine.checkProjectLocation': method(
    z.object({ projectDir: z.string().min(1), probe: z.boolean().optional() }).strict(),
    ProjectLocation,
    'Whether containers can mount this project folder: its file system (FUSE such as /eos, network) and a probe mount on the engine',
  ),
};
