/** fal's error bodies (docs/fal-protocol.md §4): what `result` answers with when a request did not produce output. */

export interface FalErrorDetail {
  loc: Array<string | number>;
  msg: string;
  type: string;
  url: string;
  ctx?: Record<string, unknown>;
  input?: unknown;
}

/** A request ended without output: `result` answers `status` with `body`; webhooks report the same. */
export class RunFailureError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    readonly errorType: string,
    message: string,
    /** Extra response headers of the result (e.g. the start timeout's type). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'RunFailureError';
  }
}

export function fieldError(
  loc: Array<string | number>,
  type: string,
  msg: string,
  extra: { ctx?: Record<string, unknown>; input?: unknown } = {},
): FalErrorDetail {
  return { loc, msg, type, url: `https://docs.fal.ai/errors#${type}`, ...extra };
}

/** 422 `{detail:[…]}`: the model refused the input. */
export function validationFailure(details: FalErrorDetail[]): RunFailureError {
  const first = details[0];
  return new RunFailureError(
    422,
    { detail: details },
    first?.type ?? 'validation_error',
    first?.msg ?? 'Invalid input',
  );
}

/** `{detail, error_type}` with a status from fal's infrastructure error table. */
export function infraFailure(status: number, errorType: string, detail: string): RunFailureError {
  return new RunFailureError(status, { detail, error_type: errorType }, errorType, detail);
}

/** `X-Fal-Request-Timeout` ran out before the request started: 504, timeout type `user` (never retried). */
export const startTimeoutFailure = (): RunFailureError =>
  new RunFailureError(
    504,
    { detail: 'Request timed out before it could start', error_type: 'request_timeout' },
    'request_timeout',
    'Request timed out before it could start',
    { 'x-fal-request-timeout-type': 'user' },
  );

export const cancelledFailure = (): RunFailureError =>
  infraFailure(499, 'client_cancelled', 'Request was cancelled by the client');

/** Reason phrases Node does not know. */
export const EXTRA_REASON_PHRASES: Record<number, string> = { 499: 'Client Closed Request' };
