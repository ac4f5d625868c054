import { describeSystemError } from './system-errors';

/**
 * Errors cross the UI/back-end boundary as plain data so the UI sees the real name and message
 * (Electron's ipc would otherwise wrap them as "Error invoking remote method").
 */
export interface SerializedError {
  name: string;
  message: string;
  /** Machine-readable code, e.g. SCHEMA_INVALID, NOT_FOUND, ENGINE_UNREACHABLE. */
  code?: string;
  /** Structured extra detail (schema issues, paths tried, …). Must be JSON-serialisable. */
  details?: unknown;
}

export class ApiError extends Error {
  readonly code: string;
  readonly details?: unknown;
  constructor(code: string, message: string, details?: unknown, name = 'ApiError') {
    super(message);
    this.name = name;
    this.code = code;
    this.details = details;
  }
}

/** A payload that did not match the contract's schema. */
export class SchemaError extends ApiError {
  constructor(message: string, details?: unknown) {
    super('SCHEMA_INVALID', message, details, 'SchemaError');
  }
}

export function serializeError(err: unknown): SerializedError {
  if (err instanceof ApiError) {
    return { name: err.name, message: err.message, code: err.code, details: toJsonSafe(err.details) };
  }
  const system = describeSystemError(err);
  if (system)
    return {
      name: 'FileSystemError',
      message: system.message,
      code: system.code,
      ...(system.path ? { details: { path: system.path } } : {}),
    };
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return { name: err.name, message: err.message, ...(typeof code === 'string' ? { code } : {}) };
  }
  return { name: 'Error', message: String(err) };
}

export function deserializeError(e: SerializedError): ApiError {
  return new ApiError(e.code ?? 'ERROR', e.message, e.details, e.name);
}

function toJsonSafe(v: unknown): unknown {
  if (v === undefined) return undefined;
  try {
    return JSON.parse(JSON.stringify(v));
  } catch {
    return String(v);
  }
}
