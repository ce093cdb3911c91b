import { foleyKeys } from '@foley/shared/infra/keys';
import { describe, expect, it } from 'vitest';
import { createIdempotency } from './idempotency';
import type { JobIntake } from './job-intake';
import { createJobsService, type JobsServiceDeps } from './jobs-service';
import { createUrlPolicy } from './url-policy';

/**
 * Round trips of `POST /v1/jobs`: every Redis call is a fake that answers on the next macrotask, and
 * records in which "round" it was sent — calls sent before any answer arrived share a round.
 */
function roundCounter() {
  let round = 0;
  let answered = true;
  const log: Array<{ round: number; call: string }> = [];
  const send = <T>(call: string, value: T): Promise<T> => {
    if (answered) {
      round++;
      answered = false;
    }
    log.push({ round, call });
    return new Promise((resolve) =>
      setTimeout(() => {
        answered = true;
        resolve(value);
      }, 1),
    );
  };
  return { log, send, rounds: () => new Set(log.map((l) => l.round)).size };
}

function service(counter: ReturnType<typeof roundCounter>, spend?: { budget: boolean }) {
  const keys = foleyKeys('rt');
  const redis = {
    set: () => counter.send('SET NX', 'OK'),
    get: () => counter.send('GET', null),
    on: () => redis, // connection events (a release Redis refused waits for 'ready'): none here
  };
  const reader = {
    snapshot: () => counter.send('reader.snapshot', undefined),
    view: () => counter.send('reader.view', undefined),
  };
  const enqueued: Array<{ limit: number | undefined; reservation?: unknown }> = [];
  const intake: JobIntake = {
    // One pipeline (BullMQ's add + the intake script): job-intake.int.test.ts proves it is one write.
    enqueue: async (_data, opts) => {
      enqueued.push(opts);
      await counter.send('intake pipeline', undefined);
    },
  };
  const jobs = createJobsService({
    queue: {},
    redis,
    keys,
    reader,
    idempotency: createIdempotency({ redis: redis as never, keys, ttlMs: 60_000 }),
    urls: createUrlPolicy([]),
    onJobFinished: async () => {},
    ready: {},
    maxQueued: () => 50_000,
    attempts: 6,
    intake,
    ...(spend
      ? {
          spend: {
            unitMicros: () => 35_000,
            reserve: () => counter.send('reserve', undefined),
            unreserve: () => counter.send('unreserve', undefined),
          },
        }
      : {}),
  } as unknown as JobsServiceDeps);
  return { jobs, enqueued };
}

describe('jobs service: Redis round trips of a create', () => {
  const body = { video_url: 'https://cdn.example.com/a.mp4' };

  it('adds, indexes, counts and lists in one round trip, and answers without reading the job back', async () => {
    const counter = roundCounter();
    const { jobs, enqueued } = service(counter);
    const { job, replayed } = await jobs.create('tenant-a', body);
    expect(replayed).toBe(false);
    expect(job).toMatchObject({ status: 'queued', attempts: 0, input: { video_url: body.video_url } });
    expect(counter.log).toEqual([{ round: 1, call: 'intake pipeline' }]);
    expect(enqueued).toEqual([{ limit: 50_000, reservation: undefined }]);
  });

  it('with an Idempotency-Key: the claim, then the intake pipeline — two round trips', async () => {
    const counter = roundCounter();
    await service(counter).jobs.create('tenant-a', body, 'key-1');
    expect(counter.log).toEqual([
      { round: 1, call: 'SET NX' },
      { round: 2, call: 'intake pipeline' },
    ]);
  });

  it('a priced job (budget or not): its reservation is part of the intake pipeline — no round trip of its own', async () => {
    for (const budget of [false, true]) {
      const counter = roundCounter();
      const { jobs, enqueued } = service(counter, { budget });
      const { job } = await jobs.create('tenant-a', body);
      expect(counter.log).toEqual([{ round: 1, call: 'intake pipeline' }]);
      expect(enqueued[0]?.reservation).toMatchObject({ tenant: 'tenant-a', count: 1, unitMicros: 35_000 });
      expect(job).not.toHaveProperty('cost'); // queued: no cost yet
    }
  });
});
