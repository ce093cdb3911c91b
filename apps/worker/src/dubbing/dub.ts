import { randomBytes } from 'node:crypto';
import { isPipelineError, PipelineError } from '@foley/shared/errors';
import { type DubJobResult, type JobError, outputKeys } from '@foley/shared/jobs/contract';
import type { AccountRefusal } from '../clients/fal-dispatch';
import type { DubDeps, DubJob } from './dub-deps';
import { copyOutputs } from './dub-outputs';
import { recoverLostSubmit } from './dub-recovery';
import { waitForFal } from './dub-wait';
import { claimedElsewhere, deferForWait } from './dub-waits';
import { isControlSignal, JobDeferredError, JobReleasedError } from './job-control';

/**
 * Dubs one video: preflight → submit to fal (at most once, ever) → wait → copy outputs to S3.
 * Throws PipelineError (retryable or not) or a control signal; records the error on the job first.
 */
export async function processDubJob(job: DubJob, unrouted: DubDeps): Promise<DubJobResult> {
  const deps = routed(unrouted, job);
  const log = deps.logger.child({
    job_id: job.id,
    fal_request_id: job.data.fal_request_id,
    batch_id: job.data.batch_id,
  });
  let result = job.data.result;
  let slotReleased = false;
  try {
    if (!result) {
      result = await dub(job, deps, log);
      // dub() released the fal slot when fal was done.
      slotReleased = true;
      // Recorded before reporting: from here on the job is completed, and only its report can be retried.
      await job.updateData({ ...job.data, result });
    }
  } catch (thrown) {
    if (isControlSignal(thrown)) throw thrown;
    // An outage or fal's back-pressure: waited out (deferred) without using an attempt, up to the deadline.
    const wait = await deferForWait(job, thrown, deps);
    if (wait) throw wait;
    const error = toPipelineError(thrown);
    const final = !error.retryable || job.attemptsMade + 1 >= job.maxAttempts;
    const jobError: JobError = { code: error.code, message: error.message };
    await job.updateData({ ...job.data, error: jobError });
    // A job without a fal request holds its slot for nothing while it waits for its retry.
    if (final || !job.data.fal_request_id) await deps.slots.release(job.id);
    if (final) {
      const status = error.code === 'canceled' ? 'canceled' : 'failed';
      // A cancel asked for while the job was ending anyway must not cancel a later dashboard retry.
      await deps.clearCancelRequest(job.id);
      await deps.onFinished(job, { status, error: jobError });
      deps.metrics?.jobFinished(status, error.code);
      log.warn({ code: error.code, err: error.message }, 'job failed');
    } else {
      deps.metrics?.retry(error.code);
      log.info(
        { code: error.code, err: error.message, attempt: job.attemptsMade + 1 },
        'attempt failed; will retry',
      );
    }
    throw error;
  }
  return reportCompleted(job, result, deps, log, slotReleased);
}

/** Reporting a completed job's end waits (deferred, no attempt used) until it succeeds; never a failure. */
const REPORT_RETRY_MS = 5_000;

async function reportCompleted(
  job: DubJob,
  result: DubJobResult,
  deps: DubDeps,
  log: DubDeps['logger'],
  slotReleased: boolean,
): Promise<DubJobResult> {
  try {
    // Only a run that merely reports again may still hold a slot (granted to report, not to dub).
    if (!slotReleased) await deps.slots.release(job.id);
    // A completed job never submits again, so its submit claim guards nothing any more: dropped now
    // rather than kept for the failed-job retention. Independent keys: one round trip for both, and the
    // finished hooks run only once both are gone.
    await settled([deps.clearCancelRequest(job.id), deps.releaseSubmit(job.id)]);
    await deps.onFinished(job, { status: 'completed', result });
  } catch (error) {
    log.warn(
      { err: (error as Error).message },
      'reporting the completed job failed; reporting again shortly',
    );
    throw new JobDeferredError(REPORT_RETRY_MS);
  }
  deps.metrics?.jobFinished('completed', 'none');
  log.info({ video_bytes: result.video.file_size, audio_bytes: result.audio.file_size }, 'job completed');
  return result;
}

/**
 * BullMQ fails a job that stalled more than `maxStalledCount` times without running the processor again,
 * so nothing else would report its end (webhook, batch counters) or free its slot. Its fal request, if
 * any, is left alone: a dashboard retry resumes it.
 */
export async function failAbandonedJob(job: DubJob, reason: string, unrouted: DubDeps): Promise<void> {
  const deps = routed(unrouted, job);
  const jobError: JobError = {
    code: 'internal_error',
    message: `the job was abandoned (${reason}): workers stopped while running it too many times`,
  };
  await job.updateData({ ...job.data, error: jobError });
  await deps.slots.release(job.id);
  await deps.clearCancelRequest(job.id);
  await deps.onFinished(job, { status: 'failed', error: jobError });
  deps.metrics?.jobFinished('failed', jobError.code);
  deps.logger.warn({ job_id: job.id, fal_request_id: job.data.fal_request_id, reason }, 'job abandoned');
}

/** A passed preflight is trusted this long while the job waits for a fal slot. */
const PREFLIGHT_VALID_MS = 10 * 60_000;

async function dub(job: DubJob, deps: DubDeps, log: DubDeps['logger']): Promise<DubJobResult> {
  if (await deps.isCancelRequested(job.id)) {
    if (job.data.fal_request_id) await deps.fal.cancel(job.data.fal_request_id);
    throw new PipelineError('canceled', 'canceled by the client');
  }

  let requestId = job.data.fal_request_id;
  const resumed = requestId !== undefined;
  // A submit whose answer was lost: fal's callback names its request (then fal has finished it), or the
  // job fails, or (opted in) submits again.
  const recovered =
    !requestId && job.data.fal_submit_started_at ? await recoverLostSubmit(job, deps, log) : undefined;
  if (recovered) {
    requestId = recovered;
  } else if (requestId) {
    // Resuming (retry, stalled-job recovery, restart): the request exists at fal and is never submitted again.
    await deps.slots.forceAcquire(job.id, job.data.tenant);
    log.info('resuming fal request');
  } else {
    const passedAt = Date.parse(job.data.preflight_passed_at ?? '');
    if (!(deps.now() - passedAt < PREFLIGHT_VALID_MS)) {
      // A first run's view already says `preflight`; a re-run overwrites the phase its last run left.
      if (job.hasProgress) await job.updateProgress({ phase: 'preflight' });
      const preflightStart = deps.now();
      await deps.preflight(job.data.input.video_url);
      if (deps.pinInput) {
        const pinned = await deps.pinInput(job.data.input.video_url, job.id);
        await job.updateData({ ...job.data, pinned_input_key: pinned });
      }
      deps.metrics?.phase('preflight', (deps.now() - preflightStart) / 1000);
    }
    // Shutting down: a submit now could be cut off by the forced exit and end as an unknown outcome.
    if (deps.shutdown.aborted) throw new JobReleasedError();
    const ticket = ticketOf(job);
    if (!(await deps.slots.tryAcquire(job.id, ticket))) {
      // Waiting for a fal slot (a big batch): remember the pass, so the customer's server is not read
      // again when dispatch promotes the job.
      if (Number.isNaN(passedAt)) {
        await job.updateData({ ...job.data, preflight_passed_at: new Date(deps.now()).toISOString() });
      }
      throw new JobDeferredError(deps.config.slotRetryMs, () => deps.slots.tryAcquire(job.id, ticket));
    }
    // Preflight can take a while: a cancel asked for meanwhile must not cost a submit.
    if (await deps.isCancelRequested(job.id)) throw new PipelineError('canceled', 'canceled by the client');
    requestId = await submitOnce(job, deps).catch((error: unknown) => {
      // fal's answer was lost: the next run (at once) waits for fal's callback to name the request.
      if (lostAnswer(error) && deps.config.falWebhookUrl && deps.config.lostSubmit)
        throw new JobDeferredError(0);
      throw error;
    });
    log.info({ fal_request_id: requestId }, 'submitted to fal');
  }

  // A request this run did not submit (recovered from fal's callback, or resumed) may be done already:
  // its result is then read even past the deadline, which is there to stop a run, not to waste a paid one.
  const notSubmittedNow = recovered !== undefined || resumed;
  if (!(notSubmittedNow && (await completedAtFal(requestId, deps)))) await waitForFal(job, requestId, deps);
  // A run of this job that lost its lock (a Redis restart) may have completed it while this one waited:
  // its result stands, and its outputs are not copied again.
  const recorded = await job.recordedResult();
  if (recorded) {
    await deps.slots.release(job.id);
    log.info('another run of this job completed it; reporting its result');
    return recorded;
  }
  const output = await deps.fal.result(requestId);
  const billableUnits = deps.fal.billableUnits?.(requestId);
  // fal is done with the request: its slot can go to another job while this one uploads. The slot and
  // the phase are written while the copy already streams, not before it (two round trips it need not wait for).
  const uploadStart = deps.now();
  const [, , { video, audio }] = await settled([
    deps.slots.release(job.id),
    job.updateProgress({ phase: 'uploading' }),
    copyOutputs(output, outputKeys(job.id), deps),
  ] as const);
  deps.metrics?.phase('upload', (deps.now() - uploadStart) / 1000);
  return {
    fal_request_id: requestId,
    ...(billableUnits !== undefined ? { billable_units: billableUnits } : {}),
    video,
    audio,
  };
}

/**
 * Claims the job's one submit, marks it as started, submits, then saves the request id before anything
 * else happens. The claim is atomic in Redis: job data alone cannot stop two attempts that both read it
 * before either wrote (a worker that lost its lock still runs while another takes the job over).
 */
async function submitOnce(job: DubJob, deps: DubDeps): Promise<string> {
  // Before the claim: nothing that can fail may sit between the claim and the submit.
  const input = await falInput(job, deps);
  // Names this submit (fal's callback URL carries it) and this run (its claim is its own if resent).
  const nonce = randomBytes(18).toString('base64url');
  // Claimed by another run: wait (no attempt used) for a live one to save its request id, or fail.
  if (!(await deps.claimSubmit(job.id, nonce))) throw await claimedElsewhere(job, deps);
  const { fal_submit_started_at: _, ...before } = job.data;
  const started = new Date(deps.now()).toISOString();
  try {
    await job.updateData({ ...before, fal_submit_started_at: started });
    // A claim only the dying primary knew of would let the next attempt, after a failover, submit again.
    if (!(await deps.confirmReplicated(job.id))) {
      throw new PipelineError(
        'internal_error',
        'Redis replicas did not acknowledge the submit claim in time; not submitting yet',
        { retryable: true },
      );
    }
  } catch (error) {
    // Nothing was sent, so leave no marker that would fail the next attempt as submit_outcome_unknown.
    await unclaim(job, before, deps);
    throw error;
  }
  let requestId: string;
  try {
    const webhookUrl = deps.config.falWebhookUrl?.(job.id, nonce);
    requestId = await deps.fal.submit(input, webhookUrl ? { webhookUrl } : {});
  } catch (error) {
    // fal answered (or was never reached): no request exists, so a later attempt may submit again.
    if (isPipelineError(error) && error.code !== 'submit_outcome_unknown') await unclaim(job, before, deps);
    const refusal = isPipelineError(error) ? accountRefusal(error) : undefined;
    // The account, not the job, was refused: the job waits at its place while the account is paused or slowed.
    if (refusal && (await deps.slots.refused(job.id, ticketOf(job), refusal))) {
      // Shown on the queued job (why it waits); no attempt is used and the job does not fail.
      const why = error as PipelineError;
      await job.updateData({ ...job.data, error: { code: why.code, message: why.message } });
      deps.logger.info(
        { job_id: job.id, reason: refusal.reason },
        'fal refused the account; job back in line',
      );
      throw new JobDeferredError(deps.config.slotRetryMs, () => deps.slots.tryAcquire(job.id, ticketOf(job)));
    }
    throw error;
  }
  await deps.slots.accepted();
  await job.updateData({ ...before, fal_request_id: requestId, fal_submitted_at: started });
  // The saved id is what lets any later attempt resume instead of resubmitting: have a replica hold it
  // before going on. The request exists at fal either way, so a slow replica only costs a warning.
  if (!(await deps.confirmReplicated(job.id))) {
    deps.logger.warn(
      { job_id: job.id, fal_request_id: requestId },
      'Redis replicas did not acknowledge the saved fal request id in time',
    );
  }
  // Without a recorded phase the view says `submitted` from the saved request id alone.
  if (job.hasProgress) await job.updateProgress({ phase: 'submitted' });
  return requestId;
}

/** The model input fal gets: with a pinned copy (PIN_INPUTS), a presigned URL of it, not the customer's URL. */
async function falInput(job: DubJob, deps: DubDeps): Promise<DubJob['data']['input']> {
  const key = job.data.pinned_input_key;
  if (!key) return job.data.input;
  const ttlSeconds = deps.config.pinnedUrlTtlSeconds;
  const url = await deps.store.presignGet(key, ttlSeconds ? { ttlSeconds } : {});
  return { ...job.data.input, video_url: url };
}

/**
 * Undoes the claim and the marker of a submit that certainly created no request. Best effort: should
 * Redis fail here too, the caller's error write (from the same in-memory data) clears the marker.
 */
async function unclaim(job: DubJob, before: DubJob['data'], deps: DubDeps): Promise<void> {
  await job.updateData(before).catch(() => {});
  await deps.releaseSubmit(job.id).catch(() => {});
}

/**
 * Promise.all that waits for every promise before it rejects (with the first failure in order): a
 * copy still streaming must not run on beside the retry of an attempt whose Redis write failed.
 */
async function settled<T extends readonly unknown[]>(
  promises: readonly [...{ [K in keyof T]: Promise<T[K]> }],
): Promise<T> {
  const outcomes = await Promise.allSettled(promises);
  const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failure) throw failure.reason;
  return outcomes.map((o) => (o as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

/** The account's fault, not the job's: a locked account, a key that stopped working, fal's rate limit. */
function accountRefusal(error: PipelineError): AccountRefusal | undefined {
  if (error.code === 'fal_account_locked') return { reason: 'fal_account_locked' };
  if (error.code === 'fal_auth_error' && error.status === 401) return { reason: 'fal_unauthorized' };
  if (error.status === 429) return { reason: 'fal_rate_limited', retryAfterMs: error.retryAfterMs };
  return undefined;
}

const completedAtFal = (requestId: string, deps: DubDeps) =>
  deps.fal.status(requestId).then(
    (s) => s.status === 'COMPLETED',
    () => false,
  );

/** The submit was sent and its answer lost (a drop after fal accepted it, a timeout): fal may have it. */
const lostAnswer = (error: unknown) =>
  isPipelineError(error) && error.code === 'submit_outcome_unknown' && !error.retryable;

const ticketOf = (job: DubJob) => ({ tenant: job.data.tenant, priority: job.data.priority });

function routed(deps: DubDeps, job: DubJob): DubDeps {
  return deps.route ? { ...deps, ...deps.route(job.data.tenant) } : deps;
}

function toPipelineError(error: unknown): PipelineError {
  if (isPipelineError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  // Unknown errors are bugs or unforeseen environment failures: retry a bounded number of times.
  return new PipelineError('internal_error', message, { retryable: true, cause: error });
}
