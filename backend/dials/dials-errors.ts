import { ApiError } from '@/shared/api/errors';

/**
 * The errors of everything that talks to DIALS, each with a code the UI and the CLI act on and a
 * message that says what is wrong and what to do. No message ever carries a token or a header.
 */
export type DialsErrorCode =
  /** No credentials, or DIALS refused them (expired, revoked): sign in (again). */
  | 'DIALS_SIGN_IN_REQUIRED'
  /** The device code expired, was refused or is unknown. */
  | 'DIALS_SIGN_IN_FAILED'
  /** Signed in, but not allowed (workspace / e-group membership). */
  | 'DIALS_FORBIDDEN'
  | 'DIALS_UNKNOWN_WORKSPACE'
  | 'DIALS_UNKNOWN_DATASET'
  | 'DIALS_UNKNOWN_ME'
  /** None of the asked-for runs has data. */
  | 'DIALS_NO_DATA'
  /** Network down / DIALS not answering, after retries. */
  | 'DIALS_UNREACHABLE'
  /** DIALS kept answering 429 / 5xx after retries, or answered an unexpected status. */
  | 'DIALS_SERVER_ERROR'
  /** A response that is not what the DIALS client's models describe (named field, never skipped). */
  | 'DIALS_BAD_RESPONSE'
  | 'DIALS_BAD_REQUEST'
  /** A different fetch is in data/dials/ and the request did not say to replace it. */
  | 'DIALS_FETCH_EXISTS'
  | 'DIALS_NO_FETCH';

export class DialsError extends ApiError {
  constructor(code: DialsErrorCode, message: string, details?: unknown) {
    super(code, message, details, 'DialsError');
  }
}

/** The error of an HTTP answer that callers may want to branch on (404 of a detail route, …). */
export class DialsHttpError extends DialsError {
  constructor(
    code: DialsErrorCode,
    message: string,
    readonly status: number,
    readonly detail: string | null,
    /** The `code` of a DRF/Keycloak error body (authorization_pending, …). */
    readonly bodyCode: string | null = null,
  ) {
    super(code, message, { status, ...(detail !== null ? { detail } : {}), ...(bodyCode !== null ? { bodyCode } : {}) });
  }
}

export function signInRequired(instance: string, why: string): DialsError {
  return new DialsError(
    'DIALS_SIGN_IN_REQUIRED',
    `${why} Sign in to DIALS (${instance}) — in the app with "Sign in to DIALS", in a terminal with \`dism-studio dials login --instance ${instance}\` — or give a client secret in DIALS_TOKEN (CLI).`,
    { instance },
  );
}
