/**
 * Error types shared by the API and the worker. HTTP-facing errors carry a status and a stable code;
 * pipeline errors carry a failure code and say whether retrying can help.
 */

export type ErrorDetails = Readonly<Record<string, unknown>> | ReadonlyArray<object>;

/**
 * Every code the API answers with, and its HTTP status: the one place that maps them. Stable: clients
 * branch on the code. A new code is added here first.
 */
export const API_ERROR_STATUS = {
  bad_request: 400,
  invalid_json: 400,
  invalid_body: 400,
  invalid_encoding: 400,
  request_aborted: 400,
  unauthorized: 401,
  invalid_signature: 401,
  budget_exceeded: 402,
  forbidden: 403,
  not_found: 404,
  job_finished: 409,
  batch_finished: 409,
  request_in_progress: 409,
  body_too_large: 413,
  unsupported_media_type: 415,
  unsupported_encoding: 415,
  validation_error: 422,
  idempotency_key_reused: 422,
  too_many_items: 422,
  quota_exceeded: 429,
  rate_limited: 429,
  internal_error: 500,
  service_unavailable: 503,
} as const satisfies Record<string, number>;
export type ApiErrorCode = keyof typeof API_ERROR_STATUS;
export type ApiErrorStatus = (typeof API_ERROR_STATUS)[ApiErrorCode];

export class ApiError extends Error {
  readonly status: ApiErrorStatus;
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly details?: ErrorDetails,
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = API_ERROR_STATUS[code];
  }
}

export const notFound = (what: string) => new ApiError('not_found', `${what} not found`);
export const unavailable = (message: string) => new ApiError('service_unavailable', message);

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
  /** The HTTP status of the answer that caused it, when one did (fal's 401 and 429 change dispatch). */
  readonly status?: number;
  constructor(
    code: FailureCode,
    message: string,
    opts: { retryable?: boolean; retryAfterMs?: number; status?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: opts.cause });
    this.name = 'PipelineError';
    this.code = code;
    this.retryable = opts.retryable ?? false;
    if (opts.retryAfterMs !== undefined) this.retryAfterMs = opts.retryAfterMs;
    if (opts.status !== undefined) this.status = opts.status;
  }
}

export const isPipelineError = (e: unknown): e is PipelineError => e instanceof PipelineError;
