import { foleyKeys } from '@foley/shared/infra/keys';
import { describe, expect, it } from 'vitest';
import { createIdempotency } from './idempotency';
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
    defineCommand(name: string) {
      (redis as Record<string, unknown>)[name] = () => counter.send('index', 1);
    },
    set: () => counter.send('SET NX', 'OK'),
    get: () => counter.send('GET', null),
  };
  const queue = { add: () => counter.send('addJob', {}) };
  const reader = {
    snapshot: () => counter.send('reader.snapshot', undefined),
    view: () => counter.send('reader.view', undefined),
  };
  return createJobsService({
    queue,
    redis,
    keys,
    reader,
    idempotency: createIdempotency({ redis: redis as never, keys, ttlMs: 60_000 }),
    urls: createUrlPolicy([]),
    onJobFinished: async () => {},
    // Listing for the fal dispatcher (and the TENANT_MAX_QUEUED check) follows the add: a listed job must exist.
    ready: { add: () => counter.send('list', undefined) },
    maxQueued: () => 50_000,
    attempts: 6,
    ...(spend
      ? {
          spend: {
            unitMicros: () => 35_000,
            hasBudget: () => spend.budget,
            reserve: () => counter.send('reserve', undefined),
            unreserve: () => counter.send('unreserve', undefined),
          },
        }
      : {}),
  } as unknown as JobsServiceDeps);
}

describe('jobs service: Redis round trips of a create', () => {
  const body = { video_url: 'https://cdn.example.com/a.mp4' };

  it('indexes and adds in one round trip, lists in a second, and answers without reading the job back', async () => {
    const counter = roundCounter();
    const { job, replayed } = await service(counter).create('tenant-a', body);
    expect(replayed).toBe(false);
    expect(job).toMatchObject({ status: 'queued', attempts: 0, input: { video_url: body.video_url } });
    expect(
      counter.log
        .filter((l) => l.round === 1)
        .map((l) => l.call)
        .sort(),
    ).toEqual(['addJob', 'index']);
    expect(counter.log.filter((l) => l.round === 2).map((l) => l.call)).toEqual(['list']);
    expect(counter.rounds()).toBe(2);
  });

  it('with an Idempotency-Key: the claim, then index and add together, then the listing — three round trips', async () => {
    const counter = roundCounter();
    await service(counter).create('tenant-a', body, 'key-1');
    expect(counter.log).toEqual([
      { round: 1, call: 'SET NX' },
      { round: 2, call: 'index' },
      { round: 2, call: 'addJob' },
      { round: 3, call: 'list' },
    ]);
    expect(counter.rounds()).toBe(3);
  });

  it('a tenant without a budget: its reservation goes out with the index and the add — no round trip of its own', async () => {
    const counter = roundCounter();
    const { job } = await service(counter, { budget: false }).create('tenant-a', body);
    expect(
      counter.log
        .filter((l) => l.round === 1)
        .map((l) => l.call)
        .sort(),
    ).toEqual(['addJob', 'index', 'reserve']);
    expect(counter.rounds()).toBe(2);
    expect(job).not.toHaveProperty('cost'); // queued: no cost yet
  });

  it('a tenant with a budget: the reservation first, then index and add, then the listing', async () => {
    const counter = roundCounter();
    await service(counter, { budget: true }).create('tenant-a', body);
    expect(counter.log).toEqual([
      { round: 1, call: 'reserve' },
      { round: 2, call: 'index' },
      { round: 2, call: 'addJob' },
      { round: 3, call: 'list' },
    ]);
  });
});
