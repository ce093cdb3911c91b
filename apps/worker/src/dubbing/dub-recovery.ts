import { PipelineError } from '@foley/shared/errors';
import type { DubDeps, DubJob } from './dub-deps';
import { JobDeferredError, JobReleasedError } from './job-control';

/** How often a job waiting for fal's callback looks at its claim without being woken (a safety net). */
export const LOST_SUBMIT_RECHECK_MS = 30_000;

/**
 * A submit whose answer Foley never saw — the worker died between sending it and saving fal's answer, or
 * the connection dropped after fal accepted it — may have created (and will bill) a request. fal's
 * callback names the job and the submit (nonce), so it reveals the request id when fal finishes: the API
 * records it on the job's submit claim. This waits for that, bounded by `lostSubmit.waitMs` (longer than
 * fal's callback retries), and returns the request id once it is attached to the job (fal has finished
 * it). In-process while fal may still be running the request (up to the deadline), parked afterwards.
 *
 * Past the bound the job fails `submit_outcome_unknown`, or — where the operator opted in
 * (`lostSubmit.resubmit`) — gives the claim up and returns undefined: the caller submits again, accepting
 * the small risk of paying twice. Without fal callbacks nothing can reveal the request: it fails at once.
 */
export async function recoverLostSubmit(
  job: DubJob,
  deps: DubDeps,
  log: DubDeps['logger'],
): Promise<string | undefined> {
  const policy = deps.config.lostSubmit;
  if (!deps.config.falWebhookUrl || !policy) {
    throw new PipelineError(
      'submit_outcome_unknown',
      'a previous attempt was interrupted while submitting to fal; not submitting again, to never pay twice',
    );
  }
  const startedAt = Date.parse(job.data.fal_submit_started_at ?? '') || deps.now();
  const giveUpAt = startedAt + policy.waitMs;
  const inProcessUntil = Math.min(giveUpAt, startedAt + deps.config.deadlineMs);
  // Whatever fal is doing with that request, this job holds no known one: its slot goes to others.
  await deps.slots.release(job.id);
  for (let i = 0; i < 1_000_000; i++) {
    const recorded = await deps.lostSubmits.claimedRequest(job.id);
    if (await deps.isCancelRequested(job.id)) {
      if (recorded) await deps.fal.cancel(recorded).catch(() => {});
      throw new PipelineError('canceled', 'canceled by the client');
    }
    if (recorded) return attach(job, recorded, deps, log);
    const now = deps.now();
    if (now >= giveUpAt) return giveUp(job, deps, log, policy);
    if (now >= inProcessUntil) {
      // fal's run is long over; only its callback retries are left: wait parked, not holding a worker.
      throw new JobDeferredError(
        Math.min(LOST_SUBMIT_RECHECK_MS, giveUpAt - now),
        async () => (await deps.lostSubmits.claimedRequest(job.id)) !== undefined,
      );
    }
    if (i === 0)
      log.warn("fal's answer to the submit was lost; waiting for fal's callback to name the request");
    // The callback route publishes on the job's channel once it has recorded the request.
    await deps.signals.wait(job.id, Math.min(LOST_SUBMIT_RECHECK_MS, inProcessUntil - now), deps.shutdown);
    if (deps.shutdown.aborted) throw new JobReleasedError();
  }
  throw new PipelineError('internal_error', 'gave up waiting for fal’s callback', { retryable: true });
}

/** Saves the request fal's callback revealed as the job's own, as a submit whose answer arrived would. */
async function attach(
  job: DubJob,
  requestId: string,
  deps: DubDeps,
  log: DubDeps['logger'],
): Promise<string> {
  const { fal_submit_started_at: started, ...before } = job.data;
  await job.updateData({
    ...before,
    fal_request_id: requestId,
    fal_submitted_at: started ?? new Date(deps.now()).toISOString(),
  });
  if (!(await deps.confirmReplicated(job.id))) {
    log.warn(
      { fal_request_id: requestId },
      'Redis replicas did not acknowledge the attached fal request id in time',
    );
  }
  await job.updateProgress({ phase: 'submitted' });
  log.info({ fal_request_id: requestId }, "attached the request fal's callback named; completing from it");
  return requestId;
}

async function giveUp(
  job: DubJob,
  deps: DubDeps,
  log: DubDeps['logger'],
  policy: NonNullable<DubDeps['config']['lostSubmit']>,
): Promise<string | undefined> {
  const waited = `${Math.round(policy.waitMs / 1000)} s`;
  if (!policy.resubmit) {
    throw new PipelineError(
      'submit_outcome_unknown',
      `fal's answer to the submit was lost and no fal callback named the request within ${waited}; not submitting again, to never pay twice`,
    );
  }
  // Atomic: a callback recorded just now still wins over a second submit.
  const late = await deps.lostSubmits.abandonSubmit(job.id);
  if (late) return attach(job, late, deps, log);
  const { fal_submit_started_at: _, ...before } = job.data;
  await job.updateData(before);
  log.warn(
    { waited_ms: policy.waitMs },
    'no fal callback named the lost submit; submitting again (RESUBMIT_UNKNOWN_SUBMITS: may pay twice)',
  );
  return undefined;
}
