/**
 * Error types shared by the API and the worker. HTTP-facing errors carry a status and a stable code;
 * pipeline errors carry a failure code and say whether retrying can help.
 */

export type ErrorDetails = Record<string, unknown> | Array<Record<string, unknown>>;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: ErrorDetails,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} not found`);
export const unavailable = (message: string) => new ApiError(503, 'service_unavailable', message);

/** Codes a failed job reports in `error.code`. Stable: clients branch on them. */
export const FAILURE_CODES = [
  'video_too_long',
  'video_too_short',
  'video_too_large',
  'unsupported_media',
  'video_unreachable',
  'url_blocked',
  'invalid_input',
  'model_error',
  'fal_unavailable',
  'fal_auth_error',
  'fal_account_locked',
  'fal_start_timeout',
  'submit_outcome_unknown',
  'storage_error',
  'timeout',
  'canceled',
  'internal_error',
] as const;
export type FailureCode = (typeof FAILURE_CODES)[number];

/**
 * An error raised inside the pipeline. `retryable` errors are retried with backoff (network errors,
 * timeouts, 429, 5xx); the rest fail the job at once. `retryAfterMs` honours a server's Retry-After.
 */
export class PipelineError extends Error {
  readonly code: FailureCode;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
  constructor(
    code: FailureCode,
    message: string,
    opts: { retryable?: boolean; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: opts.cause });
    this.name = 'PipelineError';
    this.code = code;
    this.retryable = opts.retryable ?? false;
    if (opts.retryAfterMs !== undefined) this.retryAfterMs = opts.retryAfterMs;
  }
}

export const isPipelineError = (e: unknown): e is PipelineError => e instanceof PipelineError;
