import { foleyKeys } from '@foley/shared/infra/keys';
import { createRedis } from '@foley/shared/infra/redis';
import { createJobSignalStore } from '@foley/shared/jobs/signals';
import { dubJobOptions, QUEUES } from '@foley/shared/queues/catalog';
import { deleteKeys, resolveTestRedisUrl, testPrefix } from '@foley/testkit/redis';
import { Queue } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { fakeDeps, fakeFal, fakeJob } from '../../test/dub-fakes';
import { createDubbingWorker } from './dubbing-worker';

/**
 * The chaos suite's stuck jobs: a worker killed (or a Redis restart) right after it claimed a job's fal
 * submit and before it marked the submit started. Every later run found the claim taken and failed
 * "retryable": all 6 attempts, with backoff growing to 80 s — minutes `queued` — then failed anyway.
 */
describe('a submit claimed by a run that stopped (real Redis and BullMQ)', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    cleanups.length = 0;
  });

  async function setup(graceMs: number) {
    const redis = createRedis(await resolveTestRedisUrl(), 'worker');
    const prefix = testPrefix('claim');
    cleanups.push(async () => {
      await deleteKeys(redis, prefix);
      redis.disconnect();
    });
    const queue = new Queue(QUEUES.dubbing.name, { connection: redis, prefix });
    cleanups.push(() => queue.close());
    const signals = createJobSignalStore({ redis, keys: foleyKeys(prefix) });
    const fal = fakeFal();
    const ctx = fakeDeps({
      fal,
      claimSubmit: signals.claimSubmit,
      submitClaimedAt: signals.submitClaimedAt,
      releaseSubmit: signals.releaseSubmit,
      now: Date.now,
    });
    ctx.deps.config.submitClaimGraceMs = graceMs;
    ctx.deps.config.deadlineMs = 60_000;
    const worker = createDubbingWorker({ connection: redis, prefix, concurrency: 1, deps: ctx.deps });
    cleanups.push(() => worker.close());
    return { queue, signals, fal, ctx };
  }

  const stateAfter = async (queue: Queue, id: string, done: (s: string) => boolean, ms: number) => {
    const until = Date.now() + ms;
    let state = await queue.getJobState(id);
    while (!done(state) && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 100));
      state = await queue.getJobState(id);
    }
    return state;
  };

  it('fails submit_outcome_unknown once the claim is older than a submit takes, using no attempts', async () => {
    const { queue, signals, fal, ctx } = await setup(2_000);
    const { data } = fakeJob({ id: 'job_claimed' });
    // The dead run's claim; it never wrote fal_submit_started_at, and never will.
    expect(await signals.claimSubmit('job_claimed', 'dead-run')).toBe(true);
    await queue.add(QUEUES.dubbing.jobs.dub, data, { ...dubJobOptions('job_claimed', 6), delay: 0 });

    const state = await stateAfter(queue, 'job_claimed', (s) => s === 'failed' || s === 'completed', 12_000);
    const job = await queue.getJob('job_claimed');
    expect(state).toBe('failed');
    expect(job?.data.error?.code).toBe('submit_outcome_unknown');
    expect(job?.attemptsMade).toBe(1); // the final one only: the waits used none
    expect(ctx.outcomes).toMatchObject([{ status: 'failed', error: { code: 'submit_outcome_unknown' } }]);
    expect(fal.calls.submit).toBe(0);
  });

  it('a live claimer that saves its request id: the other run resumes it, no second submit', async () => {
    const { queue, signals, fal, ctx } = await setup(30_000);
    const { data } = fakeJob({ id: 'job_live' });
    expect(await signals.claimSubmit('job_live', 'live-run')).toBe(true);
    await queue.add(QUEUES.dubbing.jobs.dub, data, { ...dubJobOptions('job_live', 6), delay: 0 });
    // The live run saves fal's answer a moment later (as after a lost lock).
    await stateAfter(queue, 'job_live', (s) => s === 'delayed', 5_000);
    const parked = await queue.getJob('job_live');
    await parked?.updateData({
      ...parked.data,
      fal_request_id: 'req_live',
      fal_submitted_at: new Date().toISOString(),
    });

    const state = await stateAfter(queue, 'job_live', (s) => s === 'failed' || s === 'completed', 10_000);
    expect(state).toBe('completed');
    expect((await queue.getJob('job_live'))?.attemptsMade).toBe(1); // the completing run only
    expect(ctx.outcomes).toMatchObject([{ status: 'completed', result: { fal_request_id: 'req_live' } }]);
    expect(fal.calls.submit).toBe(0);
  });
});
