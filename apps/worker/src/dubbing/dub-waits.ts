import { isPipelineError, PipelineError } from '@foley/shared/errors';
import { isRedisUnavailableError } from '@foley/shared/infra/redis-errors';
import { backoffDelay } from './backoff';
import type { DubDeps, DubJob } from './dub-deps';
import { JobDeferredError } from './job-control';

/**
 * What a job waits out instead of spending attempts on it: an outage of Foley's own dependencies (S3,
 * Redis) or fal's back-pressure (a 429, a locked account). None says anything about the job, so the
 * attempts (JOB_ATTEMPTS) stay for real failures. The job is deferred (BullMQ `delayed`, no attempt
 * used) with backoff, until the job's deadline; past it the error takes the attempt path like any other.
 */
export type WaitCause =
  | 'storage_unavailable'
  | 'redis_unavailable'
  | 'fal_rate_limited'
  | 'fal_account_locked';

export const WAIT_DEFAULTS = { firstMs: 2_000, maxMs: 60_000 } as const;

/** The cause to wait out, or undefined for an error that is the job's own (or may be). Pure. */
export function waitCauseOf(error: unknown): WaitCause | undefined {
  if (isPipelineError(error)) {
    // An S3 that cannot be reached or answers 5xx/429; a 403/404 (credentials, bucket) is a real failure.
    if (error.code === 'storage_error')
      return error.status === undefined || error.status >= 500 || error.status === 429
        ? 'storage_unavailable'
        : undefined;
    if (error.code === 'fal_account_locked') return 'fal_account_locked';
    if (error.code === 'fal_unavailable' && error.status === 429) return 'fal_rate_limited';
    if (error.code === 'internal_error' && isRedisUnavailableError(error.cause)) return 'redis_unavailable';
    return undefined;
  }
  return isRedisUnavailableError(error) ? 'redis_unavailable' : undefined;
}

/**
 * Defers the job when `error` is a cause to wait out and its deadline allows: the deadline is
 * FAL_DEADLINE counted from the submit (a job that has a fal request) or from the job's first wait.
 * Records why on the job (shown on the queued job) and frees the fal slot of a job without a request.
 */
export async function deferForWait(
  job: DubJob,
  error: unknown,
  deps: DubDeps,
): Promise<JobDeferredError | undefined> {
  const cause = waitCauseOf(error);
  if (!cause) return undefined;
  const now = deps.now();
  const since = Date.parse(job.data.waiting?.since ?? '') || now;
  const anchor = Date.parse(job.data.fal_submitted_at ?? '') || since;
  if (now - anchor >= deps.config.deadlineMs) return undefined;
  const count = (job.data.waiting?.count ?? 0) + 1;
  const delayMs = backoffDelay(count, {
    baseMs: deps.config.waitFirstMs ?? WAIT_DEFAULTS.firstMs,
    maxMs: deps.config.waitMaxMs ?? WAIT_DEFAULTS.maxMs,
    retryAfterMs: isPipelineError(error) ? error.retryAfterMs : undefined,
  });
  const why = isPipelineError(error)
    ? { code: error.code, message: error.message }
    : { code: 'internal_error' as const, message: (error as Error).message };
  // Best effort: Redis may be the outage. Without the record the next run just counts from anew.
  await job
    .updateData({
      ...job.data,
      error: why,
      waiting: { cause, since: new Date(since).toISOString(), count },
    })
    .catch(() => {});
  if (!job.data.fal_request_id) await deps.slots.release(job.id).catch(() => {});
  deps.logger.info(
    { job_id: job.id, cause, wait: count, delay_ms: delayMs, err: why.message },
    'waiting out an outage; no attempt used',
  );
  return new JobDeferredError(delayMs);
}

/** How often a job whose submit another attempt claimed looks again whether it saved fal's answer. */
const CLAIM_RECHECK_MS = 2_000;

/**
 * The submit is claimed by another attempt of this job. One still alive (after a lost lock) saves fal's
 * request id within a submit's time, and the next run resumes it: wait for that, deferred, no attempt
 * used. A claim older than `submitClaimGraceMs` without a saved request belongs to an attempt that
 * stopped mid-submit: fail `submit_outcome_unknown` now, never submit again. Before, each look cost an
 * attempt with growing backoff: minutes `queued` (the chaos suite's stuck jobs), then the same failure.
 */
export async function claimedElsewhere(job: DubJob, deps: DubDeps): Promise<Error> {
  const claimedAt = await deps.submitClaimedAt?.(job.id);
  const graceMs = deps.config.submitClaimGraceMs ?? 60_000;
  if (claimedAt === undefined || deps.now() - claimedAt < graceMs) {
    if (!job.data.preflight_passed_at)
      await job.updateData({ ...job.data, preflight_passed_at: new Date(deps.now()).toISOString() });
    return new JobDeferredError(Math.min(CLAIM_RECHECK_MS, graceMs));
  }
  return new PipelineError(
    'submit_outcome_unknown',
    'an earlier attempt of this job claimed its fal submit and stopped before saving fal’s answer; not submitting again, to never pay twice',
  );
}
