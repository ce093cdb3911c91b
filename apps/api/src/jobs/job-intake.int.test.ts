import { createReadyList, readyEntry } from '@foley/shared/dispatch/ready-entry';
import { newId } from '@foley/shared/ids';
import { foleyKeys } from '@foley/shared/infra/keys';
import { createRedis, type RedisClient } from '@foley/shared/infra/redis';
import type { DubJobData, DubJobResult } from '@foley/shared/jobs/contract';
import { withModelDefaults } from '@foley/shared/jobs/model';
import { QUEUES } from '@foley/shared/queues/catalog';
import { dayOf, monthOf } from '@foley/shared/spend/budgets';
import { createSpendLedger } from '@foley/shared/spend/ledger';
import { createPriceList } from '@foley/shared/spend/price';
import { deleteKeys, resolveTestRedisUrl, testPrefix } from '@foley/testkit/redis';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSpend } from '../spend/spend';
import { createJobIntake } from './job-intake';

let redis: RedisClient;
let queue: Queue<DubJobData, DubJobResult>;
const prefix = testPrefix('job-intake');
const keys = foleyKeys(prefix);
const PRICE = 35_000; // micro-dollars
const NOW = Date.UTC(2026, 11, 1, 12);

beforeAll(async () => {
  redis = createRedis(await resolveTestRedisUrl(), 'producer');
  if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
  queue = new Queue(QUEUES.dubbing.name, { connection: redis, prefix });
  await queue.waitUntilReady();
});
afterAll(async () => {
  await queue.close();
  await deleteKeys(redis, prefix);
  redis.disconnect();
});

function intakeFor(budgetMicros?: number) {
  const budgets = new Map(
    budgetMicros === undefined
      ? []
      : [['t-budget', { tenant: 't-budget', limitMicros: budgetMicros, period: 'month' as const }]],
  );
  const spend = createSpend({
    ledger: createSpendLedger({ redis, keys, budgets }),
    prices: createPriceList({ defaultMicros: PRICE }),
    budgets,
  });
  const ready = createReadyList({ redis, keys });
  return {
    ready,
    intake: createJobIntake({ queue, redis, keys, ready, spend, attempts: 3, now: () => NOW }),
  };
}

const jobData = (tenant: string): DubJobData => ({
  id: newId('job', NOW),
  tenant,
  input: withModelDefaults({ video_url: 'https://cdn.example.com/a.mp4' }),
  created_at: new Date(NOW).toISOString(),
  price_micros: PRICE,
});
const reservationOf = (d: DubJobData) => ({ tenant: d.tenant, count: 1, unitMicros: PRICE, at: NOW });

/** Everything the intake writes for a tenant, as Redis holds it. */
async function written(tenant: string, id: string) {
  const job = await queue.getJob(id);
  return {
    state: job ? await job.getState() : undefined,
    listed: await redis.zscore(keys.dispatchReady(), readyEntry({ id, tenant })),
    ring: await redis.zscore(keys.dispatchTenants(), tenant),
    open: await redis.get(keys.tenantOpenJobs(tenant)),
    indexed: await redis.zscore(keys.tenantJobs(tenant), id),
    indexTtl: await redis.ttl(keys.tenantJobs(tenant)),
    reservedDay: await redis.hget(keys.spendDay(tenant, dayOf(NOW)), 'reserved'),
    reservedMonth: await redis.hget(keys.spendMonth(tenant, monthOf(NOW)), 'reserved'),
  };
}

describe("job intake: BullMQ's add and every Foley step in one round trip", () => {
  it('adds the parked job, reserves, counts, indexes and lists it — one round trip', async () => {
    const { intake } = intakeFor();
    const data = jobData('t-ok');
    // What the socket sees: every command written before the first reply came back = one round trip.
    const socket = (redis as Redis).stream;
    const events: string[] = [];
    const write = socket.write.bind(socket);
    const onData = () => events.push('reply');
    socket.write = ((...args: Parameters<typeof write>) => {
      events.push('write');
      return write(...args);
    }) as typeof socket.write;
    socket.prependListener('data', onData);
    try {
      await intake.enqueue(data, { limit: 10, reservation: reservationOf(data) });
    } finally {
      socket.write = write;
      socket.off('data', onData);
    }
    const firstReply = events.indexOf('reply');
    expect(events.slice(0, firstReply)).toEqual(['write', 'write']); // BullMQ's add, then the script
    expect(events.slice(firstReply)).not.toContain('write');
    const w = await written('t-ok', data.id);
    expect(w).toMatchObject({ state: 'delayed', listed: '0', ring: '0', open: '1', indexed: '0' });
    expect(w.indexTtl).toBeGreaterThan(0);
    expect(w).toMatchObject({ reservedDay: String(PRICE), reservedMonth: String(PRICE) });
    expect((await queue.getJob(data.id))?.opts).toMatchObject({ attempts: 3, delay: expect.any(Number) });
  });

  it('over TENANT_MAX_QUEUED: 429 quota_exceeded and nothing left behind (no job, count, index, listing, reservation)', async () => {
    const { intake } = intakeFor();
    const first = jobData('t-quota');
    await intake.enqueue(first, { limit: 1, reservation: reservationOf(first) });
    const second = jobData('t-quota');
    await expect(
      intake.enqueue(second, { limit: 1, reservation: reservationOf(second) }),
    ).rejects.toMatchObject({
      code: 'quota_exceeded',
      status: 429,
      details: { limit: 1, current: 1, requested: 1 },
    });
    expect(await written('t-quota', second.id)).toMatchObject({
      state: undefined,
      listed: null,
      open: '1',
      indexed: null,
      reservedDay: String(PRICE), // the first job's only
    });
  });

  it('over the budget: 402 budget_exceeded (before the quota) and nothing left behind', async () => {
    const { intake } = intakeFor(PRICE); // room for exactly one video this month
    const first = jobData('t-budget');
    await intake.enqueue(first, { limit: 10, reservation: reservationOf(first) });
    const second = jobData('t-budget');
    await expect(
      intake.enqueue(second, { limit: 1, reservation: reservationOf(second) }),
    ).rejects.toMatchObject({
      code: 'budget_exceeded',
      status: 402,
      details: { remaining: 0, requested: PRICE / 1_000_000 },
    });
    expect(await written('t-budget', second.id)).toMatchObject({
      state: undefined,
      listed: null,
      open: '1',
      indexed: null,
      reservedMonth: String(PRICE),
    });
  });

  it('never lists a job before it exists: an add that reaches Redis after the script is waited for', async () => {
    // A queue whose client sends BullMQ's scripts 50 ms late: the intake script runs first, finds no job.
    const data = jobData('t-late');
    const listedBeforeAdd: Array<string | null> = [];
    const client = await queue.client;
    const lateClient = new Proxy(client, {
      get: (target, prop) =>
        prop === 'runCommand'
          ? async (name: string, args: unknown[]) => {
              await new Promise((r) => setTimeout(r, 50));
              listedBeforeAdd.push(
                await redis.zscore(keys.dispatchReady(), readyEntry({ id: data.id, tenant: 't-late' })),
              );
              return target.runCommand(name, args as never);
            }
          : Reflect.get(target, prop),
    });
    const lateQueue = new Proxy(queue, {
      get: (target, prop) => (prop === 'client' ? Promise.resolve(lateClient) : Reflect.get(target, prop)),
    });
    const ready = createReadyList({ redis, keys });
    const intake = createJobIntake({ queue: lateQueue, redis, keys, ready, attempts: 3, now: () => NOW });
    await intake.enqueue(data, { limit: 10 });
    expect(listedBeforeAdd).toEqual([null]);
    expect(await written('t-late', data.id)).toMatchObject({
      state: 'delayed',
      listed: '0',
      open: '1',
      indexed: '0',
    });
  });
});
