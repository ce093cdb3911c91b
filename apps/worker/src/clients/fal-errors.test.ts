import { ApiError, ValidationError } from '@fal-ai/client';
import { PipelineError } from '@foley/shared/errors';
import { describe, expect, it } from 'vitest';
import { classifyFalError } from './fal-errors';
import { SubmitAttemptError } from './fal-submit-fetch';

const validation = (detail: unknown) =>
  new ValidationError({
    message: 'Unprocessable Entity',
    status: 422,
    body: { detail } as never,
    requestId: 'r',
  });
const api = (status: number, body: unknown) => new ApiError({ message: 'x', status, body, requestId: 'r' });

describe('classifyFalError', () => {
  it("maps fal 422 field errors to a permanent failure with fal's message and a specific code", () => {
    const e = classifyFalError(
      validation([
        { loc: ['body', 'video_url'], msg: 'Video duration exceeds 20.0 s', type: 'video_duration_too_long' },
      ]),
      'result',
    );
    expect(e).toMatchObject({
      code: 'video_too_long',
      retryable: false,
      message: 'video_url: Video duration exceeds 20.0 s',
    });
  });

  it('calls a 422 without a field a model error, and one on a field invalid input', () => {
    expect(classifyFalError(validation('GPU exploded'), 'result').code).toBe('model_error');
    expect(
      classifyFalError(
        validation([{ loc: ['body', 'sound_effect_prompt'], msg: 'too long', type: 'string_too_long' }]),
        'result',
      ).code,
    ).toBe('invalid_input');
  });

  it('retries 429 and 5xx, fails auth errors at once', () => {
    expect(
      classifyFalError(api(503, { detail: 'busy', error_type: 'runner_scheduling_failure' }), 'status'),
    ).toMatchObject({
      code: 'fal_unavailable',
      retryable: true,
    });
    expect(classifyFalError(api(429, {}), 'result').retryable).toBe(true);
    expect(classifyFalError(api(401, { detail: 'No key' }), 'submit')).toMatchObject({
      code: 'fal_auth_error',
      retryable: false,
    });
  });

  it('tells a locked account (retryable, not a bad key) from a bad key', () => {
    const locked = api(403, {
      detail: 'User is locked. Reason: Exhausted balance. Top up your balance at fal.ai/dashboard/billing',
    });
    expect(classifyFalError(locked, 'submit')).toMatchObject({ code: 'fal_account_locked', retryable: true });
    expect(classifyFalError(api(403, { detail: 'Forbidden' }), 'submit')).toMatchObject({
      code: 'fal_auth_error',
      retryable: false,
    });
  });

  it('fails a request fal never started within FAL_START_TIMEOUT as fal_start_timeout, not retried', () => {
    const timedOut = new ApiError({
      message: 'Gateway Timeout',
      status: 504,
      body: { detail: 'Request timed out before it could start', error_type: 'request_timeout' },
      requestId: 'r',
      timeoutType: 'user',
    });
    expect(classifyFalError(timedOut, 'result')).toMatchObject({
      code: 'fal_start_timeout',
      retryable: false,
    });
    // Without the user timeout type a 504 is fal's own trouble: retried.
    expect(classifyFalError(api(504, { detail: 'x' }), 'result')).toMatchObject({ retryable: true });
  });

  it('recognises a canceled request at result time', () => {
    expect(
      classifyFalError(api(400, { detail: 'cancelled', error_type: 'client_cancelled' }), 'result').code,
    ).toBe('canceled');
  });

  it('never retries a submit whose outcome is unknown, but retries one that was rejected or never sent', () => {
    const lost = new SubmitAttemptError({
      kind: 'unknown_outcome',
      code: 'ECONNRESET',
      message: 'socket hang up',
    });
    expect(classifyFalError(lost, 'submit')).toMatchObject({
      code: 'submit_outcome_unknown',
      retryable: false,
    });
    const busy = new SubmitAttemptError({ kind: 'rejected', status: 429, retryAfterMs: 2000, body: '' });
    expect(classifyFalError(busy, 'submit')).toMatchObject({
      code: 'fal_unavailable',
      retryable: true,
      retryAfterMs: 2000,
    });
  });

  it('calls any other submit failure an unknown outcome, never retryable (fal may have queued it)', () => {
    expect(classifyFalError(new SyntaxError('Unexpected end of JSON input'), 'submit')).toMatchObject({
      code: 'submit_outcome_unknown',
      retryable: false,
    });
  });

  it('treats transport errors of idempotent calls as transient, and keeps PipelineErrors as they are', () => {
    expect(classifyFalError(new TypeError('fetch failed'), 'status').retryable).toBe(true);
    const own = new PipelineError('timeout', 't');
    expect(classifyFalError(own, 'status')).toBe(own);
  });
});
