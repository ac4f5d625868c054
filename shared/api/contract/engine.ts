import { z } from 'zod';
import { method } from './define';

export const EngineCandidate = z.object({
  /** Where we looked: a socket path or a tcp:// URL. */
  address: z.string(),
  /** Why this address was tried, e.g. "DOCKER_HOST", "Docker Desktop socket", "rootless Podman". */
  source: z.string(),
  outcome: z.enum(['ok', 'missing', 'permission-denied', 'refused', 'timeout', 'error']),
  detail: z.string().optional(),
});
export type EngineCandidate = z.infer<typeof EngineCandidate>;

export const EngineStatus = z.object({
  state: z.enum(['checking', 'connected', 'unreachable']),
  kind: z.enum(['docker', 'podman']).optional(),
  version: z.string().optional(),
  apiVersion: z.string().optional(),
  address: z.string().optional(),
  /** Every address tried, in order, with what happened. */
  tried: z.array(EngineCandidate),
  /** What the user should do when unreachable (one item per suggestion). */
  advice: z.array(z.string()),
  checkedAt: z.string(),
});
export type EngineStatus = z.infer<typeof EngineStatus>;

export const engineMethods = {
  'engine.status': method(
    z.object({ refresh: z.boolean().optional() }).strict(),
    EngineStatus,
    'Container engine connection state; refresh re-runs discovery',
  ),
};
