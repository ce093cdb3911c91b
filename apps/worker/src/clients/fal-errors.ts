import { ApiError, ValidationError } from '@fal-ai/client';
import { type FailureCode, PipelineError } from '@foley/shared/errors';
import { SubmitAttemptError } from './fal-submit-fetch';

export type FalOperation = 'submit' | 'status' | 'result' | 'cancel' | 'download';

/**
 * Turns whatever a fal call threw into a PipelineError that says whether retrying can help. This is the
 * only place that knows fal's error shapes; the processor decides from `code` and `retryable`.
 */
export function classifyFalError(error: unknown, op: FalOperation): PipelineError {
  if (error instanceof PipelineError) return error;
  if (error instanceof SubmitAttemptError) return fromSubmitAttempt(error);
  if (error instanceof ValidationError) return fromValidation(error);
  if (error instanceof ApiError) return fromApiError(error, op);
  const message = error instanceof Error ? error.message : String(error);
  if (op === 'submit') {
    // Not a refusal fal stated (e.g. a 2xx whose body is not JSON): the request may exist and be paid.
    return new PipelineError(
      'submit_outcome_unknown',
      `fal's answer to the submit could not be read (${message}); not submitting again, to never pay twice`,
      { cause: error },
    );
  }
  // Transport failures of idempotent calls (status, result, cancel, file downloads): try again.
  return new PipelineError('fal_unavailable', `fal ${op} failed: ${message}`, {
    retryable: true,
    cause: error,
  });
}

function fromSubmitAttempt(error: SubmitAttemptError): PipelineError {
  const f = error.failure;
  if (f.kind === 'unknown_outcome') {
    return new PipelineError(
      'submit_outcome_unknown',
      `fal may have accepted the request but its answer was lost (${f.code}); not submitting again, to never pay twice`,
      { cause: error },
    );
  }
  return new PipelineError('fal_unavailable', error.message, {
    retryable: true,
    cause: error,
    ...(f.kind === 'rejected' ? { status: f.status } : {}),
    ...(f.kind === 'rejected' && f.retryAfterMs !== undefined ? { retryAfterMs: f.retryAfterMs } : {}),
  });
}

/** fal's 422 `{detail: [{loc, msg, type}]}`: the model refused the input or failed on it. */
function fromValidation(error: ValidationError): PipelineError {
  const errors = error.fieldErrors;
  const message = errors.map((e) => `${fieldOf(e.loc)}${e.msg}`).join('; ') || error.message;
  const code = errors.map((e) => codeForType(e.type)).find((c) => c !== undefined);
  const isInputError = errors.some((e) => e.loc.length > 1 && e.loc[0] === 'body');
  return new PipelineError(code ?? (isInputError ? 'invalid_input' : 'model_error'), message, {
    cause: error,
  });
}

function fromApiError(error: ApiError<unknown>, op: FalOperation): PipelineError {
  const detail = detailOf(error.body) ?? error.message;
  const message = `fal ${op} answered HTTP ${error.status}: ${detail}`;
  if (error.status === 403 && LOCKED.test(detail)) {
    // Exhausted balance or an admin lock: the key is fine and works again once the account is topped up.
    return new PipelineError('fal_account_locked', message, { retryable: true, status: 403, cause: error });
  }
  if (error.status === 401 || error.status === 403) {
    return new PipelineError('fal_auth_error', `${message} (check FAL_KEY)`, {
      status: error.status,
      cause: error,
    });
  }
  if (error.isUserTimeout) {
    // FAL_START_TIMEOUT ran out before fal started the request: it never ran, and fal's client does
    // not retry it; submitting again would only queue behind the same backlog.
    return new PipelineError(
      'fal_start_timeout',
      `fal did not start the request within FAL_START_TIMEOUT (${message})`,
      { cause: error },
    );
  }
  if (op === 'result' && errorTypeOf(error.body) === 'client_cancelled') {
    return new PipelineError('canceled', 'the fal request was canceled', { cause: error });
  }
  if (error.status === 429 || error.status === 408 || error.status >= 500) {
    return new PipelineError('fal_unavailable', message, {
      retryable: true,
      status: error.status,
      cause: error,
    });
  }
  return new PipelineError(op === 'result' ? 'model_error' : 'fal_unavailable', message, { cause: error });
}

/** fal's 403 body for a locked account: "User is locked. Reason: …". */
const LOCKED = /\buser is locked\b/i;

const TYPE_CODES: Array<[RegExp, FailureCode]> = [
  [/duration_too_long|too_long_video|video_too_long/, 'video_too_long'],
  [/duration_too_short|video_too_short/, 'video_too_short'],
  [/file_too_large|too_large/, 'video_too_large'],
  [/unsupported|invalid_format|format|invalid_video/, 'unsupported_media'],
  [/download/, 'video_unreachable'],
];

function codeForType(type: string | undefined): FailureCode | undefined {
  if (!type) return undefined;
  return TYPE_CODES.find(([pattern]) => pattern.test(type))?.[1];
}

function fieldOf(loc: Array<string | number>): string {
  const path = loc[0] === 'body' ? loc.slice(1) : loc;
  return path.length ? `${path.join('.')}: ` : '';
}

function detailOf(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const detail = (body as { detail?: unknown }).detail;
  if (typeof detail === 'string') return detail;
  if (Array.isArray(detail)) return detail.map((d) => (d as { msg?: string }).msg ?? '').join('; ');
  return undefined;
}

function errorTypeOf(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const type = (body as { error_type?: unknown }).error_type;
  return typeof type === 'string' ? type : undefined;
}
