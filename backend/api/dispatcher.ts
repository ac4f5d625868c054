import { methods, type MethodName } from '@/shared/api/contract';
import { ApiError, SchemaError, serializeError } from '@/shared/api/errors';
import type { ApiReply } from '@/shared/api/client';
import type { BackendContext, HandlerMap } from './types';
import { WRITES } from './write-targets';
import type { WriteTarget } from '../projects/opened-folders';
import { issuesText } from '@/shared/api/issue-text';

export type AllHandlers = HandlerMap<MethodName>;

/**
 * Deepest nesting an API input may have. The contract's deepest input (a preset inside a call) is
 * under ten levels; the limit keeps schema checks and handlers, which recurse, off pathological input.
 */
export const MAX_INPUT_DEPTH = 32;

/** Nesting depth of a JSON-like value (a scalar is 0, `{}` is 1), walked without recursion; stops at limit + 1. */
function inputDepth(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    const depth = d + 1;
    if (depth > deepest) deepest = depth;
    if (deepest > limit) return deepest;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth]);
  }
  return deepest;
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
      if (inputDepth(rawInput, MAX_INPUT_DEPTH) > MAX_INPUT_DEPTH) {
        throw new ApiError(
          'INPUT_TOO_DEEP',
          `Invalid payload for ${name}: the input is nested more than ${MAX_INPUT_DEPTH} levels deep, which no DISM Studio call needs.`,
          undefined,
          'SchemaError',
        );
      }
      const parsed = spec.input.safeParse(rawInput);
      if (!parsed.success) {
        throw new SchemaError(`Invalid payload for ${name}: ${issuesText(parsed.error.issues)}`, parsed.error.issues);
      }
      // The one place API writes are checked: only inside folders the user opened (see OpenedFolders).
      const writes = WRITES[name] as 'nothing' | ((input: unknown, c: BackendContext) => WriteTarget[]);
      if (writes !== 'nothing') for (const target of writes(parsed.data, ctx)) await ctx.opened.assertWritable(target);
      const handler = handlers[name] as (input: unknown, c: BackendContext) => unknown;
      const result = await handler(parsed.data, ctx);
      return { ok: true, result };
    } catch (err) {
      return { ok: false, error: serializeError(err) };
    }
  };
}
