import { PipelineError } from '@foley/shared/errors';
import { describe, expect, it } from 'vitest';
import { fakeDeps, fakeFal, fakeJob } from '../../test/dub-fakes';
import { processDubJob } from './dub';
import { JobDeferredError } from './job-control';

/** fal callbacks configured; a lost submit waits up to 10 min for fal's callback (deadline 60 s). */
function withCallbacks(resubmit = false, fal = fakeFal()) {
  const ctx = fakeDeps({ fal });
  ctx.deps.config = {
    ...ctx.deps.config,
    falWebhookUrl: (id, nonce) => `https://api.example/v1/fal/webhook?job_id=${id}&submit=${nonce}`,
    lostSubmit: { waitMs: 600_000, resubmit },
  };
  return { ...ctx, fal };
}

/** A job whose previous attempt sent its submit and died before saving fal's answer. */
const interrupted = (startedAt: number) =>
  fakeJob({ fal_submit_started_at: new Date(startedAt).toISOString() });

describe('a submit whose answer was lost, with fal callbacks', () => {
  it('attaches the request fal’s callback named and completes from it: no second submit, no polling', async () => {
    const { deps, fal, claims, callbackRequests, outcomes } = withCallbacks();
    const job = interrupted(deps.now());
    claims.add(job.id);
    callbackRequests.set(job.id, 'req_lost');
    const result = await processDubJob(job, deps);
    expect(result.fal_request_id).toBe('req_lost');
    expect(job.data).toMatchObject({
      fal_request_id: 'req_lost',
      fal_submitted_at: job.data.fal_submitted_at,
    });
    expect(job.data.fal_submit_started_at).toBeUndefined();
    expect(fal.calls).toMatchObject({ submit: 0, status: 1, result: 1 });
    expect(outcomes.map((o) => o.status)).toEqual(['completed']);
  });

  it('waits, woken by the callback, and completes once it arrives', async () => {
    const { deps, fal, claims, callbackRequests } = withCallbacks();
    const job = interrupted(deps.now());
    claims.add(job.id);
    const wait = deps.signals.wait;
    let waits = 0;
    deps.signals = {
      ...deps.signals,
      async wait(id, ms, abort) {
        if (++waits === 2) callbackRequests.set(id, 'req_late');
        return wait(id, ms, abort);
      },
    };
    const result = await processDubJob(job, deps);
    expect(result.fal_request_id).toBe('req_late');
    expect(waits).toBe(2);
    expect(fal.calls.submit).toBe(0);
  });

  it('parks once fal’s run is over (past the deadline), then fails submit_outcome_unknown past the bound', async () => {
    const { deps, fal, claims, outcomes } = withCallbacks();
    const job = interrupted(deps.now() - 120_000);
    claims.add(job.id);
    const parked = await processDubJob(job, deps).catch((e: unknown) => e);
    expect(parked).toBeInstanceOf(JobDeferredError);
    expect((parked as JobDeferredError).delayMs).toBe(30_000);

    const late = interrupted(deps.now() - 600_001);
    claims.add(late.id);
    const failed = await processDubJob(late, deps).catch((e: unknown) => e);
    expect(failed).toMatchObject({ code: 'submit_outcome_unknown', retryable: false });
    expect(fal.calls.submit).toBe(0);
    expect(claims.has(late.id)).toBe(true);
    expect(outcomes).toMatchObject([{ status: 'failed', error: { code: 'submit_outcome_unknown' } }]);
  });

  it('opted in (RESUBMIT_UNKNOWN_SUBMITS), submits again past the bound, with a new claim', async () => {
    const { deps, fal, claims } = withCallbacks(true);
    const job = interrupted(deps.now() - 600_001);
    claims.add(job.id);
    const result = await processDubJob(job, deps);
    expect(fal.calls.submit).toBe(1);
    expect(result.fal_request_id).toBe('req_1');
  });

  it('a submit whose answer is lost in this attempt hands the job to its next run at once, claim and marker kept', async () => {
    const { deps, fal, claims, outcomes } = withCallbacks();
    fal.failSubmit(new PipelineError('submit_outcome_unknown', 'socket hang up after the request was sent'));
    const job = fakeJob();
    const thrown = await processDubJob(job, deps).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(JobDeferredError);
    expect((thrown as JobDeferredError).delayMs).toBe(0);
    expect(job.data.fal_submit_started_at).toBeDefined();
    expect(claims.has(job.id)).toBe(true);
    expect(outcomes).toEqual([]);
  });

  it('without fal callbacks, still fails at once', async () => {
    const fal = fakeFal();
    const { deps, claims } = fakeDeps({ fal });
    const job = interrupted(deps.now());
    claims.add(job.id);
    const error = await processDubJob(job, deps).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'submit_outcome_unknown', retryable: false });
    expect(fal.calls.submit).toBe(0);
  });

  it('waits for a recovered request that fal still runs (a callback sent before the end)', async () => {
    const fal = fakeFal([
      { status: 'IN_QUEUE', queuePosition: 0 },
      { status: 'IN_PROGRESS' },
      { status: 'COMPLETED' },
    ]);
    const { deps, claims, callbackRequests } = withCallbacks(false, fal);
    const job = interrupted(deps.now());
    claims.add(job.id);
    callbackRequests.set(job.id, 'req_early');
    const result = await processDubJob(job, deps);
    expect(result.fal_request_id).toBe('req_early');
    expect(fal.calls.status).toBe(3);
    expect(fal.calls.result).toBe(1);
  });

  it('completes a resumed request fal finished after the deadline, instead of failing it timeout', async () => {
    const fal = fakeFal([{ status: 'COMPLETED' }]);
    const { deps } = fakeDeps({ fal });
    const late = new Date(deps.now() - deps.config.deadlineMs - 1_000).toISOString();
    const result = await processDubJob(fakeJob({ fal_request_id: 'req_paid', fal_submitted_at: late }), deps);
    expect(result.fal_request_id).toBe('req_paid');
    expect(fal.calls.cancel).toBe(0);
  });
});
