import { methods, type MethodName } from '../../shared/api/contract';
import { ApiError, SchemaError, serializeError } from '../../shared/api/errors';
import type { ApiReply } from '../../shared/api/client';
import type { BackendContext, HandlerMap } from './types';

export type AllHandlers = HandlerMap<MethodName>;

function formatIssues(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): string {
  return issues
    .map((i) => (i.path.length ? `${i.path.map(String).join('.')}: ${i.message}` : i.message))
    .join('; ');
}

/**
 * The single entry for every API call, whatever the transport. Validates the payload against the
 * contract, runs the handler, and always answers with an envelope (never throws).
 */
export function createDispatcher(handlers: AllHandlers, ctx: BackendContext) {
  return async function dispatch(method: unknown, rawInput: unknown): Promise<ApiReply> {
    try {
      if (typeof method !== 'string' || !Object.prototype.hasOwnProperty.call(methods, method)) {
        throw new ApiError('UNKNOWN_METHOD', `Unknown API method: ${String(method)}`);
      }
      const name = method as MethodName;
      const spec = methods[name];
      const parsed = spec.input.safeParse(rawInput);
      if (!parsed.success) {
        throw new SchemaError(`Invalid payload for ${name}: ${formatIssues(parsed.error.issues)}`, parsed.error.issues);
      }
      const handler = handlers[name] as (input: unknown, c: BackendContext) => unknown;
      const result = await handler(parsed.data, ctx);
      return { ok: true, result };
    } catch (err) {
      return { ok: false, error: serializeError(err) };
    }
  };
}

export type Dispatch = ReturnType<typeof createDispatcher>;
