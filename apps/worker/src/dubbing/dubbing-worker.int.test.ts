import { createRedis } from '@foley/shared/infra/redis';
import { QUEUES } from '@foley/shared/queues/catalog';
import { deleteKeys, resolveTestRedisUrl, testPrefix } from '@foley/testkit/redis';
import { Queue, Worker } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { fakeDeps, fakeFal, fakeJob } from '../../test/dub-fakes';
import { processDubJob } from './dub';
import { asDubJob, createDubbingWorker } from './dubbing-worker';

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 1_000 && Date.now() < deadline; i++) {
    const value = probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('dubbing worker (real Redis)', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    cleanups.length = 0;
  });

  /** A Redis connection and a `dubbing` queue under a prefix of this test's own, removed afterwards. */
  async function freshQueue() {
    const redis = createRedis(await resolveTestRedisUrl(), 'worker');
    const prefix = testPrefix('dubw');
    cleanups.push(async () => {
      await deleteKeys(redis, prefix);
      redis.disconnect();
    });
    const queue = new Queue(QUEUES.dubbing.name, { connection: redis, prefix });
    cleanups.push(() => queue.close());
    return { redis, prefix, queue };
  }

  it('reports a job that BullMQ fails for stalling too often, which never reaches the processor', async () => {
    const { redis, prefix, queue } = await freshQueue();
    const { data } = fakeJob({ id: 'job_stalls', fal_request_id: 'req_paid' });
    await queue.add(QUEUES.dubbing.jobs.dub, data, { jobId: 'job_stalls', attempts: 3 });

    // A worker that takes the job and dies (its lock is never renewed again).
    let unblock: () => void = () => {};
    const crashed = new Worker(
      QUEUES.dubbing.name,
      () =>
        new Promise<void>((resolve) => {
          unblock = resolve;
        }),
      { connection: redis, prefix, lockDuration: 500, skipStalledCheck: true },
    );
    cleanups.push(async () => unblock());
    for (let i = 0; i < 100 && (await queue.getJobState('job_stalls')) !== 'active'; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await queue.getJobState('job_stalls')).toBe('active');
    await crashed.close(true);

    const ctx = fakeDeps();
    const worker = createDubbingWorker({
      connection: redis,
      prefix,
      concurrency: 1,
      deps: ctx.deps,
      workerOptions: { lockDuration: 500, stalledInterval: 300, maxStalledCount: 0 },
    });
    cleanups.push(() => worker.close());

    const outcome = await waitFor('the abandoned job to be reported', () => ctx.outcomes[0]);
    expect(outcome).toMatchObject({ status: 'failed', error: { code: 'internal_error' } });
    expect((await queue.getJob('job_stalls'))?.data.error?.code).toBe('internal_error');
    expect((await queue.getJob('job_stalls'))?.data.fal_request_id).toBe('req_paid');
    expect(await queue.getJobState('job_stalls')).toBe('failed');
  });

  it('fails a job whose data does not match the catalog schema at once, without running it', async () => {
    const { redis, prefix, queue } = await freshQueue();
    await queue.add(
      QUEUES.dubbing.jobs.dub,
      { id: 'job_bad', tenant: 42 },
      { jobId: 'job_bad', attempts: 3 },
    );

    const fal = fakeFal();
    const ctx = fakeDeps({ fal });
    const worker = createDubbingWorker({ connection: redis, prefix, concurrency: 1, deps: ctx.deps });
    cleanups.push(() => worker.close());

    for (let i = 0; i < 200 && (await queue.getJobState('job_bad')) !== 'failed'; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const failed = await queue.getJob('job_bad');
    expect(await queue.getJobState('job_bad')).toBe('failed');
    expect(failed?.failedReason).toMatch(/^malformed dubbing job: .*tenant/s);
    expect(failed?.attemptsMade).toBe(1);
    expect(fal.calls.submit).toBe(0);
    expect(ctx.outcomes).toEqual([]);
  });

  it('a second run of a job (its lock was lost) sees the result the first recorded and copies nothing again', async () => {
    const { queue } = await freshQueue();
    const { data } = fakeJob({
      id: 'job_twice',
      fal_request_id: 'req_paid',
      fal_submitted_at: new Date().toISOString(),
    });
    await queue.add(QUEUES.dubbing.jobs.dub, data, { jobId: 'job_twice', attempts: 3 });
    // Both runs loaded the job before either finished: as after a Redis restart, when the stalled check
    // gave the job to a second worker while the first still ran it.
    const [first, second] = await Promise.all([queue.getJob('job_twice'), queue.getJob('job_twice')]);
    if (!first || !second) throw new Error('job not found');

    const ctx = fakeDeps({ now: Date.now });
    let downloads = 0;
    const download = ctx.deps.download;
    ctx.deps.download = (url, signal) => {
      downloads++;
      return download(url, signal);
    };
    const result = await processDubJob(asDubJob(first, queue), ctx.deps);
    expect(downloads).toBe(2);
    expect(second.data.result).toBeUndefined();

    const again = await processDubJob(asDubJob(second, queue), ctx.deps);
    expect(downloads).toBe(2);
    expect(again).toEqual(result);
    expect(ctx.outcomes.map((o) => o.status)).toEqual(['completed', 'completed']);
    expect((await queue.getJob('job_twice'))?.data.result).toEqual(result);
  });
});
