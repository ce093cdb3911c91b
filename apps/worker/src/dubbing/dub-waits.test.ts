import { PipelineError } from '@foley/shared/errors';
import { describe, expect, it } from 'vitest';
import { fakeDeps, fakeFal, fakeJob } from '../../test/dub-fakes';
import { processDubJob } from './dub';
import { waitCauseOf } from './dub-waits';
import { JobDeferredError } from './job-control';

const s3Down = () =>
  new PipelineError('storage_error', 'S3 upload failed: ECONNREFUSED', { retryable: true });

/** Runs the job as BullMQ would: again after each deferral (no attempt used), until it ends. */
async function runUntilEnd(job: ReturnType<typeof fakeJob>, ctx: ReturnType<typeof fakeDeps>, max = 50) {
  let deferrals = 0;
  for (let run = 0; run < max; run++) {
    try {
      return { result: await processDubJob(job, ctx.deps), deferrals };
    } catch (error) {
      if (!(error instanceof JobDeferredError)) return { error, deferrals };
      deferrals++;
      ctx.advance(error.delayMs);
    }
  }
  throw new Error('still deferred');
}

describe('waiting out outages and back-pressure (no attempt used)', () => {
  it('tells the causes to wait out from the job’s own failures', () => {
    expect(waitCauseOf(s3Down())).toBe('storage_unavailable');
    expect(waitCauseOf(new PipelineError('storage_error', '503', { retryable: true, status: 503 }))).toBe(
      'storage_unavailable',
    );
    // Credentials or a missing bucket: a configuration failure, not an outage.
    expect(waitCauseOf(new PipelineError('storage_error', '403', { retryable: true, status: 403 }))).toBe(
      undefined,
    );
    expect(waitCauseOf(new PipelineError('fal_unavailable', '429', { retryable: true, status: 429 }))).toBe(
      'fal_rate_limited',
    );
    expect(waitCauseOf(new PipelineError('fal_account_locked', 'User is locked', { status: 403 }))).toBe(
      'fal_account_locked',
    );
    expect(waitCauseOf(new Error('connect ECONNREFUSED 127.0.0.1:6379'))).toBe('redis_unavailable');
    expect(waitCauseOf(new Error('LOADING Redis is loading the dataset in memory'))).toBe(
      'redis_unavailable',
    );
    expect(waitCauseOf(new PipelineError('fal_unavailable', '503', { retryable: true, status: 503 }))).toBe(
      undefined,
    );
    expect(waitCauseOf(new PipelineError('model_error', 'bad'))).toBe(undefined);
    expect(waitCauseOf(new Error('a bug'))).toBe(undefined);
  });

  it('an S3 outage longer than all the job’s attempts: it waits, with backoff, and completes', async () => {
    const ctx = fakeDeps();
    ctx.deps.config.deadlineMs = 15 * 60_000;
    const upload = ctx.deps.store.upload;
    let down = 20; // two copies at a time: 10 failed runs, more than the job's attempts (6)
    ctx.deps.store.upload = async (key, body, opts) => {
      if (down > 0) {
        for await (const _ of body) {
        }
        down--;
        throw s3Down();
      }
      return upload(key, body, opts);
    };
    const delays: number[] = [];
    const job = fakeJob({}, { made: 0, max: 6 });
    let outcome: Awaited<ReturnType<typeof runUntilEnd>> | undefined;
    for (let run = 0; run < 20 && !outcome; run++) {
      try {
        outcome = { result: await processDubJob(job, ctx.deps), deferrals: delays.length };
      } catch (error) {
        expect(error).toBeInstanceOf(JobDeferredError);
        delays.push((error as JobDeferredError).delayMs);
        ctx.advance((error as JobDeferredError).delayMs);
      }
    }
    expect(outcome?.result?.fal_request_id).toBe('req_1');
    // Each upload failure (two copies run at once) is one wait; the delays grow (2 s first, capped).
    expect(delays.length).toBeGreaterThan(6);
    expect(delays[0]).toBeLessThanOrEqual(2_000);
    expect(Math.max(...delays)).toBeGreaterThan(10_000);
    expect(Math.max(...delays)).toBeLessThanOrEqual(60_000);
    expect(ctx.outcomes.map((o) => o.status)).toEqual(['completed']);
    expect(job.data.waiting).toMatchObject({ cause: 'storage_unavailable', count: delays.length });
  });

  it('fal 429s on status polls, more in a row than attempts and tolerated poll errors: waits, completes', async () => {
    const fal = fakeFal();
    let limited = 20;
    fal.status = async () => {
      if (limited-- > 0)
        throw new PipelineError('fal_unavailable', '429', {
          retryable: true,
          status: 429,
          retryAfterMs: 3_000,
        });
      return { status: 'COMPLETED' };
    };
    const ctx = fakeDeps({ fal });
    ctx.deps.config.deadlineMs = 15 * 60_000;
    const job = fakeJob({}, { made: 0, max: 6 });
    const { result, deferrals } = await runUntilEnd(job, ctx);
    expect(result?.fal_request_id).toBe('req_1');
    expect(deferrals).toBeGreaterThan(1);
    expect(fal.calls.submit).toBe(1);
  });

  it('a Redis error: waits; past the deadline the outage takes the attempt path again', async () => {
    const ctx = fakeDeps();
    const job = fakeJob({}, { made: 0, max: 6 });
    const progress = job.updateProgress;
    job.updateProgress = async () => {
      throw new Error('Connection is closed.');
    };
    await expect(processDubJob(job, ctx.deps)).rejects.toBeInstanceOf(JobDeferredError);
    expect(job.data.waiting?.cause).toBe('redis_unavailable');
    ctx.advance(ctx.deps.config.deadlineMs);
    await expect(processDubJob(job, ctx.deps)).rejects.toMatchObject({
      code: 'internal_error',
      retryable: true,
    });
    job.updateProgress = progress;
  });

  it('a real failure still fails at once with its code (fal 422 on the input)', async () => {
    const fal = fakeFal();
    fal.result = async () => {
      throw new PipelineError('invalid_input', 'video_url: the video has no frames');
    };
    const ctx = fakeDeps({ fal });
    const { error, deferrals } = await runUntilEnd(fakeJob({}, { made: 0, max: 6 }), ctx);
    expect(error).toMatchObject({ code: 'invalid_input', retryable: false });
    expect(deferrals).toBe(0);
    expect(ctx.outcomes).toMatchObject([{ status: 'failed', error: { code: 'invalid_input' } }]);
  });

  it('a submit claimed by an attempt that stopped before marking it: waits a grace, then fails, no attempt used', async () => {
    const fal = fakeFal();
    const ctx = fakeDeps({ fal });
    ctx.deps.config.submitClaimGraceMs = 10_000;
    // The dead attempt's claim, taken just now: it might still be alive and save fal's answer.
    await ctx.deps.claimSubmit('job_test', 'dead-run');
    const job = fakeJob({}, { made: 0, max: 6 });
    const { error, deferrals } = await runUntilEnd(job, ctx);
    expect(deferrals).toBe(5); // 2 s apart, until the claim is 10 s old
    expect(error).toMatchObject({ code: 'submit_outcome_unknown', retryable: false });
    expect(ctx.outcomes).toMatchObject([{ status: 'failed', error: { code: 'submit_outcome_unknown' } }]);
    expect(fal.calls.submit).toBe(0);
  });

  it('a submit claimed by a live attempt: waits, then resumes the request it saved', async () => {
    const fal = fakeFal();
    const ctx = fakeDeps({ fal });
    await ctx.deps.claimSubmit('job_test', 'other-run');
    const job = fakeJob({}, { made: 0, max: 6 });
    await expect(processDubJob(job, ctx.deps)).rejects.toBeInstanceOf(JobDeferredError);
    job.data = { ...job.data, fal_request_id: 'req_other', fal_submitted_at: new Date(0).toISOString() };
    ctx.deps.config.deadlineMs = Number.MAX_SAFE_INTEGER;
    await expect(processDubJob(job, ctx.deps)).resolves.toMatchObject({ fal_request_id: 'req_other' });
    expect(fal.calls.submit).toBe(0);
  });
});
